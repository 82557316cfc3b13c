/**
 * `aiops-detector backtest`: replay a `timestamp,value` CSV through the scheduled run's
 * detection and alert lifecycle (lib/detect/backtest.ts) and write
 * `timestamp,value,anomaly_score,alert`. I/O and argument handling only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import type { LifecyclePolicy } from '../alerts/lifecycle.js';
import type { Config, DetectorConfig } from '../config/config.js';
import { loadConfig } from '../config/load-config.js';
import { configDefaults } from '../config/schema.js';
import { CsvError, parseNumericCsv } from '../csv/index.js';
import { backtestSeries, type BacktestRow } from '../detect/backtest.js';
import { defaultDetector } from '../detect/defaults.js';
import { AiopsError, InputError, errorMessage } from '../errors.js';
import type { Command, CommandIo } from './command.js';

const usage = `Usage: aiops-detector backtest --input FILE.csv --output OUT.csv [--config FILE] [--detector NAME]

Replays a series point by point exactly as the scheduled run would have seen it (same
detection code, same settings) and writes one row per input row:

  timestamp,value,anomaly_score,alert

anomaly_score is the Isolation Forest score s(x) in [0, 1] of the row as the newest point of its
window, computed from rows up to its own only; 0 while the window has fewer than minPoints points.
alert is what the run would have logged: none, firing, repeat or resolved.

Options:
  --input FILE      CSV with a header and the columns timestamp and value ('-': standard input).
                    Timestamps: epoch seconds or milliseconds, or date-times (UTC unless an offset
                    is given), in ascending order.
  --output FILE     Where to write the result ('-': standard output).
  --config FILE     Take the detector and alert settings from this config (default: CONFIG_FILE,
                    else the seed's environment variables when PROM_QUERY is set, else the defaults).
  --detector NAME   Which detector of the config (needed when it has several).

The window holds windowMinutes * 60 / stepSeconds points, measured in the CSV's own median
spacing, so data sampled every 5 minutes is replayed with as many points per window as the run
would have at its step.
`;

interface Settings {
  detector: DetectorConfig;
  alertPolicy: LifecyclePolicy;
}

function parseOptions(argv: string[]): { input: string; output: string; config?: string; detector?: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        input: { type: 'string' },
        output: { type: 'string' },
        config: { type: 'string' },
        detector: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new InputError(`backtest: ${errorMessage(error)}\n\n${usage}`, { cause: error });
  }
  const input = values.input;
  const output = values.output;
  if (typeof input !== 'string' || input === '') throw new InputError(`backtest: --input FILE.csv is required\n\n${usage}`);
  if (typeof output !== 'string' || output === '') throw new InputError(`backtest: --output OUT.csv is required\n\n${usage}`);
  const result: { input: string; output: string; config?: string; detector?: string } = { input, output };
  if (typeof values.config === 'string') result.config = values.config;
  if (typeof values.detector === 'string') result.detector = values.detector;
  return result;
}

/** The run's settings: from the config `run` would load, else the defaults `run` would fill in. */
async function loadSettings(io: CommandIo, configPath: string | undefined, detectorName: string | undefined): Promise<Settings> {
  const hasConfig =
    configPath !== undefined || (io.env.CONFIG_FILE ?? '').trim() !== '' || (io.env.PROM_QUERY ?? '').trim() !== '';
  if (!hasConfig) {
    if (detectorName !== undefined) {
      throw new InputError(`backtest: --detector ${detectorName} needs a config (--config FILE or CONFIG_FILE)`);
    }
    return {
      detector: defaultDetector(),
      alertPolicy: {
        repeatIntervalMinutes: configDefaults.repeatIntervalMinutes,
        resolveAfter: configDefaults.resolveAfter,
        sendResolved: configDefaults.sendResolved,
      },
    };
  }
  const options: Parameters<typeof loadConfig>[0] = {
    env: io.env,
    readFile: (path) => readFile(path, 'utf8'),
    tmpdir,
    cwd: io.cwd,
  };
  if (configPath !== undefined) options.argvConfigPath = configPath;
  const config: Config = await loadConfig(options);
  const names = config.detectors.map((d) => d.name);
  let detector: DetectorConfig | undefined;
  if (detectorName !== undefined) {
    detector = config.detectors.find((d) => d.name === detectorName);
    if (!detector) throw new InputError(`backtest: no detector '${detectorName}' in the config (it has: ${names.join(', ')})`);
  } else if (config.detectors.length === 1) {
    detector = config.detectors[0]!;
  } else {
    throw new InputError(`backtest: the config has ${names.length} detectors (${names.join(', ')}): choose one with --detector NAME`);
  }
  const { repeatIntervalMinutes, resolveAfter, sendResolved } = config.alerts;
  return { detector, alertPolicy: { repeatIntervalMinutes, resolveAfter, sendResolved } };
}

