/**
 * `aiops-detector backtest`: replay history through the scheduled run's detection and alert
 * lifecycle (lib/backtest/replay.ts), from a `timestamp,value` CSV or from a Prometheus range
 * query (each series replayed on its own), and write the scores and alerts as CSV and/or as a
 * self-contained HTML report (lib/report/html-report.ts). I/O and argument handling only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import type { LifecyclePolicy } from '../alerts/lifecycle.js';
import type { Config, DetectorConfig, PrometheusConfig } from '../config/config.js';
import { parseDuration } from '../config/duration.js';
import { loadConfig } from '../config/load-config.js';
import { configDefaults } from '../config/schema.js';
import { CsvError, parseNumericCsv } from '../csv/index.js';
import { backtestSeries, type BacktestResult, type BacktestRow } from '../backtest/replay.js';
import { defaultDetector } from '../detect/defaults.js';
import { AiopsError, InputError, errorMessage } from '../errors.js';
import { redactUrl } from '../redact.js';
import { writeBacktestReport, type ReportSeries } from '../report/html-report.js';
import { SourceError } from '../sources/errors.js';
import { createPrometheusSource } from '../sources/prometheus/prometheus-source.js';
import { seriesName, type Labels, type Series } from '../series/index.js';
import type { Command, CommandIo } from './command.js';
import { createProgressBar, type ProgressBar } from './progress.js';

const usage = `Usage:
  aiops-detector backtest --input FILE.csv (--output OUT.csv | --report OUT.html) [options]
  aiops-detector backtest --prometheus URL --query PROMQL --start TIME --end TIME
                          (--output OUT.csv | --report OUT.html) [--step 60s] [options]

Replays history point by point exactly as the scheduled run would have seen it (same detection
code, same settings, same alert lifecycle) and writes, for every point:

  timestamp,value,anomaly_score,alert                  (--input: one row per input row)
  series,timestamp,value,anomaly_score,alert           (--prometheus: rows of every series)

anomaly_score is the run's anomaly score in [0, 1] (a calibrated log-scale likelihood; the run
alerts at minScore, 0.5 by default) of the point as the newest of its window, computed from
points up to its own only, and 0 for suppressPoints points after one reached minScore (one
report per onset); 0 while the window has fewer than minPoints points. alert is what the run
would have logged: none, firing, repeat or resolved.

From a CSV:
  --input FILE      CSV with a header and the columns timestamp and value ('-': standard input).
                    Timestamps: epoch seconds or milliseconds, or date-times (UTC unless an offset
                    is given), in ascending order. The window holds windowMinutes * 60 /
                    stepSeconds + 1 points, measured in the CSV's own median spacing.

From Prometheus (each series the query returns is replayed on its own):
  --prometheus URL  Prometheus base URL (overrides the config's prometheus.url; auth, headers,
                    caFile, timeout and retries come from the config's prometheus section).
                    Optional when --config is given.
  --query PROMQL    The series to replay (default: the detector's query from the config).
  --start TIME      First point to score and write. The window before it is read too, so the
                    first point is scored against a full window, as the run would have.
  --end TIME        Last point (inclusive).
                    TIME: RFC 3339 (2024-05-01T00:00:00Z, or with an offset), Unix seconds
                    (1714521600), now, or now minus a duration (now-7d, now-90m, now-1h30m).
  --step DURATION   Resolution: the run's step (default: the detector's stepSeconds, 60s).
                    A number is seconds; 30s, 5m, 1h also work.
  In the CSV, series is the series' labels as Prometheus prints them (cpu{instance="a:9100"}),
  quoted as CSV needs, and timestamp is RFC 3339 in UTC.

Output (at least one):
  --output FILE     Where to write the CSV ('-': standard output).
  --report FILE     A self-contained HTML page (no network needed to open it) with one chart per
                    series: the value, the anomaly score against the threshold, and where alerts
                    fired and resolved.

Settings:
  --config FILE     Take the detector and alert settings from this config (default: CONFIG_FILE,
                    else the seed's environment variables when PROM_QUERY is set, else the defaults).
  --detector NAME   Which detector of the config (needed when it has several).

A progress bar is drawn on standard error when it is a terminal.

Exit status: 0 done; 1 Prometheus unreachable or failing (after retries), or the query returned no
series in the range; 2 bad usage, an unreadable input, or a query Prometheus rejected (its error
text is shown).
`;

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

interface Settings {
  detector: DetectorConfig;
  alertPolicy: LifecyclePolicy;
  /** The loaded configuration, when there was one. */
  config?: Config;
}

