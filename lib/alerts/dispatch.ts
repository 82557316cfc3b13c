/**
 * Alert delivery for one detector's run, with nothing lost: a list of stages, each its own file,
 * the way Alertmanager's notify pipeline is one.
 *
 * 0. List the detector's stored states once.
 * 1. Plan (plan.ts): run the lifecycle for every verdict, and for every stored series the query
 *    no longer returned (it counts as a normal evaluation; see lifecycle.ts). Pure.
 * 2. Claim (claim.ts): a compare-and-set put records the next state, every new notification as
 *    one pending delivery per sink, and a lease (`leaseUntilMs`, wall-clock time from
 *    `deps.clock`, not the evaluation time). Only a run whose claim
 *    succeeded sends; an overlapping run loses the CAS, or sees the unexpired lease, and leaves
 *    the series alone, so a notification is not sent twice by two runs.
 * 3. Send (send.ts): one `send()` per sink with every notification pending for it (older
 *    first), including ones that failed in earlier runs.
 * 4. Record (record.ts): a second put removes what was delivered; what failed stays pending
 *    with `attempts + 1` and a secret-free `lastError`, and is sent again next run.
 *
 * Failures that can never succeed (HTTP 4xx other than 408/425/429) are not retried forever:
 * they stay pending for `giveUpAfterAttempts` runs (3, so a fixed URL or secret still gets them
 * through) and are then dropped with an error line. Retryable failures (5xx, 429, network,
 * timeout) stay pending until delivered.
 *
 * A crash between send and record leaves the deliveries pending under a lease; after the lease
 * expires the next run sends them again: delivery is at least once, and the notification id
 * (`${detector}|${seriesKey}|${kind}|${atMs}`) lets a receiver drop the duplicate.
 */
import type { Logger } from '../log.js';
import type { Labels } from '../series/index.js';
import { querySeriesKey, type AlertSink } from '../sinks/sink.js';
import { claimSeries, type ClaimResult } from './claim.js';
import type { AlertDetector, AlertField, LifecyclePolicy } from './lifecycle.js';
import { planAlerts, type AlertSeries, type PlannedSeries } from './plan.js';
import { recordDeliveries } from './record.js';
import { sendPending } from './send.js';
import type { StateStore } from './state-store.js';

export type { AlertSeries } from './plan.js';

/**
 * Delivery settings that are not user config: fixed here, overridable through DispatchPolicy
 * (tests shorten them).
 */
const dispatchDefaults = {
  /**
   * How long a claim protects a series' deliveries from other runs. Must exceed the longest
   * send: sinks x (retries + 1) x timeout plus backoff.
   */
  leaseMs: 5 * 60_000,
  /** Runs a non-retryable delivery stays pending before it is dropped. */
  giveUpAfterAttempts: 3,
  /** Store writes in flight at once. */
  storeConcurrency: 16,
} as const;

/** The lifecycle's policy (from the config), and overrides of `dispatchDefaults`. */
export interface DispatchPolicy extends LifecyclePolicy {
  leaseMs?: number;
  giveUpAfterAttempts?: number;
  storeConcurrency?: number;
}

export interface DispatchInput {
  detector: AlertDetector;
  /**
   * One per series that has a verdict this run (series with too few points have none). The
   * dispatch fills in each one's `alert` and `firing`.
   */
  verdicts: readonly AlertSeries[];
  /** Evaluation time, Unix ms. */
  nowMs: number;
  /**
   * How many series the query returned this run (with a verdict or not), for the detector's
   * no-data alert (`notifyAbsent`); absent: the query as a whole is not evaluated.
   */
  querySeries?: number;
  /** Compute everything, write nothing, send nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface DispatchDeps {
  store: StateStore;
  sinks: readonly AlertSink[];
  policy: DispatchPolicy;
  logger: Logger;
  /**
   * The wall clock, Unix ms (default `Date.now`): leases are measured in it, while the
   * evaluation time (`nowMs`) drives the lifecycle. Tests inject it.
   */
  clock?: () => number;
}

export interface SeriesAlert {
  seriesKey: string;
  labels: Labels;
  /** The `alert` field of the series' log line: what this run did for it. */
  alert: AlertField;
}

/** A series the query returned this run. */
export interface EvaluatedSeriesAlert extends SeriesAlert {
  /**
   * Whether the series' alert is firing after this run's evaluation (its state, not whether a
   * notification went out): `aiops_alert_firing` in the written-back scores.
   */
  firing: boolean;
}

