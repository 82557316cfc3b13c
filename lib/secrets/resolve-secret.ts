/**
 * One entry point from a config's {@link SecretRef} to a secret's value. env and file refs are
 * served here; `secretsManager` needs an adapter handed in through `deps.providers` (the AWS
 * path adds it), so this module pulls in no AWS SDK.
 */
import type { SecretRef } from '../config/config.js';
import { createEnvSecretProvider } from './env.js';
import { SecretError } from './errors.js';
import { createFileSecretProvider } from './file.js';
import type { SecretProvider } from './secret-provider.js';

/** Factories for refs that need an adapter; keyed by the ref's kind. */
export interface SecretProviderFactories {
  /** Builds a provider for one Secrets Manager secret id or ARN. */
  secretsManager?: (secretId: string) => SecretProvider;
}

export interface ResolveSecretDeps {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => Promise<string>;
  providers?: SecretProviderFactories;
  signal?: AbortSignal;
}

/** A secret-free description of where a ref points: `env ALERT_WEBHOOK`, `file /run/x`. */
export function describeSecretRef(ref: SecretRef): string {
  if ('env' in ref) return `env ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  if ('secretsManager' in ref) return `secretsManager ${ref.secretsManager}`;
  return 'inline value';
}

/** The provider for a ref; throws {@link SecretError} when the ref's kind has no adapter here. */
export function secretProviderFor(ref: SecretRef, deps: ResolveSecretDeps = {}): SecretProvider {
  if ('env' in ref) return createEnvSecretProvider({ name: ref.env }, { env: deps.env });
  if ('file' in ref) return createFileSecretProvider({ path: ref.file }, { readFile: deps.readFile });
  if ('secretsManager' in ref) {
    const factory = deps.providers?.secretsManager;
    if (!factory) {
      throw new SecretError(
        `Secret secretsManager ${ref.secretsManager}: AWS Secrets Manager is only available with the AWS adapter ` +
          '(the Lambda deployment, or a run wired with lib/secrets/aws-secrets-manager.ts); use an env or file secret here',
      );
    }
    return factory(ref.secretsManager);
  }
  const value = ref.value;
  return {
    description: 'inline value',
    get: () =>
      value.trim() === ''
        ? Promise.reject(new SecretError('Secret inline value is empty'))
        : Promise.resolve(value),
  };
}

/**
 * The value a ref points to. Throws {@link SecretError} (naming the env var, file path or
 * secret id, never the value) when it is missing, unreadable or empty.
 */
export async function resolveSecret(ref: SecretRef, deps: ResolveSecretDeps = {}): Promise<string> {
  const provider = secretProviderFor(ref, deps);
  const value = await provider.get({ signal: deps.signal });
  if (value.trim() === '') throw new SecretError(`Secret ${provider.description} is empty`);
  return value;
}
