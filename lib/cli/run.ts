/**
 * `aiops-detector run`: one detection cycle over every configured detector, as the scheduled
 * entry points do it. Exit code 0 when every detector ran and every delivery succeeded, 1 when
 * any failed (the failures are logged; undelivered notifications stay pending), 2 for a
 * configuration or usage error.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { describeConfig } from '../config/describe-config.js';
import { InputError } from '../errors.js';
import { createLogger, type LogLevel } from '../log.js';
import { runDetection } from '../run.js';
import { createRuntime } from '../runtime.js';
import type { Command, CommandIo } from './command.js';

const usage = `Usage: aiops-detector run [--config FILE] [--dry-run] [--detector NAME]... [--now TIME]

Runs one detection cycle: for every detector, reads its window from Prometheus, scores every
series, decides which are anomalous now, and delivers alerts. Prints one JSON line per series
and a summary line to standard output; diagnostics go to standard error.

Options:
  --config FILE      YAML configuration (default: $CONFIG_FILE, else the environment variables
                     PROMETHEUS_URL, PROM_QUERY, ... make one detector)
  --dry-run          send nothing and change no alert state
  --detector NAME    run only this detector (repeatable)
  --now TIME         evaluate as of this time (ISO 8601), for replaying a past window

Exit status: 0 all good, 1 a detector or a delivery failed, 2 bad configuration or usage.
`;

function parseRunArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        detector: { type: 'string', multiple: true },
        now: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    if (error instanceof TypeError) throw new InputError(`run: ${error.message}`, { cause: error });
    throw error;
  }
}

function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new InputError(`run: --now must be an ISO 8601 time, got '${text}'`);
  return date;
}

async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseRunArgs(argv);
  const now = parseNow(flags.now);
  const secrets: string[] = [];
  const out = (line: string): void => io.stdout(`${line}\n`);
  const err = (line: string): void => io.stderr(`${line}\n`);
  const bootLogger = createLogger({ out, err, secrets });
  const config = await loadConfig({
    ...(flags.config !== undefined ? { argvConfigPath: flags.config } : {}),
    env: io.env,
    readFile: (path) => readFile(path, 'utf8'),
    tmpdir,
    cwd: io.cwd,
    warn: (message, fields) => bootLogger.warn(message, fields),
  });
  const level = (io.env.LOG_LEVEL as LogLevel | undefined) ?? config.logLevel ?? 'info';
  const logger = createLogger({ out, err, secrets, level });
  logger.debug('configuration', describeConfig(config));

  const runtime = await createRuntime(config, {
    logger,
    env: io.env,
    readFile: (path) => readFile(path, 'utf8'),
    secrets,
    consoleWrite: out,
  });
  try {
    const summary = await runDetection({ ...runtime, config, logger }, {
      now,
      signal: io.signal,
      dryRun: flags['dry-run'],
      ...(flags.detector ? { detectors: flags.detector } : {}),
    });
    return summary.ok ? 0 : 1;
  } finally {
    await runtime.close();
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run one detection cycle over every configured detector',
  usage,
  run,
};
