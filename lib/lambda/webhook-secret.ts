/**
 * The webhook secret as @middy/secrets-manager fetched it (cached across warm invocations),
 * turned into what the sinks resolve: a `secretsManager` SecretProvider that answers from that
 * value instead of calling AWS a second time. A secret that could not be fetched or parsed
 * becomes a provider that fails with a clear SecretError (naming the secret id, never the
 * value), so lib/sinks/create-sinks.ts keeps that sink as an unavailable one: the run still
 * evaluates and its notifications stay pending until the secret is fixed.
 */
import { unwrapMiddyError } from '../aws/middy-errors.js';
import { parseWebhookSecret, secretsManagerError, type WebhookSecret } from '../secrets/aws-secrets-manager.js';
import { SecretError } from '../secrets/errors.js';
import type { SecretProviderFactories } from '../secrets/resolve-secret.js';
import type { SecretProvider } from '../secrets/secret-provider.js';
import { signingSecretSuffix } from './lambda-config.js';

/** What the secrets middleware produced for one invocation. */
export type WebhookSecretFetch = { secretId: string; value: unknown } | { secretId: string; error: unknown };

/** The parsed webhook secret, or why it cannot be used. */
export type WebhookSecretRead = { secretId: string; secret: WebhookSecret } | { secretId: string; error: SecretError };

/** Parses what middy fetched; a fetch failure is unwrapped from middy's generic wrapper. */
export function readWebhookSecret(fetched: WebhookSecretFetch): WebhookSecretRead {
  const { secretId } = fetched;
  if ('error' in fetched) {
    const [first] = unwrapMiddyError(fetched.error);
    return { secretId, error: first instanceof SecretError ? first : secretsManagerError(secretId, first) };
  }
  try {
    return { secretId, secret: parseWebhookSecret(fetched.value, `secretsManager ${secretId}`) };
  } catch (error) {
    if (error instanceof SecretError) return { secretId, error };
    throw error;
  }
}

function provider(description: string, get: () => Promise<string>): SecretProvider {
  return { description, get };
}

/**
 * `secretsManager` refs served from the fetched webhook secret: `<id>` is its URL,
 * `<id>#signingSecret` its signing secret. Any other id goes to `others` (a direct
 * GetSecretValue; the function's role must be allowed to read it), or fails when absent.
 */
export function webhookSecretProviders(
  read: WebhookSecretRead,
  others?: (secretId: string) => SecretProvider,
): SecretProviderFactories {
  return {
    secretsManager: (id) => {
      if (id === read.secretId) {
        return provider(`secretsManager ${id}`, () =>
          'error' in read ? Promise.reject(read.error) : Promise.resolve(read.secret.url),
        );
      }
      if (id === `${read.secretId}${signingSecretSuffix}`) {
        return provider(`secretsManager ${id}`, () => {
          if ('error' in read) return Promise.reject(read.error);
          if (read.secret.signingSecret === undefined) {
            return Promise.reject(new SecretError(`Secret secretsManager ${read.secretId} has no "signingSecret" field`));
          }
          return Promise.resolve(read.secret.signingSecret);
        });
      }
      if (others) return others(id);
      throw new SecretError(
        `Secret secretsManager ${id}: only the webhook secret ALERT_WEBHOOK_SECRET_ID (${read.secretId}) is fetched by this function`,
      );
    },
  };
}