export interface DispatchSummary {
  detector: string;
  dryRun: boolean;
  /** One per input series, same order: what was filled in (part of the run's summary). */
  series: EvaluatedSeriesAlert[];
  /** Stored series the query did not return this run (only those whose alert changed). */
  absent: SeriesAlert[];
  /**
   * What this run did for the detector's no-data alert (`notifyAbsent`): `absent` (it fired:
   * the query returned no series after it returned some), `repeat`, `resolved` or `none`.
   */
  query: AlertField;
  /** Notifications created by this run's transitions. */
  notifications: number;
  /** Deliveries (notification x sink) accepted by a sink this run. */
  sent: number;
  /** Deliveries that failed this run (retryable or not). */
  failed: number;
  /** Deliveries still pending after this run, including ones another run holds. */
  pending: number;
  /**
   * Of `pending`, deliveries this run could not make because another run holds their series
   * (a live overlapping run, or one that died holding its lease); 0 in a dry run.
   */
  leftPending: number;
  /** Non-retryable deliveries given up after `giveUpAfterAttempts`. */
  dropped: number;
  /** Series left to another run (unexpired lease or lost compare-and-set). */
  skipped: number;
  /** Store reads/writes that failed for single series (the run went on). */
  stateErrors: number;
  /** Dry run only: what would be sent, per sink. */
  wouldSend: { sink: string; ids: string[] }[];
}

/** The `alert` field of a planned series: its lifecycle step's, unless the run did not own it. */
function alertOf(planned: PlannedSeries, claim: ClaimResult): AlertField {
  return planned.transition && claim.status.get(planned) === 'owned' ? planned.transition.alert : 'none';
}

/**
 * Runs the alert lifecycle for one detector's verdicts and delivers the notifications (new and
 * pending) to every sink. Throws only when the detector's states cannot be listed; failures of
 * single writes and deliveries are counted in the summary and logged.
 */
export async function dispatchAlerts(input: DispatchInput, deps: DispatchDeps): Promise<DispatchSummary> {
  const { detector, verdicts, nowMs, querySeries, dryRun = false, signal } = input;
  const { store, sinks, policy } = deps;
  const logger = deps.logger.child({ detector: detector.name });
  const leaseMs = policy.leaseMs ?? dispatchDefaults.leaseMs;
  const giveUpAfterAttempts = Math.max(1, policy.giveUpAfterAttempts ?? dispatchDefaults.giveUpAfterAttempts);
  const concurrency = Math.max(1, policy.storeConcurrency ?? dispatchDefaults.storeConcurrency);

  const stored = await store.list(detector.name);
  const planned = planAlerts({ detector, policy, series: verdicts, stored, nowMs, ...(querySeries !== undefined ? { querySeries } : {}) }, logger);
  const clockMs = (deps.clock ?? Date.now)();
  const claim = await claimSeries(planned, { sinks: sinks.map((s) => s.name), clockMs, leaseMs, concurrency, dryRun }, { store, logger });
  // A dry run holds nothing: nothing is sent or recorded.
  const results = await sendPending(claim.held, sinks, { signal }, logger);
  const recorded = await recordDeliveries(claim.held, results, { giveUpAfterAttempts, concurrency }, { store, logger });

  const queryStep = planned.find((p) => p.key === querySeriesKey);
  const series: EvaluatedSeriesAlert[] = [];
  for (const p of planned) {
    if (p.series === undefined) continue;
    p.series.alert = alertOf(p, claim);
    p.series.firing = p.transition?.state.status === 'firing';
    series.push({ seriesKey: p.key, labels: p.labels, alert: p.series.alert, firing: p.series.firing });
  }
  return {
    detector: detector.name,
    dryRun,
    series,
    absent: planned
      .filter((p) => p.series === undefined && p.key !== querySeriesKey && alertOf(p, claim) !== 'none')
      .map((p) => ({ seriesKey: p.key, labels: p.labels, alert: alertOf(p, claim) })),
    query: queryStep ? alertOf(queryStep, claim) : 'none',
    notifications: claim.notifications,
    sent: recorded.sent,
    failed: recorded.failed,
    pending: claim.pending + recorded.pending,
    leftPending: claim.leftPending,
    dropped: claim.dropped + recorded.dropped,
    skipped: claim.skipped,
    stateErrors: claim.stateErrors + recorded.stateErrors,
    wouldSend: claim.wouldSend,
  };
}
