/**
 * The `secretsManager` adapter of the SecretProvider port: one secret read with
 * `GetSecretValue` through the real AWS SDK client. The Lambda handler fetches its webhook
 * secret through @middy/secrets-manager instead (cached across warm invocations) and uses only
 * {@link parseWebhookSecret} and {@link secretsManagerError} from here; this provider serves
 * the other paths (`aiops-detector run` with a `secretsManager:` ref).
 *
 * The value is either the webhook URL itself or JSON `{"url": "...", "signingSecret": "..."}`.
 * Neither a value nor a piece of it ever reaches an error message; errors name the secret id.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { errorMessage } from '../errors.js';
import { SecretError } from './errors.js';
import type { SecretProvider } from './secret-provider.js';

export interface AwsSecretsManagerOptions {
  /** Secret name or ARN. */
  secretId: string;
  /** Region of the secret; an ARN's own region, else the SDK's default chain (AWS_REGION). */
  region?: string;
  /**
   * How long a fetched value is reused (ms). 0 fetches on every `get()`. No timer is kept, so
   * a one-shot process exits as soon as it is done (unlike middy's refreshing cache).
   */
  cacheExpiryMs?: number;
}

export interface AwsSecretsManagerDeps {
  /** The Secrets Manager client; tests point one at a local server. Not destroyed when given. */
  client?: SecretsManagerClient;
  /** Clock for the cache (Unix ms). */
  now?: () => number;
}

/** What a webhook secret holds. */
export interface WebhookSecret {
  url: string;
  /** The generic webhook's signing secret (`whsec_<base64>` or any string), when set. */
  signingSecret?: string;
}

const defaults = {
  cacheExpiryMs: 0,
} as const;

/** `arn:aws:secretsmanager:eu-west-1:123456789012:secret:name-AbCdEf` -> `eu-west-1`. */
export function regionOfSecretArn(secretId: string): string | undefined {
  const parts = secretId.split(':');
  return parts[0] === 'arn' && parts[2] === 'secretsmanager' && parts[3] ? parts[3] : undefined;
}

/**
 * A SecretError for a failed `GetSecretValue` of `secretId`, with a hint per AWS error and the
 * original as `cause`. AWS error messages name resources and principals, never secret values.
 */
export function secretsManagerError(secretId: string, error: unknown): SecretError {
  const where = `Secret secretsManager ${secretId}`;
  const name = error instanceof Error ? error.name : '';
  const detail = errorMessage(error);
  const hints: Record<string, string> = {
    ResourceNotFoundException: 'does not exist in this account and region (create it, or check the name/ARN and region)',
    AccessDeniedException: 'cannot be read: access denied (the role needs secretsmanager:GetSecretValue on it, and kms:Decrypt for a customer-managed key)',
    DecryptionFailure: 'cannot be decrypted with its KMS key (check kms:Decrypt on the key)',
    InvalidRequestException: 'cannot be read now (is it scheduled for deletion?)',
    InvalidParameterException: 'was asked for with an invalid parameter',
    UnrecognizedClientException: 'cannot be read: the AWS credentials are not valid',
    ExpiredTokenException: 'cannot be read: the AWS credentials have expired',
  };
  const hint = hints[name];
  if (hint) return new SecretError(`${where} ${hint}: ${name}: ${detail}`, { cause: error });
  if (/region is missing/i.test(detail)) {
    return new SecretError(`${where}: no AWS region (set AWS_REGION or use the secret's ARN)`, { cause: error });
  }
  return new SecretError(`${where} cannot be read: ${name ? `${name}: ` : ''}${detail}`, { cause: error });
}

/** A provider for one Secrets Manager secret, cached for `cacheExpiryMs`. */
export function createAwsSecretsManagerProvider(
  options: AwsSecretsManagerOptions,
  deps: AwsSecretsManagerDeps = {},
): SecretProvider & { close(): void } {
  const { secretId, cacheExpiryMs } = { ...defaults, ...options };
  if (secretId.trim() === '') throw new SecretError('Secret secretsManager: the secret id (name or ARN) is empty');
  const region = options.region ?? regionOfSecretArn(secretId);
  const ownsClient = deps.client === undefined;
  const client = deps.client ?? new SecretsManagerClient(region ? { region } : {});
  const now = deps.now ?? Date.now;
  const description = `secretsManager ${secretId}`;
  let cached: { value: string; fetchedAtMs: number } | undefined;
  // Concurrent get()s share one request instead of each calling AWS.
  let inFlight: Promise<string> | undefined;

  const fetchValue = async (signal?: AbortSignal): Promise<string> => {
    let response;
    try {
      response = await client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal: signal });
    } catch (error) {
      throw secretsManagerError(secretId, error);
    }
    if (response.SecretString === undefined) {
      throw new SecretError(
        `Secret ${description} has no string value (binary secrets are not supported: store the URL or JSON as text)`,
      );
    }
    if (response.SecretString.trim() === '') throw new SecretError(`Secret ${description} is empty`);
    return response.SecretString;
  };

  return {
    description,
    get: async ({ signal } = {}) => {
      if (cached && now() - cached.fetchedAtMs < cacheExpiryMs) return cached.value;
      inFlight ??= fetchValue(signal)
        .then((value) => {
          cached = { value, fetchedAtMs: now() };
          return value;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
    close: () => {
      if (ownsClient) client.destroy();
    },
  };
}

/**
 * Reads a webhook secret: a plain `http(s)` URL, or JSON `{"url": "...", "signingSecret": "..."}`
 * as a string or already parsed (@middy/secrets-manager parses JSON secrets itself). Throws a
 * {@link SecretError} naming `description` and what is wrong, never quoting the value.
 */
export function parseWebhookSecret(value: unknown, description = 'webhook secret'): WebhookSecret {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') throw new SecretError(`Secret ${description} is empty`);
    if (!text.startsWith('{') && !text.startsWith('[')) return { url: checkUrl(text, description) };
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text around the error: not passed on, not even as cause.
      throw new SecretError(
        `Secret ${description} looks like JSON but is not valid JSON; expected a URL or {"url": "...", "signingSecret": "..."}`,
      );
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretError(`Secret ${description} must be a URL or a JSON object {"url": "...", "signingSecret": "..."}`);
  }
  const record = parsed as Record<string, unknown>;
  const keys = Object.keys(record);
  if (typeof record.url !== 'string' || record.url.trim() === '') {
    throw new SecretError(
      `Secret ${description} is JSON without a string "url" field (it has: ${keys.length ? keys.join(', ') : 'no fields'})`,
    );
  }
  const secret: WebhookSecret = { url: checkUrl(record.url.trim(), description) };
  if (record.signingSecret !== undefined) {
    if (typeof record.signingSecret !== 'string' || record.signingSecret === '') {
      throw new SecretError(`Secret ${description}: "signingSecret" must be a non-empty string when present`);
    }
    secret.signingSecret = record.signingSecret;
  }
  return secret;
}

function checkUrl(text: string, description: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SecretError(`Secret ${description} is neither an http(s) URL nor JSON {"url": "..."}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    // Not even the scheme is quoted: in `token:rest` the "scheme" is part of a credential.
    throw new SecretError(`Secret ${description} is a URL whose scheme is not https: or http:`);
  }
  return text;
}
