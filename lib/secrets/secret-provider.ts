/**
 * The SecretProvider port: where webhook URLs and tokens come from. Adapters: env, file
 * (Kubernetes Secret mounted as a file), aws-secrets-manager (the Lambda path goes through
 * middy instead and hands the value in). Values are never logged.
 */
export interface SecretProvider {
  /** Secret-free description for errors: `env ALERT_WEBHOOK`, `file /var/run/secrets/webhook`. */
  readonly description: string;
  /** The secret's value; throws SecretError (lib/secrets/errors.ts) when missing or unreadable. */
  get(options?: { signal?: AbortSignal }): Promise<string>;
}
