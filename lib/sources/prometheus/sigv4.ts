/**
 * AWS Signature Version 4 for Amazon Managed Service for Prometheus (service `aps`), with the
 * SDK's own signer. The request signed is the request sent: same method, path, query string,
 * host header and body, so nothing between signing and sending may change them.
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials, as our own type so no SDK type crosses into callers. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/**
 * The default AWS credential chain (env, shared config/SSO, web identity, ECS/EC2 metadata),
 * loaded on first use so runs without SigV4 never import it. The SDK memoizes and refreshes.
 */
export function defaultCredentialsProvider(): AwsCredentialsProvider {
  let provider: AwsCredentialsProvider | undefined;
  return async () => {
    if (!provider) {
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      provider = defaultProvider();
    }
    return provider();
  };
}

export interface RequestToSign {
  method: 'GET' | 'POST';
  url: URL;
  /** Already encoded query string without `?` (may be empty). */
  query: string;
  headers: Record<string, string>;
  body?: string;
}

/** Decodes an `a=b&c=d` string for the signer, which re-encodes it canonically. */
function queryRecord(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (query === '') return out;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    const existing = out[name];
    out[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

/** Headers to send: the given ones plus `host`, `x-amz-date`, payload hash and `authorization`. */
export async function signRequest(
  request: RequestToSign,
  options: { region: string; service: string; credentials: AwsCredentialsProvider; now: () => Date },
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: options.service,
    sha256: Hash.bind(null, 'sha256'),
  });
  const { url } = request;
  const unsigned = new HttpRequest({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port !== '' ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: queryRecord(request.query),
    headers: { ...request.headers, host: url.host },
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const signed = await signer.sign(unsigned, { signingDate: options.now() });
  return { ...(signed.headers as Record<string, string>) };
}
