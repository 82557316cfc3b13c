/**
 * `aiops-detector backtest`: parses and checks its flags, chooses the run's settings (a config
 * or the defaults), calls the backtest library (lib/backtest: the replay, the CSV in and out,
 * Prometheus history, the report's rows), and writes the CSV and the HTML report
 * (lib/report/html-report.ts), the progress bar and the summary; returns the exit code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import {
  formatCsvOutput,
  formatSeriesOutput,
  formatTime,
  parseCsvSeries,
  parseStepSeconds,
  parseTimeFlag,
  readCsvInput,
  readPrometheusHistory,
  replayEach,
  replayPrometheusHistory,
  reportSeriesOf,
  type BacktestRow,
  type BacktestSettings,
  type NamedSeries,
  type ReplayEachOptions,
  type ReplayedSeries,
} from '../backtest/index.js';
import type { Config, DetectorConfig, PrometheusConfig } from '../config/config.js';
import { loadConfig } from '../config/load-config.js';
import { defaultAlertPolicy, defaultDetector, defaultPrometheus } from '../config/defaults.js';
import { httpUrlMessage, isHttpUrl } from '../config/fields.js';
import { envDetectorName } from '../config/env-config.js';
import { AiopsError, InputError, errorMessage } from '../errors.js';
import { redactUrl } from '../redact.js';
import { writeBacktestReport } from '../report/html-report.js';
import { SourceError } from '../sources/errors.js';
import { createPrometheusSource } from '../sources/prometheus/prometheus-source.js';
import type { RangeQuery } from '../sources/source.js';
import { backtestUsage, usageError } from './backtest-usage.js';
import type { Command, CommandIo } from './command.js';
import { createProgressBar, type ProgressBar } from './progress.js';

interface Options {
  input?: string;
  output?: string;
  report?: string;
  config?: string;
  detector?: string;
  prometheus?: string;
  query?: string;
  start?: string;
  end?: string;
  step?: string;
}

/** Flags that only mean something when replaying from Prometheus. */
const prometheusFlags = ['prometheus', 'query', 'start', 'end', 'step'] as const;

interface Settings extends BacktestSettings {
  /** The loaded configuration, when there was one. */
  config?: Config;
}

function parseOptions(argv: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        input: { type: 'string' },
        output: { type: 'string' },
        report: { type: 'string' },
        config: { type: 'string' },
        detector: { type: 'string' },
        prometheus: { type: 'string' },
        query: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        step: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw usageError(errorMessage(error), error);
  }
  const options: Options = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'string') continue;
    if (value.trim() === '') throw usageError(`--${key} must not be empty`);
    options[key as keyof Options] = value;
  }
  if (options.output === undefined && options.report === undefined) {
    throw usageError('--output OUT.csv is required (or --report OUT.html, or both)');
  }
  if (options.input !== undefined) {
    const conflicting = prometheusFlags.find((flag) => options[flag] !== undefined);
    if (conflicting !== undefined) {
      throw usageError(
        conflicting === 'prometheus'
          ? '--input and --prometheus cannot be used together: replay a CSV file or a Prometheus query, not both'
          : `--${conflicting} only applies with --prometheus (it has no meaning for --input FILE.csv)`,
      );
    }
  } else if (!prometheusFlags.some((flag) => options[flag] !== undefined)) {
    throw usageError('--input FILE.csv is required (or --prometheus URL --query PROMQL --start TIME --end TIME)');
  } else {
    if (options.start === undefined) throw usageError('--start TIME is required with --prometheus');
    if (options.end === undefined) throw usageError('--end TIME is required with --prometheus');
  }
  return options;
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
      alertPolicy: defaultAlertPolicy,
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
  return { detector, alertPolicy: { repeatIntervalMinutes, resolveAfter, sendResolved }, config };
}

async function writeOutput(io: CommandIo, output: string, text: string): Promise<void> {
  if (output === '-') {
    io.stdout(text);
    return;
  }
  try {
    await writeFile(resolvePath(io.cwd, output), text, 'utf8');
  } catch (error) {
    throw new AiopsError(`backtest: cannot write ${output}: ${errorMessage(error)}`, { cause: error });
  }
}

