/**
 * What every command that runs detection does first: load the configuration, build the logger
 * (whose redaction list receives every secret resolved later) and the runtime (source, store,
 * sinks, write-back). `run` and `serve` share it.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Config } from '../config/config.js';
import { describeConfig } from '../config/describe-config.js';
import { loadConfig } from '../config/index.js';
import { createLogger, type Logger, type LogLevel } from '../log.js';
import { createRuntime, type Runtime } from '../runtime.js';
import type { CommandIo } from './command.js';

export interface Bootstrapped {
  config: Config;
  logger: Logger;
  runtime: Runtime;
}

/**
 * Loads `configPath` (or `CONFIG_FILE`, or the seed's env vars) and builds logger and runtime.
 * Throws ConfigError (exit 2) for an invalid configuration. The caller closes the runtime.
 */
export async function bootstrap(
  io: CommandIo,
  options: { configPath?: string; logConfigurationAt: 'debug' | 'info' },
): Promise<Bootstrapped> {
  const secrets: string[] = [];
  const out = (line: string): void => io.stdout(`${line}\n`);
  const err = (line: string): void => io.stderr(`${line}\n`);
  const read = (path: string): Promise<string> => readFile(path, 'utf8');
  const bootLogger = createLogger({ out, err, secrets });
  const config = await loadConfig({
    ...(options.configPath !== undefined ? { argvConfigPath: options.configPath } : {}),
    env: io.env,
    readFile: read,
    tmpdir,
    cwd: io.cwd,
    warn: (message, fields) => bootLogger.warn(message, fields),
  });
  const level = (io.env.LOG_LEVEL as LogLevel | undefined) ?? config.logLevel ?? 'info';
  const logger = createLogger({ out, err, secrets, level });
  logger[options.logConfigurationAt]('configuration', describeConfig(config));
  const runtime = await createRuntime(config, { logger, env: io.env, readFile: read, secrets, consoleWrite: out });
  return { config, logger, runtime };
}