async function readInput(io: CommandIo, input: string): Promise<{ text: string; source: string }> {
  if (input === '-') return { text: await io.readStdin(), source: 'standard input' };
  const path = resolvePath(io.cwd, input);
  try {
    return { text: await readFile(path, 'utf8'), source: input };
  } catch (error) {
    throw new InputError(`backtest: cannot read ${input}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * The header's column names and line, read before the rows so a missing column is reported as
 * such (not as a cell of the wrong column that fails to parse). Quotes around names are removed.
 */
function headerOf(text: string): { names: string[]; line: number } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  const index = lines.findIndex((line) => line.trim() !== '');
  if (index < 0) return { names: [], line: 1 };
  const names = lines[index]!.split(',').map((name) => name.trim().replace(/^"(.*)"$/, '$1'));
  return { names, line: index + 1 };
}

/** The `timestamp` and `value` columns of the CSV, checked for order; errors name line and column. */
function readSeries(text: string, source: string): { timestampText: readonly string[]; timestampsMs: Float64Array; values: Float64Array } {
  const header = headerOf(text);
  const missing = ['timestamp', 'value'].filter((name) => !header.names.includes(name));
  if (header.names.length > 0 && missing.length > 0) {
    throw new CsvError(
      `${source}: line ${header.line} (header): missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(' and ')} (the header has ${header.names.map((h) => `'${h}'`).join(', ')}; expected timestamp,value)`,
    );
  }
  const table = parseNumericCsv(text, { source });
  if (table.rows === 0) throw new CsvError(`${source}: no data rows after the header`);
  const timestamp = table.timestamp!;
  const values = table.columns.find((c) => c.name === 'value')!.values;
  for (let r = 1; r < table.rows; r++) {
    if (timestamp.epochMs[r]! < timestamp.epochMs[r - 1]!) {
      throw new CsvError(
        `${source}: line ${table.lineNumbers[r]}, column 'timestamp': '${timestamp.text[r]}' is before '${timestamp.text[r - 1]}' on line ${table.lineNumbers[r - 1]} (rows must be in ascending time order)`,
      );
    }
  }
  return { timestampText: timestamp.text, timestampsMs: timestamp.epochMs, values };
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Six decimals are plenty for a score in [0, 1] and keep the file readable; `0` stays `0`. */
function formatScore(score: number): string {
  return String(Number(score.toFixed(6)));
}

function formatOutput(timestampText: readonly string[], rows: readonly BacktestRow[]): string {
  const lines = ['timestamp,value,anomaly_score,alert'];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    lines.push(`${csvCell(timestampText[i]!)},${String(row.value)},${formatScore(row.anomalyScore)},${row.alert}`);
  }
  return `${lines.join('\n')}\n`;
}

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'replay a timestamp,value CSV as the scheduled run would have seen it; write scores and alerts',
  usage,
  async run(argv, io) {
    const options = parseOptions(argv);
    const settings = await loadSettings(io, options.config, options.detector);
    const { text, source } = await readInput(io, options.input);
    const series = readSeries(text, source);
    const result = await backtestSeries(
      { timestampsMs: series.timestampsMs, values: series.values },
      settings.detector,
      { alertPolicy: settings.alertPolicy, signal: io.signal },
    );
    const csv = formatOutput(series.timestampText, result.rows);
    if (options.output === '-') {
      io.stdout(csv);
    } else {
      const path = resolvePath(io.cwd, options.output);
      try {
        await writeFile(path, csv, 'utf8');
      } catch (error) {
        throw new AiopsError(`backtest: cannot write ${options.output}: ${errorMessage(error)}`, { cause: error });
      }
    }
    const fired = result.rows.filter((r) => r.alert === 'firing').length;
    const scored = result.rows.filter((r) => r.anomalyScore > 0).length;
    io.stderr(
      `backtest: ${result.rows.length} rows (${scored} scored), ${fired} alert${fired === 1 ? '' : 's'} fired; detector '${settings.detector.name}', window ${result.windowPoints} points at ${result.spacingMs / 1000} s spacing\n`,
    );
    return 0;
  },
};
