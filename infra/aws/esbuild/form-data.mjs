/**
 * Stands in for the npm package `form-data` in the Lambda bundle (serverless.yml
 * custom.esbuild.alias). axios imports it for multipart uploads, which this function never
 * makes (it posts JSON and URL-encoded forms), and it drags in mime-db (~130 KB minified).
 * Node's own spec-compliant FormData takes its place: axios streams that one itself, so even
 * a multipart post would still work.
 */
export default globalThis.FormData;