function usageError(message: string, cause?: unknown): InputError {
  return new InputError(`backtest: ${message}\n\n${usage}`, cause === undefined ? undefined : { cause });
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

const rfc3339Pattern = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const unixSecondsPattern = /^\d+(?:\.\d+)?$/;

/**
 * A `--start`/`--end` value in Unix milliseconds: RFC 3339 with a `Z` or an offset (no
 * local-time guessing), Unix seconds (as Prometheus' API takes them), `now`, or `now-<duration>`
 * (`now-7d`, `now-1h30m`). The error names `flag`.
 */
export function parseTimeFlag(text: string, flag: string, nowMs: number): number {
  const value = text.trim();
  const fail = (): never => {
    throw new InputError(
      `backtest: ${flag} '${text}' is not a time: use RFC 3339 (2024-05-01T00:00:00Z), Unix seconds (1714521600), now, or now-7d`,
    );
  };
  if (unixSecondsPattern.test(value)) return Number(value) * 1000;
  const relative = /^now(?:\s*-\s*(\S+))?$/.exec(value);
  if (relative) {
    if (relative[1] === undefined) return nowMs;
    const agoMs = parseDuration(relative[1], 'ms');
    // A bare number after now- would be ambiguous (seconds? minutes?): a unit is required.
    if (agoMs === undefined || /^\d+(?:\.\d+)?$/.test(relative[1])) return fail();
    return nowMs - agoMs;
  }
  const match = rfc3339Pattern.exec(value);
  if (!match) return fail();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // Date.parse rolls 2024-02-30 over into March; RFC 3339 says it is no date at all.
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return fail();
  }
  const ms = Date.parse(value.replace(' ', 'T').toUpperCase());
  return Number.isNaN(ms) ? fail() : ms;
}

