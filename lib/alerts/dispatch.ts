/**
 * Alert delivery for one detector's run: lifecycle -> claim -> send -> record, with nothing lost.
 *
 * 1. List the detector's stored states once.
 * 2. Run the lifecycle for every verdict, and for every stored series the query no longer
 *    returned (it counts as a normal evaluation; see lifecycle.ts).
 * 3. Claim: a compare-and-set put records the next state, every new notification as one
 *    pending delivery per sink, and a lease (`leaseUntilMs`). Only a run whose claim succeeded
 *    sends; an overlapping run loses the CAS, or sees the unexpired lease, and leaves the
 *    series alone, so a notification is not sent twice by two runs.
 * 4. Send: one `send()` per sink with every notification pending for it (older first),
 *    including ones that failed in earlier runs.
 * 5. Record: a second put removes what was delivered; what failed stays pending with
 *    `attempts + 1` and a secret-free `lastError`, and is sent again next run.
 *
 * Failures that can never succeed (HTTP 4xx other than 408/425/429) are not retried forever:
 * they stay pending for `giveUpAfterAttempts` runs (default 3, so a fixed URL or secret still
 * gets them through) and are then dropped with an error line. Retryable failures (5xx, 429,
 * network, timeout) stay pending until delivered.
 *
 * A crash between send and record leaves the deliveries pending under a lease; after the lease
 * expires the next run sends them again: delivery is at least once, and the notification id
 * (`${detector}|${seriesKey}|${kind}|${atMs}`) lets a receiver drop the duplicate.
 */
import { mapLimit } from '../concurrency.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { seriesKey, type Labels } from '../series/index.js';
import { withSummary } from '../sinks/format.js';
import type { AlertSink, DeliveryResult, Notification } from '../sinks/sink.js';
import {
  evaluateAbsent,
  evaluateAlert,
  isQuiescent,
  type AlertDetector,
  type AlertField,
  type LifecyclePolicy,
  type Transition,
  type Verdict,
} from './lifecycle.js';
import type { AlertState, PendingDelivery, StateStore } from './state-store.js';

export interface DispatchPolicy extends LifecyclePolicy {
  /**
   * How long a claim protects a series' deliveries from other runs (default 5 min). Must
   * exceed the longest send: sinks x (retries + 1) x timeout plus backoff.
   */
  leaseMs?: number;
  /** Runs a non-retryable delivery stays pending before it is dropped (default 3). */
  giveUpAfterAttempts?: number;
  /** Store writes in flight at once (default 16). */
  storeConcurrency?: number;
}

export const dispatchDefaults = { leaseMs: 5 * 60_000, giveUpAfterAttempts: 3, storeConcurrency: 16 } as const;

export interface DispatchInput {
  detector: AlertDetector;
  /** One verdict per series that has one this run (series with too few points have none). */
  verdicts: readonly Verdict[];
  /** Evaluation time, Unix ms. */
  nowMs: number;
  /** Compute everything, write nothing, send nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface DispatchDeps {
  store: StateStore;
  sinks: readonly AlertSink[];
  policy: DispatchPolicy;
  logger: Logger;
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
  /** One per input verdict, same order. */
  series: EvaluatedSeriesAlert[];
  /** Stored series the query did not return this run (only those whose alert changed). */
  absent: SeriesAlert[];
  /** Notifications created by this run's transitions. */
  notifications: number;
  /** Deliveries (notification x sink) accepted by a sink this run. */
  sent: number;
  /** Deliveries that failed this run (retryable or not). */
  failed: number;
  /** Deliveries still pending after this run, including ones another run holds. */
  pending: number;
  /** Non-retryable deliveries given up after `giveUpAfterAttempts`. */
  dropped: number;
  /** Series left to another run (unexpired lease or lost compare-and-set). */
  skipped: number;
  /** Store reads/writes that failed for single series (the run went on). */
  stateErrors: number;
  /** Dry run only: what would be sent, per sink. */
  wouldSend: { sink: string; ids: string[] }[];
}

interface Work {
  /** Index in `verdicts`, or -1 for an absent series. */
  index: number;
  key: string;
  labels: Labels;
  previous: AlertState | undefined;
  /** Undefined for a duplicate series, which is ignored. */
  transition?: Transition;
  /** Set when this run owns the series (claimed or written). */
  claimed?: AlertState;
  alert: AlertField;
}

function byAge(a: PendingDelivery, b: PendingDelivery): number {
  return a.notification.atMs - b.notification.atMs || (a.notification.id < b.notification.id ? -1 : 1);
}

