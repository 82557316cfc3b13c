/**
 * Running osls (the Serverless Framework) offline from tests and benchmarks: its binary, and the
 * environment that keeps it off the network and out of the user's home and AWS profile.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoDir = fileURLToPath(new URL('../..', import.meta.url));

/** osls' CLI, run with `node` directly (faster than npx, no npm notices). */
export const slsBin = join(repoDir, 'node_modules', 'osls', 'bin', 'serverless.js');

/**
 * The environment for an offline osls command: no telemetry or notifications, no instance
 * metadata lookups, no AWS config files, its `~/.serverless` cache inside the (ignored) build
 * folder, and its own esbuild work folder so parallel builds do not clash. `extra` adds
 * credentials and per-service endpoints.
 */
export function offlineSlsEnv(workFolder: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
  const home = join(repoDir, '.sls-home');
  return {
    PATH: process.env.PATH,
    HOME: home,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AIOPS_ESBUILD_WORK_FOLDER: workFolder,
    ...extra,
  };
}
