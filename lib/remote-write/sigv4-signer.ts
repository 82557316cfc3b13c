/**
 * SigV4 for remote writes to Amazon Managed Service for Prometheus, through the Prometheus
 * source's signer (lib/sources/prometheus/sigv4.ts) so that both sign the same way.
 */
import {
  defaultCredentialsProvider,
  signRequest,
  type AwsCredentialsProvider,
} from '../sources/prometheus/sigv4.js';

/** A request about to be sent, as a SigV4 signer needs it. */
export interface SignableRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * Signs a request for AWS (SigV4, service `aps` for Amazon Managed Prometheus) and returns the
 * complete set of headers to send. Injected so that the writer shares the Prometheus source's
 * signer instead of carrying its own copy.
 */
export type RequestSigner = (
  request: SignableRequest,
  options: { region: string; service: string; signal?: AbortSignal },
) => Promise<Record<string, string>>;

export interface SigV4SignerDeps {
  /** Default: the AWS SDK's credential chain, loaded on first use. */
  credentials?: AwsCredentialsProvider;
  now?: () => Date;
}

/** A {@link RequestSigner} that signs the exact bytes sent (the snappy-compressed body). */
export function createSigV4RequestSigner(deps: SigV4SignerDeps = {}): RequestSigner {
  const credentials = deps.credentials ?? defaultCredentialsProvider();
  const now = deps.now ?? (() => new Date());
  return (request, options) => {
    const url = new URL(request.url);
    return signRequest(
      {
        method: request.method,
        url,
        query: url.search.replace(/^\?/, ''),
        headers: request.headers,
        // signRequest declares a string body, but the SDK signer hashes any byte view as is
        // (tested in test/unit/remote-write/sigv4-signer.test.ts); a binary body must not go
        // through a string, which would re-encode it.
        body: request.body as unknown as string,
      },
      { region: options.region, service: options.service, credentials, now },
    );
  };
}
