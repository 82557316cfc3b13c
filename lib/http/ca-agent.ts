/**
 * An HTTPS agent that trusts an extra CA bundle (`prometheus.caFile`) on top of Node's own roots.
 * Shared by the Prometheus source and the remote writer, which talk to the same server.
 */
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';

/**
 * Returns a function giving the agent for `caFile` (undefined without one). The file is read on
 * first use and cached; a read failure is not cached, so a file fixed later is picked up by the
 * next call. `onError` turns the read error into the caller's own error type.
 */
export function createCaAgentLoader(
  caFile: string | undefined,
  readFile: (path: string) => Promise<string>,
  onError: (error: unknown, caFile: string) => Error,
): () => Promise<HttpsAgent | undefined> {
  let cached: Promise<HttpsAgent | undefined> | undefined;
  return () => {
    if (caFile === undefined) return Promise.resolve(undefined);
    cached ??= readFile(caFile).then(
      // Node's `ca` replaces the bundled roots; keep them so public certificates still verify.
      (pem) => new HttpsAgent({ ca: [...rootCertificates, pem], keepAlive: true }),
      (error: unknown) => {
        cached = undefined;
        throw onError(error, caFile);
      },
    );
    return cached;
  };
}
