/**
 * Checks an AWS Signature Version 4 independently of the product's signer: the `aws4` package
 * recomputes the Authorization header from exactly what arrived, with the test's credentials.
 */
import type { IncomingMessage } from 'node:http';
import aws4 from 'aws4';

export interface SigV4Verdict {
  method: string;
  path: string;
  valid: boolean;
  signedHeaders: string[];
  /** From the credential scope of the received header, when it has one. */
  region?: string;
  service?: string;
}

/** A request's whole body as text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Recomputes the signature of `request` (with `body`) for `service`/`region` and compares. */
export function verifySigV4(
  request: IncomingMessage,
  body: string,
  options: { service: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } },
): SigV4Verdict {
  const authorization = String(request.headers.authorization ?? '');
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = String(request.headers[name] ?? '');
  const signer = new aws4.RequestSigner(
    {
      host: String(request.headers.host),
      method: request.method,
      path: request.url,
      headers,
      body: body === '' ? undefined : body,
      service: options.service,
      region: options.region,
      // Sign exactly the received headers: no Content-Type/Length added, X-Amz-Date reused.
      doNotModifyHeaders: true,
    },
    options.credentials,
  );
  // With doNotModifyHeaders aws4 would take the date from its own clock, not X-Amz-Date, and
  // fail whenever a second boundary passes between signing and checking.
  signer.datetime = headers['x-amz-date'];
  const expected = (signer.sign().headers as Record<string, string>).Authorization;
  return {
    method: request.method ?? '',
    path: new URL(request.url ?? '/', 'http://x').pathname,
    valid: authorization !== '' && expected === authorization,
    signedHeaders,
    ...(scope ? { region: scope[1], service: scope[2] } : {}),
  };
}
