/**
 * `aiops-detector run`: one detection cycle over every configured detector, as the scheduled
 * entry points do it. Exit code 0 when every detector ran and every delivery succeeded, 1 when
 * any failed (the failures are logged; undelivered notifications stay pending), 2 for a
 * configuration or usage error.
 */
import { parseArgs } from 'node:util';
import { InputError } from '../errors.js';
import { bootstrap } from './bootstrap.js';
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
  const started = await bootstrap(io, {
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    logConfigurationAt: 'debug',
  });
  try {
    const summary = await started.runCycle({
      now,
      signal: io.signal,
      dryRun: flags['dry-run'],
      ...(flags.detector ? { detectors: flags.detector } : {}),
    });
    return summary.ok ? 0 : 1;
  } finally {
    await started.close();
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run one detection cycle over every configured detector',
  usage,
  run,
};