/** A state without `leaseUntilMs` (the key is removed, not set to undefined, for clean JSON). */
function withoutLease(state: AlertState): AlertState {
  const copy = { ...state };
  delete copy.leaseUntilMs;
  return copy;
}

/**
 * Runs the alert lifecycle for one detector's verdicts and delivers the notifications (new and
 * pending) to every sink. Throws only when the detector's states cannot be listed; failures of
 * single writes and deliveries are counted in the summary and logged.
 */
export async function dispatchAlerts(input: DispatchInput, deps: DispatchDeps): Promise<DispatchSummary> {
  const { detector, verdicts, nowMs, dryRun = false, signal } = input;
  const { store, sinks, policy } = deps;
  const logger = deps.logger.child({ detector: detector.name });
  const leaseMs = policy.leaseMs ?? dispatchDefaults.leaseMs;
  const giveUpAfter = Math.max(1, policy.giveUpAfterAttempts ?? dispatchDefaults.giveUpAfterAttempts);
  const concurrency = Math.max(1, policy.storeConcurrency ?? dispatchDefaults.storeConcurrency);
  const sinkNames = new Set(sinks.map((s) => s.name));

  const summary: DispatchSummary = {
    detector: detector.name,
    dryRun,
    series: [],
    absent: [],
    notifications: 0,
    sent: 0,
    failed: 0,
    pending: 0,
    dropped: 0,
    skipped: 0,
    stateErrors: 0,
    wouldSend: [],
  };

  const stored = await store.list(detector.name);
  const byKey = new Map(stored.map((s) => [s.seriesKey, s]));

  // 1-2: the lifecycle, pure.
  const work: Work[] = [];
  const seen = new Set<string>();
  verdicts.forEach((verdict, index) => {
    const key = seriesKey(verdict.labels);
    if (seen.has(key)) {
      // Prometheus never returns one label set twice; a source bug must not double-notify.
      logger.warn('duplicate series in one run ignored', { series: verdict.labels });
      work.push({ index, key, labels: verdict.labels, previous: undefined, alert: 'none' });
      return;
    }
    seen.add(key);
    const previous = byKey.get(key);
    const transition = evaluateAlert(previous, verdict, detector, policy, nowMs);
    work.push({ index, key, labels: verdict.labels, previous, transition, alert: transition.alert });
  });
  for (const previous of stored) {
    if (seen.has(previous.seriesKey)) continue;
    const transition = evaluateAbsent(previous, detector, policy, nowMs);
    const { seriesKey: key, labels } = previous;
    work.push({ index: -1, key, labels, previous, transition, alert: transition.alert });
  }

  // 3: build next states with pending deliveries; claim them.
  const wouldSend = new Map<string, string[]>();
  const toWrite: { item: Work; next: AlertState }[] = [];
  for (const item of work) {
    const { previous, transition } = item;
    if (!transition) continue; // duplicate, see above
    if (previous?.leaseUntilMs !== undefined && previous.leaseUntilMs > nowMs) {
      // Another run is delivering this series right now; it also made this transition.
      logger.debug('series left to the run holding its lease', { series: previous.labels, leaseUntilMs: previous.leaseUntilMs });
      item.alert = 'none';
      summary.skipped += 1;
      summary.pending += previous.pending.length;
      continue;
    }
    summary.notifications += transition.notifications.length;
    const next: AlertState = { ...transition.state, pending: [...transition.state.pending] };
    for (const facts of transition.notifications) {
      const notification = withSummary(facts);
      for (const sink of sinks) next.pending.push({ sink: sink.name, notification, attempts: 0 });
    }
    const orphans = next.pending.filter((p) => !sinkNames.has(p.sink));
    if (orphans.length > 0) {
      // The sink was removed from the config: nobody can deliver these any more.
      logger.warn('pending deliveries dropped: sink no longer configured', {
        sinks: [...new Set(orphans.map((p) => p.sink))],
        ids: orphans.map((p) => p.notification.id),
      });
      summary.dropped += orphans.length;
      next.pending = next.pending.filter((p) => sinkNames.has(p.sink));
    }
    next.pending.sort(byAge);
    if (dryRun) {
      for (const p of next.pending) wouldSend.set(p.sink, [...(wouldSend.get(p.sink) ?? []), p.notification.id]);
      summary.pending += next.pending.length;
      continue;
    }
    toWrite.push({ item, next });
  }

  if (dryRun) {
    summary.wouldSend = [...wouldSend].map(([sink, ids]) => ({ sink, ids }));
    return finish(summary, work);
  }

  await mapLimit(toWrite, concurrency, async ({ item, next }) => {
    try {
      if (isQuiescent(next)) {
        // Nothing to remember: forget the series (and write nothing for one never stored).
        if (item.previous && item.previous.version > 0) {
          const removed = await store.delete(item.previous);
          if (!removed) return lost(item);
        }
        return;
      }
      const lease = next.pending.length > 0 ? { leaseUntilMs: nowMs + leaseMs } : {};
      const written = await store.put({ ...withoutLease(next), ...lease, version: item.previous?.version ?? 0 });
      if (!written) return lost(item);
      item.claimed = written;
    } catch (error) {
      summary.stateErrors += 1;
      item.alert = 'none';
      logger.error('alert state write failed; series skipped this run', { series: next.labels, error: errorMessage(error) });
    }
  });

  function lost(item: Work): void {
    logger.info('series claimed by another run', { series: item.labels });
    item.alert = 'none';
    summary.skipped += 1;
  }

  // 4: one send per sink with everything claimed for it.
  const claimed = work.filter((w) => w.claimed && w.claimed.pending.length > 0);
  const results = new Map<string, DeliveryResult>();
  await Promise.all(
    sinks.map(async (sink) => {
      const batch: Notification[] = claimed
        .flatMap((w) => w.claimed!.pending.filter((p) => p.sink === sink.name))
        .sort(byAge)
        .map((p) => p.notification);
      if (batch.length === 0) return;
      let result: DeliveryResult;
      try {
        result = await sink.send(batch, { signal });
      } catch (error) {
        // The port says send() never throws; a bug must still not lose the batch. Only the
        // error's name is kept: a message could quote the URL.
        const reason = `sink error: ${error instanceof Error ? error.name : 'unknown'}`;
        result = { delivered: [], failed: batch.map((n) => ({ id: n.id, retryable: true, reason })) };
      }
      results.set(sink.name, result);
      if (result.delivered.length > 0) logger.info('notifications delivered', { sink: sink.name, count: result.delivered.length });
    }),
  );

  // 5: record what happened.
  await mapLimit(claimed, concurrency, async (item) => {
    const state = item.claimed!;
    const remaining: PendingDelivery[] = [];
    for (const p of state.pending) {
      const result = results.get(p.sink);
      if (result?.delivered.includes(p.notification.id)) {
        summary.sent += 1;
        continue;
      }
      const failure = result?.failed.find((f) => f.id === p.notification.id) ?? {
        id: p.notification.id,
        retryable: true,
        reason: 'no result from sink',
      };
      summary.failed += 1;
      const attempts = p.attempts + 1;
      const fields = {
        sink: p.sink,
        id: p.notification.id,
        kind: p.notification.kind,
        series: p.notification.labels,
        attempts,
        retryable: failure.retryable,
        reason: failure.reason,
      };
      if (!failure.retryable && attempts >= giveUpAfter) {
        logger.error('delivery given up: not retryable', fields);
        summary.dropped += 1;
        continue;
      }
      logger.warn('delivery failed; kept pending for the next run', fields);
      remaining.push({ ...p, attempts, lastError: failure.reason });
    }
    const final: AlertState = { ...withoutLease(state), pending: remaining };
    try {
      if (isQuiescent(final)) {
        if (!(await store.delete(final))) logger.warn('alert state changed while delivering', { series: final.labels });
      } else if (!(await store.put(final))) {
        // Our lease expired and another run took over: it will deliver what is pending.
        logger.warn('alert state changed while delivering', { series: final.labels });
      }
    } catch (error) {
      summary.stateErrors += 1;
      // Delivered notifications stay recorded as pending and go out again after the lease.
      logger.error('alert state write after delivery failed', { series: final.labels, error: errorMessage(error) });
    }
    summary.pending += remaining.length;
  });

  return finish(summary, work);
}

function finish(summary: DispatchSummary, work: readonly Work[]): DispatchSummary {
  const sorted = work.filter((w) => w.index >= 0).sort((a, b) => a.index - b.index);
  summary.series = sorted.map((w) => ({
    seriesKey: w.key,
    labels: w.labels,
    alert: w.alert,
    firing: w.transition?.state.status === 'firing',
  }));
  summary.absent = work
    .filter((w) => w.index < 0 && w.alert !== 'none')
    .map((w) => ({ seriesKey: w.key, labels: w.labels, alert: w.alert }));
  return summary;
}
