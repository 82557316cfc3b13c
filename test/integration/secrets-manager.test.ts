/**
 * The Secrets Manager adapter, webhook secret parsing and middy's error wrapping, with the real
 * @aws-sdk/client-secrets-manager (and the real @middy/secrets-manager) talking to a local
 * server that speaks the Secrets Manager JSON 1.1 protocol (test/support/secrets-manager-server.ts).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import middy from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import { clearCache } from '@middy/util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMiddyResolveError, unwrapMiddyError } from '../../lib/aws/middy-errors.js';
import {
  createAwsSecretsManagerProvider,
  parseWebhookSecret,
  secretsManagerError,
  type WebhookSecret,
} from '../../lib/secrets/aws-secrets-manager.js';
import { SecretError } from '../../lib/secrets/errors.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { rejection } from '../support/rejection.js';

const hookUrl = 'https://hooks.slack.example/services/T000/B000/s3cr3tT0kenValue';
const signingSecret = 'hmac-signing-key-5u93r53cr37';
const fakeCredentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

let server: SecretsManagerServer;
let client: SecretsManagerClient;

beforeAll(async () => {
  server = await startSecretsManagerServer();
  client = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: fakeCredentials,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});

/** Everything an error could show in a log: message, cause chain, stack. */
function everythingShown(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? `${current.message}\n${current.stack ?? ''}` : JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

describe('createAwsSecretsManagerProvider', () => {
  it('reads a plain URL secret by name', async () => {
    server.setSecret('team/plain', hookUrl);
    const provider = createAwsSecretsManagerProvider({ secretId: 'team/plain' }, { client });

    const value = await provider.get();

    expect(value).toBe(hookUrl);
    expect(parseWebhookSecret(value)).toEqual({ url: hookUrl });
    expect(provider.description).toBe('secretsManager team/plain');
    expect(provider.description).not.toContain(hookUrl);
  });

  it('reads a JSON secret by ARN, with URL and signing secret', async () => {
    const arn = server.setSecret('team/json', JSON.stringify({ url: hookUrl, signingSecret }));
    const provider = createAwsSecretsManagerProvider({ secretId: arn }, { client });

    const secret = parseWebhookSecret(await provider.get(), provider.description);

    expect(secret).toEqual({ url: hookUrl, signingSecret });
  });

  it('names a missing secret and says it does not exist, never showing any value', async () => {
    const provider = createAwsSecretsManagerProvider({ secretId: 'team/missing' }, { client });

    const error = await rejection(provider.get());

    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain('team/missing');
    expect(error.message).toContain('does not exist');
    expect(error.message).toContain('ResourceNotFoundException');
    expect((error.cause as Error).name).toBe('ResourceNotFoundException');
  });

  it('turns an access denial into a hint about the IAM permission', async () => {
    server.setSecret('team/denied', hookUrl);
    server.failWith('team/denied', {
      type: 'AccessDeniedException',
      message: 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: secretsmanager:GetSecretValue',
    });
    const provider = createAwsSecretsManagerProvider({ secretId: 'team/denied' }, { client });

    const error = await rejection(provider.get());

    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain('team/denied');
    expect(error.message).toContain('secretsmanager:GetSecretValue');
    expect(everythingShown(error)).not.toContain(hookUrl);
  });

  it('reports an unreachable endpoint as a SecretError naming the secret', async () => {
    const stopped = await startSecretsManagerServer();
    await stopped.stop();
    const deadClient = new SecretsManagerClient({
      endpoint: stopped.endpoint,
      region: 'us-east-1',
      credentials: fakeCredentials,
      maxAttempts: 1,
    });
    const provider = createAwsSecretsManagerProvider({ secretId: 'team/plain' }, { client: deadClient });

    const error = await rejection(provider.get());
    deadClient.destroy();

    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain('team/plain');
    expect(error.message).toMatch(/ECONNREFUSED|connect/);
  });

  it('reuses a value until cacheExpiryMs has passed, then sees the rotated value', async () => {
    server.setSecret('team/rotating', 'https://hooks.example/v1-secret-path');
    let nowMs = 1_000_000;
    const provider = createAwsSecretsManagerProvider(
      { secretId: 'team/rotating', cacheExpiryMs: 60_000 },
      { client, now: () => nowMs },
    );

    const first = await provider.get();
    server.setSecret('team/rotating', 'https://hooks.example/v2-secret-path');
    nowMs += 59_999;
    const beforeExpiry = await provider.get();
    nowMs += 1;
    const afterExpiry = await provider.get();

    expect(first).toBe('https://hooks.example/v1-secret-path');
    expect(beforeExpiry).toBe(first);
    expect(afterExpiry).toBe('https://hooks.example/v2-secret-path');
    expect(server.getCount('team/rotating')).toBe(2);
  });

  it('fetches on every get without a cache, and shares one request between concurrent gets', async () => {
    server.setSecret('team/uncached', hookUrl);
    const provider = createAwsSecretsManagerProvider({ secretId: 'team/uncached' }, { client });

    const concurrent = await Promise.all(Array.from({ length: 5 }, () => provider.get()));
    const countAfterConcurrent = server.getCount('team/uncached');
    await provider.get();

    expect(concurrent).toEqual(Array.from({ length: 5 }, () => hookUrl));
    expect(countAfterConcurrent).toBe(1);
    expect(server.getCount('team/uncached')).toBe(2);
  });

  it('does not cache a failure: the next get asks again', async () => {
    server.failWith('team/flaky', { type: 'InternalServiceError', message: 'try again', status: 500 });
    server.setSecret('team/flaky', hookUrl);
    const provider = createAwsSecretsManagerProvider({ secretId: 'team/flaky', cacheExpiryMs: 60_000 }, { client });

    const error = await rejection(provider.get());
    server.failWith('team/flaky', undefined);
    const value = await provider.get();

    expect(error).toBeInstanceOf(SecretError);
    expect(value).toBe(hookUrl);
  });

  describe('without an injected client (the SDK reads AWS_ENDPOINT_URL_SECRETS_MANAGER)', () => {
    const saved: Record<string, string | undefined> = {};
    const env = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: '',
      AWS_ACCESS_KEY_ID: fakeCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: fakeCredentials.secretAccessKey,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
      // Keep a developer's ~/.aws out of the test.
      AWS_CONFIG_FILE: '/nonexistent/aiops-detector-test-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aiops-detector-test-credentials',
    };

    beforeAll(() => {
      env.AWS_ENDPOINT_URL_SECRETS_MANAGER = server.endpoint;
      for (const [name, value] of Object.entries(env)) {
        saved[name] = process.env[name];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    afterAll(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it("reaches the endpoint from the environment and signs for the ARN's region", async () => {
      // Prepare: the server files the secret under eu-west-1's ARN; AWS_REGION is unset.
      const euServer = await startSecretsManagerServer({ region: 'eu-west-1' });
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = euServer.endpoint;
      const arn = euServer.setSecret('team/eu', hookUrl);
      const provider = createAwsSecretsManagerProvider({ secretId: arn });

      // Act
      const value = await provider.get().finally(() => provider.close());
      await euServer.stop();
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = server.endpoint;

      // Assess
      expect(value).toBe(hookUrl);
      expect(euServer.requests.map((r) => r.region)).toEqual(['eu-west-1']);
    });

    it('says a region is needed when a name is given and no region is configured', async () => {
      const provider = createAwsSecretsManagerProvider({ secretId: 'team/plain' });

      const error = await rejection(provider.get().finally(() => provider.close()));

      expect(error).toBeInstanceOf(SecretError);
      expect(error.message).toContain('team/plain');
      expect(error.message).toContain('AWS_REGION');
    });
  });
});

describe('parseWebhookSecret', () => {
  const cases: { name: string; value: string; message: RegExp }[] = [
    { name: 'malformed JSON', value: `{"url": "${hookUrl}", "signingSecret": ${signingSecret}}`, message: /not valid JSON/ },
    { name: 'JSON without url', value: JSON.stringify({ webhook: hookUrl, signingSecret }), message: /without a string "url".*webhook, signingSecret/ },
    { name: 'JSON with a non-http url', value: JSON.stringify({ url: `ftp://${signingSecret}@files.example/x` }), message: /scheme is not https/ },
    { name: 'a token instead of a URL', value: `xoxb:${signingSecret}`, message: /scheme is not https/ },
    { name: 'not a URL at all', value: `hooks.slack.example/services/${signingSecret}`, message: /neither an http\(s\) URL nor JSON/ },
    { name: 'JSON array', value: JSON.stringify([hookUrl]), message: /JSON object/ },
    { name: 'empty signingSecret', value: JSON.stringify({ url: hookUrl, signingSecret: '' }), message: /signingSecret/ },
    { name: 'blank', value: '  \n', message: /empty/ },
  ];

  for (const { name, value, message } of cases) {
    it(`rejects ${name} with a clear SecretError that quotes nothing of the value`, () => {
      let error: unknown;
      try {
        parseWebhookSecret(value, 'secretsManager team/hook');
      } catch (e) {
        error = e;
      }

      expect(error).toBeInstanceOf(SecretError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain('secretsManager team/hook');
      const shown = everythingShown(error);
      expect(shown).not.toContain(signingSecret);
      expect(shown).not.toContain('s3cr3tT0ken');
    });
  }

  it('accepts JSON already parsed by middy, and trims a URL pasted with a newline', () => {
    expect(parseWebhookSecret({ url: hookUrl, signingSecret })).toEqual({ url: hookUrl, signingSecret });
    expect(parseWebhookSecret(`${hookUrl}\n`)).toEqual({ url: hookUrl });
    expect(parseWebhookSecret(`  ${JSON.stringify({ url: ` ${hookUrl} ` })}`)).toEqual({ url: hookUrl });
  });
});

describe('@middy/secrets-manager with unwrapMiddyError', () => {
  afterEach(() => {
    // middy's cache keeps a refresh timer while cacheExpiry > 0 (see ../shared/DESIGN.md).
    clearCache();
  });

  function handlerFor(secretId: string, cacheExpiryMs: number) {
    return middy<unknown, WebhookSecret>()
      .use(
        secretsManager({
          fetchData: { webhook: secretId },
          awsClientOptions: { endpoint: server.endpoint, region: server.region, credentials: fakeCredentials, maxAttempts: 1 },
          // Outside Lambda a failed prefetch at import is an unhandled rejection.
          disablePrefetch: true,
          cacheExpiry: cacheExpiryMs,
          setToContext: true,
        }),
      )
      .handler((_event: unknown, context: Context & { webhook?: unknown }) =>
        Promise.resolve(parseWebhookSecret(context.webhook)),
      );
  }

  /** Only what middy reads of a Lambda context; `webhook` is what setToContext adds (typed so by middy). */
  const lambdaContext = () => ({ getRemainingTimeInMillis: () => 30_000 }) as Context & { webhook: unknown };

  it('hands a JSON secret to the handler, parsed, and refetches after cacheExpiry (rotation)', async () => {
    server.setSecret('middy/json', JSON.stringify({ url: 'https://hooks.example/one', signingSecret }));
    const handler = handlerFor('middy/json', 300);
    const first = await handler({}, lambdaContext());
    server.setSecret('middy/json', JSON.stringify({ url: 'https://hooks.example/two', signingSecret }));
    const cached = await handler({}, lambdaContext());
    await new Promise((resolve) => setTimeout(resolve, 400));
    const rotated = await handler({}, lambdaContext());

    expect(first).toEqual({ url: 'https://hooks.example/one', signingSecret });
    expect(cached.url).toBe('https://hooks.example/one');
    expect(rotated.url).toBe('https://hooks.example/two');
  });

  it('wraps a missing secret in "Failed to resolve internal values"; unwrapping finds the AWS error', async () => {
    const handler = handlerFor('middy/missing', 0);

    const error = await rejection(handler({}, lambdaContext()));
    const inner = unwrapMiddyError(error);
    const secretError = secretsManagerError('middy/missing', inner[0]);

    expect(error.message).toBe('Failed to resolve internal values');
    expect(isMiddyResolveError(error)).toBe(true);
    expect(inner).toHaveLength(1);
    expect((inner[0] as Error).name).toBe('ResourceNotFoundException');
    expect(secretError.message).toContain('middy/missing');
    expect(secretError.message).toContain('does not exist');
  });

  it('passes any other error through unchanged', () => {
    const plain = new Error('boom');
    expect(unwrapMiddyError(plain)).toEqual([plain]);
    expect(isMiddyResolveError(plain)).toBe(false);
    expect(unwrapMiddyError('text')).toEqual(['text']);
  });
});
