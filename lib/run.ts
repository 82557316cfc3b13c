/**
 * One detection cycle: for every detector, read a window from the source, score every series,
 * decide about the newest point, run the alert lifecycle and deliver. The pipeline and nothing
 * else: adapters come in through `deps` (see lib/runtime.ts), time through `now`.
 *
 * A failing detector (bad PromQL, timeout, Prometheus down) logs one error line and the others
 * go on; a delivery that fails stays pending in the state store for the next run.
 */
import { alertDetector, policyOf } from './alerts/detector-policy.js';
import { dispatchAlerts, type DispatchSummary } from './alerts/dispatch.js';
import type { StateStore } from './alerts/state-store.js';
import { mapLimit } from './concurrency.js';
import type { Config, DetectorConfig } from './config/config.js';
import { evaluateSeries } from './detect/evaluate.js';
import { detectionWindow } from './detect/window.js';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import type { BlobStore } from './model/blob-store.js';
import { openDetectorState, type DetectorStateOptions, type StateFigures } from './model/detector-state.js';
import { stateSummaryFields, stateTotals, type StateTotals } from './model/state-totals.js';
import { isScored, resultLine, seriesResult, type SeriesResult } from './series-result.js';
import type { AlertSink } from './sinks/sink.js';
import type { MetricSource } from './sources/source.js';
import type { ScoreWriter } from './write-back/score-writer.js';

export interface RunDependencies {
  config: Config;
  source: MetricSource;
  store: StateStore;
  sinks: readonly AlertSink[];
  logger: Logger;
  /**
   * Writes every scored series back (lib/write-back) after the detectors ran, except in a dry
   * run. Its failure is logged and fails the run; alerts are not affected.
   */
  writeBack?: ScoreWriter;
  /**
   * Where each detector's state lives between runs (lib/model): with it a run reads only what is
   * new and scores with the stored models; without it every run reads and fits the whole window.
   * Results are the same either way.
   */
  detectorState?: { store: BlobStore; options: DetectorStateOptions };
  /**
   * The wall clock, Unix ms (default `Date.now`): alert leases are measured in it, whatever
   * `now` (the evaluation time) is. Tests inject it.
   */
  clock?: () => number;
}

export interface RunOptions {
  /** Evaluation time; the window ends here (aligned down to the detector's step). */
  now: Date;
  /** Aborting stops before the next detector; undelivered notifications stay pending. */
  signal?: AbortSignal;
  /** Send nothing and change no state. */
  dryRun?: boolean;
  /** Run only these detectors (by name); unknown names are a failure, not silently ignored. */
  detectors?: readonly string[];
}

export interface DetectorOutcome {
  name: string;
  ok: boolean;
  /** Secret-free reason when the detector failed or was skipped. */
  error?: string;
  skipped?: boolean;
  /** The query returned no series and the detector does not allow that (`allowNoSeries`). */
  noSeries?: boolean;
  series: number;
  anomalies: number;
  dispatch?: DispatchSummary;
  /** What the run did with the detector's state (when it keeps one). */
  state?: StateFigures;
}

export interface TimingsMs {
  query: number;
  score: number;
  deliver: number;
}

export interface RunSummary {
  /**
   * True when every detector ran and every delivery succeeded, with none left pending to
   * another run.
   */
  ok: boolean;
  dryRun: boolean;
  detectors: number;
  series: number;
  anomalies: number;
  alertsSent: number;
  /** Failed detectors plus failed deliveries and state writes. */
  failures: number;
  /** Deliveries still pending after this run (delivered by a later run). */
  pending: number;
  /** Detectors not run because the run was aborted (Lambda timeout, SIGTERM). */
  skipped: string[];
  durationMs: number;
  timingsMs: TimingsMs;
  outcomes: DetectorOutcome[];
  results: SeriesResult[];
  /** Present when detectors keep state: what the run read, refitted and stored, over all detectors. */
  state?: StateTotals;
  /** Present when scores are written back: what was written, or why not. */
  writeBack?: { ok: boolean; samples: number; error?: string };
}

