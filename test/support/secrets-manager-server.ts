/**
 * A small local AWS Secrets Manager: enough of the JSON 1.1 protocol for the real
 * @aws-sdk/client-secrets-manager (and @middy/secrets-manager on top of it) to read secrets.
 *
 *   POST /   X-Amz-Target: secretsmanager.GetSecretValue
 *            Content-Type: application/x-amz-json-1.1   body {"SecretId": name or ARN}
 *   200 {ARN, Name, SecretString, VersionId, VersionStages, CreatedDate}
 *   400 {"__type": "ResourceNotFoundException", "message": "..."}
 *
 * Requests must carry a SigV4 Authorization header for service `secretsmanager` (the SDK
 * always signs); the credential scope's region is recorded so tests can see where a client
 * thought it was talking to. Secrets can be rotated and made to fail on purpose.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const accountId = '123456789012';

export interface RecordedRequest {
  target: string;
  secretId?: string;
  /** Region of the SigV4 credential scope. */
  region?: string;
}

interface StoredSecret {
  name: string;
  arn: string;
  value: string;
  versionNumber: number;
  createdDateSeconds: number;
}

export interface SecretsManagerServer {
  /** `http://127.0.0.1:PORT`: for the client's `endpoint` or `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  endpoint: string;
  region: string;
  /** Creates or rotates (new VersionId) a secret; returns its ARN. */
  setSecret(name: string, value: string): string;
  deleteSecret(name: string): void;
  /** The next requests for `name` fail with this AWS error until cleared with `undefined`. */
  failWith(name: string, error: { type: string; message: string; status?: number } | undefined): void;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** GetSecretValue requests for one secret (by name or ARN). */
  getCount(name: string): number;
  stop(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startSecretsManagerServer(
  options: { region?: string; secrets?: Record<string, string> } = {},
): Promise<SecretsManagerServer> {
  const region = options.region ?? 'us-east-1';
  const secrets = new Map<string, StoredSecret>();
  const failures = new Map<string, { type: string; message: string; status?: number }>();
  const requests: RecordedRequest[] = [];
  // Secrets Manager appends six random characters to a secret's ARN; a counter keeps it stable.
  let created = 0;

  const find = (secretId: string): StoredSecret | undefined =>
    secrets.get(secretId) ?? [...secrets.values()].find((s) => s.arn === secretId);

  const setSecret = (name: string, value: string): string => {
    const existing = secrets.get(name);
    if (existing) {
      existing.value = value;
      existing.versionNumber += 1;
      return existing.arn;
    }
    created += 1;
    const suffix = `Ab${String(created).padStart(4, '0')}`;
    const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`;
    secrets.set(name, { name, arn, value, versionNumber: 1, createdDateSeconds: 1_700_000_000 + created });
    return arn;
  };
  for (const [name, value] of Object.entries(options.secrets ?? {})) setSecret(name, value);

  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(body));
  };
  const replyError = (res: ServerResponse, status: number, type: string, message: string): void => {
    res.setHeader('x-amzn-errortype', type);
    reply(res, status, { __type: type, message });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const authorization = String(req.headers.authorization ?? '');
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
    const recorded: RecordedRequest = { target, region: scope?.[1] };
    requests.push(recorded);

    if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      return replyError(res, 400, 'SerializationException', 'expected POST with application/x-amz-json-1.1');
    }
    if (!scope || scope[2] !== 'secretsmanager') {
      return replyError(res, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    let body: { SecretId?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: unknown };
    } catch {
      return replyError(res, 400, 'SerializationException', 'body is not JSON');
    }
    if (target !== 'secretsmanager.GetSecretValue') {
      return replyError(res, 400, 'UnknownOperationException', `${target} is not implemented by this test server`);
    }
    if (typeof body.SecretId !== 'string' || body.SecretId === '') {
      return replyError(res, 400, 'InvalidParameterException', 'SecretId is required');
    }
    recorded.secretId = body.SecretId;
    const secret = find(body.SecretId);
    const failure = failures.get(secret?.name ?? body.SecretId);
    if (failure) return replyError(res, failure.status ?? 400, failure.type, failure.message);
    if (!secret) {
      return replyError(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    reply(res, 200, {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: `00000000-0000-4000-8000-${String(secret.versionNumber).padStart(12, '0')}`,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDateSeconds,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      replyError(res, 500, 'InternalServiceError', error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    setSecret,
    deleteSecret: (name) => {
      secrets.delete(name);
    },
    failWith: (name, error) => {
      if (error) failures.set(name, error);
      else failures.delete(name);
    },
    requests,
    getCount: (name) => {
      const secret = find(name);
      return requests.filter(
        (r) => r.target === 'secretsmanager.GetSecretValue' && (r.secretId === name || (secret && (r.secretId === secret.arn || r.secretId === secret.name))),
      ).length;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
