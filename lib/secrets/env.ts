/**
 * Secrets from environment variables (`ALERT_WEBHOOK`, `SLACK_WEBHOOK_URL`, ...).
 */
import { SecretError } from './errors.js';
import type { SecretProvider } from './secret-provider.js';

export interface EnvSecretOptions {
  /** Name of the environment variable. */
  name: string;
}

export interface EnvSecretDeps {
  env?: Readonly<Record<string, string | undefined>>;
}

/** A provider reading one environment variable; unset or empty is a {@link SecretError}. */
export function createEnvSecretProvider(options: EnvSecretOptions, deps: EnvSecretDeps = {}): SecretProvider {
  const env = deps.env ?? process.env;
  const description = `env ${options.name}`;
  return {
    description,
    get: () => {
      const value = env[options.name];
      if (value === undefined) {
        return Promise.reject(new SecretError(`Secret ${description}: environment variable ${options.name} is not set`));
      }
      if (value.trim() === '') {
        return Promise.reject(new SecretError(`Secret ${description}: environment variable ${options.name} is empty`));
      }
      return Promise.resolve(value);
    },
  };
}