async function runDetector(
  detector: DetectorConfig,
  deps: RunDependencies,
  options: RunOptions,
  timings: TimingsMs,
): Promise<{ outcome: DetectorOutcome; results: SeriesResult[] }> {
  const logger = deps.logger.child({ detector: detector.name });
  const { startMs, endMs } = detectionWindow(detector, options.now.getTime());
  const dryRun = options.dryRun ?? false;

  let started = performance.now();
  const state = deps.detectorState
    ? await openDetectorState(deps.detectorState.store, detector, { startMs, endMs }, deps.detectorState.options, logger, deps.source.description)
    : undefined;
  const fresh = await deps.source.queryRange(
    { query: detector.query, startMs: state?.readStartMs ?? startMs, endMs, stepSeconds: detector.stepSeconds },
    { signal: options.signal },
  );
  // Each window exactly as a full read of [startMs, endMs] returns it.
  const series = state ? state.merge(fresh) : fresh;
  timings.query += performance.now() - started;
  // A misspelt metric answers with nothing: say so, and fail the detector, unless that is normal
  // for it. Its alerts are still dispatched (pending deliveries, series that vanished).
  const noSeries = series.length === 0 && !detector.allowNoSeries;
  if (noSeries) logger.error('query returned no series', { query: detector.query });

  started = performance.now();
  const verdicts = state
    ? await state.evaluate(series, { dryRun })
    : series.map((s) => evaluateSeries(s, detector, { windowEndMs: endMs }));
  if (state && !dryRun) await state.save();
  timings.score += performance.now() - started;

  for (const verdict of verdicts) {
    if (!verdict.insufficient) continue;
    logger.info('too few points for a verdict', { series: verdict.labels, points: verdict.points, minPoints: verdict.minPoints });
  }
  const results = verdicts.map((verdict) => seriesResult(detector.name, verdict));

  started = performance.now();
  const dispatch = await dispatchAlerts(
    {
      detector: alertDetector(detector, deps.config),
      // Fills in each scored result's `alert` and `firing`.
      verdicts: results.filter(isScored),
      nowMs: endMs,
      querySeries: series.length,
      dryRun,
      signal: options.signal,
    },
    { store: deps.store, sinks: deps.sinks, policy: policyOf(deps.config), logger: deps.logger, ...(deps.clock ? { clock: deps.clock } : {}) },
  );
  timings.deliver += performance.now() - started;

  for (const result of results) deps.logger.result(resultLine(result));
  for (const { labels, alert } of dispatch.absent) {
    // A series that left the query result but whose alert changed (resolved, absent) gets a line too.
    deps.logger.result(resultLine(seriesResult(detector.name, { absent: true, labels, alert, atMs: endMs })));
  }
  if (dispatch.query !== 'none') {
    // The detector's no-data alert (notifyAbsent) has no series, so no result line: say it here.
    const level = dispatch.query === 'resolved' ? 'info' : 'warn';
    logger[level]('no-data alert', { alert: dispatch.query, query: detector.query, series: series.length });
  }

  const deliveryFailures = dispatch.failed + dispatch.stateErrors;
  const errors = [
    ...(noSeries ? ['query returned no series'] : []),
    ...(deliveryFailures > 0 ? [`${dispatch.failed} deliveries failed, ${dispatch.stateErrors} state errors`] : []),
    // Not a failure of this run, but not done either: the exit code must not say all is well.
    ...(dispatch.leftPending > 0 ? [`${dispatch.leftPending} deliveries pending: another run holds their lease`] : []),
  ];
  return {
    outcome: {
      name: detector.name,
      ok: errors.length === 0,
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
      ...(noSeries ? { noSeries } : {}),
      series: series.length,
      anomalies: results.filter((r) => r.anomalous).length,
      dispatch,
      ...(state ? { state: state.figures } : {}),
    },
    results,
  };
}

/**
 * Runs one cycle over the configured detectors (all, or `options.detectors`), at most
 * `config.concurrency` at a time, and writes one result line per series and a summary line.
 * Never throws for a detector's failure; the summary says what failed.
 */