/** The `--step` value in seconds: a number of seconds or a duration (`30s`, `5m`). */
function parseStepSeconds(text: string): number {
  const seconds = parseDuration(text, 's');
  if (seconds === undefined || !(seconds > 0)) {
    throw new InputError(`backtest: --step '${text}' is not a duration: use seconds (60) or a duration such as 30s, 5m, 1h`);
  }
  return seconds;
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
  return { detector, alertPolicy: { repeatIntervalMinutes, resolveAfter, sendResolved }, config };
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

/** RFC 3339 in UTC, without the milliseconds when they are zero (Prometheus' grid never has them). */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function rowCells(row: BacktestRow): string {
  return `${String(row.value)},${formatScore(row.anomalyScore)},${row.alert}`;
}

function formatCsvOutput(timestampText: readonly string[], rows: readonly BacktestRow[]): string {
  const lines = ['timestamp,value,anomaly_score,alert'];
  for (let i = 0; i < rows.length; i++) lines.push(`${csvCell(timestampText[i]!)},${rowCells(rows[i]!)}`);
  return `${lines.join('\n')}\n`;
}

/** One replayed series, ready for output. */
interface Replayed {
  name: string;
  rows: readonly BacktestRow[];
}

function formatSeriesOutput(replayed: readonly Replayed[]): string {
  const lines = ['series,timestamp,value,anomaly_score,alert'];
  for (const series of replayed) {
    const cell = csvCell(series.name);
    for (const row of series.rows) lines.push(`${cell},${formatTime(row.timestampMs)},${rowCells(row)}`);
  }
  return `${lines.join('\n')}\n`;
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

/** The report's view of a row: no score line (NaN) where the detector had no verdict yet. */
function writeReport(io: CommandIo, path: string, title: string, replayed: readonly Replayed[]): void {
  // The name already spells out the labels (cpu{instance="a"}): no second labels line.
  const series: ReportSeries[] = replayed.map((s) => ({
    name: s.name,
    rows: s.rows.map((row) => ({
      timestampMs: row.timestampMs,
      value: row.value,
      anomalyScore: Number.isNaN(row.threshold) ? Number.NaN : row.anomalyScore,
      threshold: row.threshold,
      alert: row.alert,
    })),
  }));
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

/** Replays each input in turn with one progress bar over all rows; the bar is cleared on any exit. */
async function replayAll(
  io: CommandIo,
  inputs: readonly { timestampsMs: Float64Array; values: Float64Array; labels?: Labels }[],
  settings: Settings,
  spacingMs: number | undefined,
): Promise<BacktestResult[]> {
  const progress: ProgressBar = createProgressBar({ write: io.stderr, isTty: io.stderrIsTty, label: 'backtest' });
  const total = inputs.reduce((sum, input) => sum + input.timestampsMs.length, 0);
  const results: BacktestResult[] = [];
  let before = 0;
  try {
    for (const [index, input] of inputs.entries()) {
      const detail = inputs.length > 1 ? `(series ${index + 1}/${inputs.length})` : undefined;
      const result = await backtestSeries({ timestampsMs: input.timestampsMs, values: input.values }, settings.detector, {
        alertPolicy: settings.alertPolicy,
        signal: io.signal,
        ...(input.labels !== undefined ? { labels: input.labels } : {}),
        ...(spacingMs !== undefined ? { spacingMs } : {}),
        onProgress: (done) => progress.update(before + done, total, detail),
      });
      before += input.timestampsMs.length;
      results.push(result);
    }
  } finally {
    progress.clear();
  }
  return results;
}

async function backtestCsv(io: CommandIo, options: Options, settings: Settings, input: string): Promise<number> {
  const { text, source } = await readInput(io, input);
  const series = readSeries(text, source);
  const [result] = await replayAll(io, [{ timestampsMs: series.timestampsMs, values: series.values }], settings, undefined);
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
  const base: PrometheusConfig = settings.config?.prometheus ?? {
    url: configDefaults.prometheusUrl,
    auth: { type: 'none' },
    headers: {},
    timeoutMs: configDefaults.prometheusTimeoutMs,
    retries: configDefaults.prometheusRetries,
  };
  if (options.prometheus === undefined) {
    if (settings.config === undefined) throw usageError('--prometheus URL is required (or a --config whose prometheus.url to use)');
    return base;
  }
  const url = options.prometheus.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) {
    throw new InputError(`backtest: --prometheus must be an http:// or https:// URL, got ${redactUrl(url)}`);
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
  const settings: Settings = { ...loaded, detector: { ...loaded.detector, query, stepSeconds } };
  const source = createPrometheusSource(prometheusConfigOf(options, loaded), { env: io.env });

  // The run at --start read the window before it: read it too, replay it, write from --start on.
  const warmUpMs = settings.detector.windowMinutes * 60_000;
  let series: Series[];
  try {
    series = await source.queryRange({ query, startMs: startMs - warmUpMs, endMs, stepSeconds }, { signal: io.signal });
  } catch (error) {
    if (error instanceof SourceError && error.retryable) {
      io.stderr(`aiops-detector: backtest: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const range = `${formatTime(startMs)} to ${formatTime(endMs)}`;
  if (series.length === 0) {
    io.stderr(`aiops-detector: backtest: the query "${query}" returned no series from ${range} (${source.description})\n`);
    return 1;
  }
  // Prometheus' own order is by labels already; sort so the output never depends on it.
  const named = series.map((s) => ({ ...s, name: seriesName(s.labels) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const results = await replayAll(io, named, settings, stepSeconds * 1000);
  const replayed: Replayed[] = named.map((s, i) => ({
    name: s.name,
    rows: results[i]!.rows.filter((row) => row.timestampMs >= startMs),
  }));
  if (options.output !== undefined) await writeOutput(io, options.output, formatSeriesOutput(replayed));
  if (options.report !== undefined) writeReport(io, options.report, `Backtest of ${query}, ${range}`, replayed);
  for (const s of replayed) io.stderr(`backtest: ${s.name}: ${summaryOf(s.rows)}\n`);
  const allRows = replayed.flatMap((s) => s.rows);
  io.stderr(
    `backtest: ${replayed.length} series, ${summaryOf(allRows)}; detector '${settings.detector.name}', window ${results[0]!.windowPoints} points at ${stepSeconds} s step, ${range}\n`,
  );
  return 0;
}

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'replay a CSV or a Prometheus query as the scheduled run would have seen it; write scores, alerts, an HTML report',
  usage,
  async run(argv, io) {
    const options = parseOptions(argv);
    const settings = await loadSettings(io, options.config, options.detector);
    if (options.input !== undefined) return backtestCsv(io, options, settings, options.input);
    return backtestPrometheus(io, options, settings);
  },
};
