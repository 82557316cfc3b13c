/**
 * Stands in for axios' fetch adapter (axios/lib/adapters/fetch.js) in the Lambda bundle (see
 * plugins.cjs). That module probes `new Request(...)` and `new Response(...)` when it is
 * imported, which makes Node load its bundled undici: about 40-50 ms of every cold start, for
 * an adapter Node never uses (axios picks its `http` adapter there, and so does
 * lib/http/client.ts). Asked for explicitly, axios reports the fetch adapter as unavailable.
 */
export const getFetch = () => false;
export default false;
