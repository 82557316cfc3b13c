/**
 * How the CLI's commands that run detection (`run`, `serve`) start: lib/start.ts with the
 * configuration from `--config FILE`, `CONFIG_FILE` or the seed's environment variables, and
 * the command's streams.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { loadConfig } from '../config/index.js';
import type { CycleObserver } from '../self-metrics/cycle-figures.js';
import { start, type Started } from '../start.js';
import type { CommandIo } from './command.js';

/**
 * Loads `configPath` (or `CONFIG_FILE`, or the seed's env vars) and starts the detector. Throws
 * ConfigError (exit 2) for an invalid configuration. The caller closes what it returns.
 */
export function bootstrap(
  io: CommandIo,
  options: { configPath?: string; logConfigurationAt: 'debug' | 'info'; onCycle?: CycleObserver },
): Promise<Started> {
  const out = (line: string): void => io.stdout(`${line}\n`);
  const read = (path: string): Promise<string> => readFile(path, 'utf8');
  return start({
    loadConfig: (warn) =>
      loadConfig({
        ...(options.configPath !== undefined ? { argvConfigPath: options.configPath } : {}),
        env: io.env,
        readFile: read,
        tmpdir,
        cwd: io.cwd,
        warn,
      }),
    out,
    err: (line) => io.stderr(`${line}\n`),
    logConfigurationAt: options.logConfigurationAt,
    runtime: { env: io.env, readFile: read, consoleWrite: out },
    ...(options.onCycle ? { onCycle: options.onCycle } : {}),
  });
}