export async function runDetection(deps: RunDependencies, options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const { config, logger } = deps;
  const timings: TimingsMs = { query: 0, score: 0, deliver: 0 };
  const outcomes: DetectorOutcome[] = [];
  const results: SeriesResult[] = [];

  let detectors = config.detectors;
  if (options.detectors) {
    const known = new Set(config.detectors.map((d) => d.name));
    for (const name of options.detectors) {
      if (!known.has(name)) {
        logger.error('unknown detector requested', { detector: name, known: [...known] });
        outcomes.push({ name, ok: false, error: `no detector named '${name}'`, series: 0, anomalies: 0 });
      }
    }
    const wanted = new Set(options.detectors);
    detectors = config.detectors.filter((d) => wanted.has(d.name));
  }

  const perDetector = await mapLimit(detectors, config.concurrency, async (detector) => {
    if (options.signal?.aborted) {
      return { outcome: { name: detector.name, ok: false, skipped: true, error: 'skipped: run aborted', series: 0, anomalies: 0 }, results: [] };
    }
    try {
      return await runDetector(detector, deps, options, timings);
    } catch (error) {
      const message = errorMessage(error);
      logger.error('detector failed', { detector: detector.name, error: message });
      return { outcome: { name: detector.name, ok: false, error: message, series: 0, anomalies: 0 }, results: [] };
    }
  });
  for (const { outcome, results: r } of perDetector) {
    outcomes.push(outcome);
    results.push(...r);
  }

  const writeBack = deps.writeBack && !options.dryRun ? await writeScores(deps.writeBack, results, options.signal, logger) : undefined;

  const skipped = outcomes.filter((o) => o.skipped).map((o) => o.name);
  if (skipped.length > 0) logger.warn('run aborted before some detectors', { skipped });
  // A detector fails before its dispatch (no summary of it), or with a query that returned nothing.
  const failedDetectors = outcomes.filter((o) => (!o.ok && !o.dispatch) || o.noSeries).length;
  const deliveryFailures = outcomes.reduce((sum, o) => sum + (o.dispatch ? o.dispatch.failed + o.dispatch.stateErrors : 0), 0);
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  const state = stateTotals(outcomes.flatMap((o) => (o.state ? [o.state] : [])));
  const summary: RunSummary = {
    ok: outcomes.every((o) => o.ok) && writeBack?.ok !== false,
    dryRun: options.dryRun ?? false,
    detectors: outcomes.length,
    series: results.length,
    anomalies: results.filter((r) => r.anomalous).length,
    alertsSent: outcomes.reduce((sum, o) => sum + (o.dispatch?.sent ?? 0), 0),
    failures: failedDetectors + deliveryFailures + (writeBack?.ok === false ? 1 : 0),
    pending: outcomes.reduce((sum, o) => sum + (o.dispatch?.pending ?? 0), 0),
    skipped,
    durationMs: round(performance.now() - started),
    timingsMs: { query: round(timings.query), score: round(timings.score), deliver: round(timings.deliver) },
    outcomes,
    results,
    ...(state ? { state } : {}),
    ...(writeBack ? { writeBack } : {}),
  };
  logger.result({
    summary: true,
    ok: summary.ok,
    dry_run: summary.dryRun,
    detectors: summary.detectors,
    series: summary.series,
    anomalies: summary.anomalies,
    alerts_sent: summary.alertsSent,
    failures: summary.failures,
    pending: summary.pending,
    skipped: summary.skipped,
    duration_ms: summary.durationMs,
    timings_ms: summary.timingsMs,
    ...(state ? { state: stateSummaryFields(state) } : {}),
    ...(writeBack ? { write_back: writeBack } : {}),
  });
  return summary;
}

/** Writes the run's scores back; a failure is logged and reported, never thrown. */
async function writeScores(
  writer: ScoreWriter,
  results: readonly SeriesResult[],
  signal: AbortSignal | undefined,
  logger: Logger,
): Promise<NonNullable<RunSummary['writeBack']>> {
  try {
    const { samples } = await writer.write(results, { signal });
    logger.debug('scores written back', { target: writer.description, samples });
    return { ok: true, samples };
  } catch (error) {
    const message = errorMessage(error);
    logger.error('writing scores back failed; alerts are not affected', { target: writer.description, error: message });
    return { ok: false, samples: 0, error: message };
  }
}