/** Writes the HTML report of `replayed` to `path`, made now. */
function writeReport(io: CommandIo, path: string, title: string, replayed: readonly ReplayedSeries[]): void {
  const series = reportSeriesOf(replayed);
  try {
    // The page's only clock reading: when it was made (shown in its header).
    writeBacktestReport(resolvePath(io.cwd, path), series, { title, generatedAt: new Date() });
  } catch (error) {
    throw new AiopsError(`backtest: cannot write the report ${path}: ${errorMessage(error)}`, { cause: error });
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function summaryOf(rows: readonly BacktestRow[]): string {
  const fired = rows.filter((r) => r.alert === 'firing').length;
  // A row has a verdict when it has a threshold; its (onset) score may be exactly 0.
  const scored = rows.filter((r) => Number.isFinite(r.threshold)).length;
  return `${rows.length} rows (${scored} scored), ${plural(fired, 'alert')} fired`;
}

/** Runs `replay` with a progress bar over all its rows; the bar is cleared on any exit. */
async function withProgress<T>(io: CommandIo, replay: (options: ReplayEachOptions) => Promise<T>): Promise<T> {
  const progress: ProgressBar = createProgressBar({ write: io.stderr, isTty: io.stderrIsTty, label: 'backtest' });
  try {
    return await replay({
      signal: io.signal,
      onProgress: (done, total, index, count) => progress.update(done, total, count > 1 ? `(series ${index + 1}/${count})` : undefined),
    });
  } finally {
    progress.clear();
  }
}

async function backtestCsv(io: CommandIo, options: Options, settings: Settings, input: string): Promise<number> {
  const { text, source } = await readCsvInput(input, io);
  const series = parseCsvSeries(text, source);
  const [result] = await withProgress(io, (replay) =>
    replayEach([{ timestampsMs: series.timestampsMs, values: series.values }], settings, replay),
  );
  const rows = result!.rows;
  if (options.output !== undefined) await writeOutput(io, options.output, formatCsvOutput(series.timestampText, rows));
  if (options.report !== undefined) {
    const name = input === '-' ? 'standard input' : basename(input);
    writeReport(io, options.report, `Backtest of ${name}`, [{ name, rows }]);
  }
  io.stderr(
    `backtest: ${summaryOf(rows)}; detector '${settings.detector.name}', window ${result!.windowPoints} points at ${result!.spacingMs / 1000} s spacing\n`,
  );
  return 0;
}

/** Where to query: `--prometheus` over the config's URL; auth and the rest from the config. */
function prometheusConfigOf(options: Options, settings: Settings): PrometheusConfig {
  const base: PrometheusConfig = settings.config?.prometheus ?? defaultPrometheus;
  if (options.prometheus === undefined) {
    if (settings.config === undefined) throw usageError('--prometheus URL is required (or a --config whose prometheus.url to use)');
    return base;
  }
  const url = options.prometheus.replace(/\/+$/, '');
  if (!isHttpUrl(url)) {
    throw new InputError(`backtest: --prometheus ${httpUrlMessage}, got ${redactUrl(url)}`);
  }
  // The recording (the embedded demo) is a config's stand-in for a server: a URL replaces it.
  const { recording: _recording, ...rest } = base;
  return { ...rest, url };
}

async function backtestPrometheus(io: CommandIo, options: Options, loaded: Settings): Promise<number> {
  const nowMs = Date.now();
  const startMs = parseTimeFlag(options.start!, '--start', nowMs);
  const endMs = parseTimeFlag(options.end!, '--end', nowMs);
  if (startMs >= endMs) {
    throw new InputError(`backtest: --start (${formatTime(startMs)}) must be before --end (${formatTime(endMs)})`);
  }
  const query = options.query ?? (loaded.config !== undefined ? loaded.detector.query : undefined);
  if (query === undefined || query.trim() === '') throw usageError('--query PROMQL is required with --prometheus');
  const stepSeconds = options.step !== undefined ? parseStepSeconds(options.step) : loaded.detector.stepSeconds;
  // Without a config file, the detector is named as `run` with PROM_QUERY set to this query
  // names it, so the replay seeds its forests as that run does.
  const fromEnvironment = loaded.config === undefined || loaded.detector.name === envDetectorName(loaded.detector.query);
  const name = fromEnvironment ? envDetectorName(query) : loaded.detector.name;
  const settings: Settings = { ...loaded, detector: { ...loaded.detector, name, query, stepSeconds } };
  const source = createPrometheusSource(prometheusConfigOf(options, loaded), { env: io.env });

  // The run at --start read the window before it: read it too, replay it, write from --start on.
  const request: RangeQuery = { query, startMs, endMs, stepSeconds };
  let history: NamedSeries[];
  try {
    history = await readPrometheusHistory(source, request, settings.detector, io.signal);
  } catch (error) {
    if (error instanceof SourceError && error.retryable) {
      io.stderr(`aiops-detector: backtest: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const range = `${formatTime(startMs)} to ${formatTime(endMs)}`;
  if (history.length === 0) {
    io.stderr(`aiops-detector: backtest: the query "${query}" returned no series from ${range} (${source.description})\n`);
    return 1;
  }
  const { series: replayed, windowPoints } = await withProgress(io, (replay) =>
    replayPrometheusHistory(history, request, settings, replay),
  );
  if (options.output !== undefined) await writeOutput(io, options.output, formatSeriesOutput(replayed));
  if (options.report !== undefined) writeReport(io, options.report, `Backtest of ${query}, ${range}`, replayed);
  for (const s of replayed) io.stderr(`backtest: ${s.name}: ${summaryOf(s.rows)}\n`);
  const allRows = replayed.flatMap((s) => s.rows);
  io.stderr(
    `backtest: ${replayed.length} series, ${summaryOf(allRows)}; detector '${settings.detector.name}', window ${windowPoints} points at ${stepSeconds} s step, ${range}\n`,
  );
  return 0;
}

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'replay a CSV or a Prometheus query as the scheduled run would have seen it; write scores, alerts, an HTML report',
  usage: backtestUsage,
  async run(argv, io) {
    const options = parseOptions(argv);
    const settings = await loadSettings(io, options.config, options.detector);
    if (options.input !== undefined) return backtestCsv(io, options, settings, options.input);
    return backtestPrometheus(io, options, settings);
  },
};
