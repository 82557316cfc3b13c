import { describe, expect, it } from 'vitest';
import { signingSecretSuffix } from '../../../lib/lambda/lambda-config.js';
import { readWebhookSecret, webhookSecretProviders } from '../../../lib/lambda/webhook-secret.js';
import { SecretError } from '../../../lib/secrets/errors.js';

const secretId = 'team/alerts';
const url = 'https://hooks.example.com/services/T0KEN-abc123';

/** What @middy/util throws when a fetch fails: the real error is in cause.data. */
function middyFailure(error: Error): Error {
  return new Error('Failed to resolve internal values', { cause: { package: '@middy/util', data: [error] } });
}

describe('readWebhookSecret', () => {
  it('reads a plain URL and middy-parsed JSON with a signing secret', () => {
    expect(readWebhookSecret({ secretId, value: url })).toEqual({ secretId, secret: { url } });
    expect(readWebhookSecret({ secretId, value: { url, signingSecret: 'k3y' } })).toEqual({
      secretId,
      secret: { url, signingSecret: 'k3y' },
    });
  });

  it("unwraps middy's wrapper: the error names the secret and AWS' reason", () => {
    const notFound = Object.assign(new Error("Secrets Manager can't find the specified secret."), {
      name: 'ResourceNotFoundException',
    });
    const read = readWebhookSecret({ secretId, error: middyFailure(notFound) });
    expect('error' in read && read.error).toBeInstanceOf(SecretError);
    const message = 'error' in read ? read.error.message : '';
    expect(message).toContain(secretId);
    expect(message).toContain('ResourceNotFoundException');
    expect(message).not.toContain('Failed to resolve internal values');
  });

  it('reports a malformed value without quoting it', () => {
    const read = readWebhookSecret({ secretId, value: '{"url": "https://hooks.example.com/T0KEN-abc123"' });
    const message = 'error' in read ? read.error.message : '';
    expect(message).toMatch(/not valid JSON/);
    expect(message).not.toContain('T0KEN');
  });
});

describe('webhookSecretProviders', () => {
  it('serves the URL and the signing secret from the fetched value', async () => {
    const providers = webhookSecretProviders({ secretId, secret: { url, signingSecret: 'k3y' } });
    await expect(providers.secretsManager!(secretId).get()).resolves.toBe(url);
    await expect(providers.secretsManager!(`${secretId}${signingSecretSuffix}`).get()).resolves.toBe('k3y');
  });

  it('fails every get with the read error, so the sink keeps its notifications pending', async () => {
    const error = new SecretError(`Secret secretsManager ${secretId} does not exist`);
    const providers = webhookSecretProviders({ secretId, error });
    await expect(providers.secretsManager!(secretId).get()).rejects.toBe(error);
  });

  it('refuses other secret ids by name (the role may read only the one secret)', () => {
    const providers = webhookSecretProviders({ secretId, secret: { url } });
    expect(() => providers.secretsManager!('other/secret')).toThrow(/other\/secret.*only the webhook secret/);
  });
});
