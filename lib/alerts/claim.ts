/**
 * Dispatch stage 2, claim: turns each planned step into the series' next state, with every new
 * notification as one pending delivery per sink, and records it with a compare-and-set put that
 * also takes a lease (`leaseUntilMs`) while deliveries are pending. Only a run whose claim
 * succeeded sends; a run that sees an unexpired lease, or loses the compare-and-set, leaves the
 * series to the run that holds it. A dry run computes the same and writes nothing.
 */
import { mapLimit } from '../concurrency.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { withSummary } from '../sinks/format.js';
import { isQuiescent, type Transition } from './lifecycle.js';
import type { PlannedSeries } from './plan.js';
import type { AlertState, PendingDelivery, StateStore } from './state-store.js';

/**
 * What became of a planned series: `owned` by this run (its lifecycle step stands), `left` to
 * another run (unexpired lease or lost compare-and-set), or `failed` (the state write failed).
 */
export type ClaimStatus = 'owned' | 'left' | 'failed';

export interface ClaimOptions {
  /** Names of the configured sinks: one pending delivery per sink and notification. */
  sinks: readonly string[];
  /**
   * Wall-clock time of the claim, Unix ms. Leases are measured in it, never in the evaluation
   * time: a replay (`run --now` days ago) must hold its lease for `leaseMs` like any run, and a
   * live run must not take a replay's lease for long expired.
   */
  clockMs: number;
  leaseMs: number;
  /** Store writes in flight at once. */
  concurrency: number;
  /** Compute everything, write nothing. */
  dryRun: boolean;
}

export interface ClaimResult {
  /** What became of each planned series with a lifecycle step (duplicates have none). */
  status: Map<PlannedSeries, ClaimStatus>;
  /** The states this run holds under its lease with deliveries to send, in plan order. */
  held: AlertState[];
  /** Dry run only: what would be sent, per sink. */
  wouldSend: { sink: string; ids: string[] }[];
  /** Notifications created by the lifecycle steps of series not left to another run. */
  notifications: number;
  /** Series left to another run. */
  skipped: number;
  /** Pending deliveries for sinks no longer configured, dropped. */
  dropped: number;
  /** Deliveries this stage leaves pending: those another run holds, and in a dry run all. */
  pending: number;
  /**
   * Deliveries this run could not make because another run holds their series (an unexpired
   * lease, or it won the compare-and-set); 0 in a dry run. A live overlapping run and one that
   * died holding its lease look the same from here.
   */
  leftPending: number;
  /** State writes that failed (those series are skipped this run). */
  stateErrors: number;
}

/** Oldest notification first; the id breaks ties, so every run sends in the same order. */
export function oldestFirst(a: PendingDelivery, b: PendingDelivery): number {
  return a.notification.atMs - b.notification.atMs || (a.notification.id < b.notification.id ? -1 : 1);
}

/** A state without `leaseUntilMs` (the key is removed, not set to undefined, for clean JSON). */
export function withoutLease(state: AlertState): AlertState {
  const copy = { ...state };
  delete copy.leaseUntilMs;
  return copy;
}

/**
 * The state a lifecycle step leads to, with its new notifications queued (`withSummary`) as one
 * pending delivery per sink after those already pending, oldest first. Deliveries for a sink
 * no longer configured are returned apart as `orphans`.
 */
function nextState(transition: Transition, sinks: readonly string[]): { next: AlertState; orphans: PendingDelivery[] } {
  const pending = [...transition.state.pending];
  for (const facts of transition.notifications) {
    const notification = withSummary(facts);
    for (const sink of sinks) pending.push({ sink, notification, attempts: 0 });
  }
  const configured = new Set(sinks);
  const orphans = pending.filter((p) => !configured.has(p.sink));
  const next = { ...transition.state, pending: pending.filter((p) => configured.has(p.sink)).sort(oldestFirst) };
  return { next, orphans };
}

/** Writes one series' next state; `held` is what was stored when there is something to send. */
async function claimOne(
  planned: PlannedSeries,
  next: AlertState,
  options: ClaimOptions,
  deps: { store: StateStore; logger: Logger },
): Promise<{ status: ClaimStatus; held?: AlertState; leftPending?: number }> {
  const { store, logger } = deps;
  const lost = (): { status: ClaimStatus; leftPending: number } => {
    logger.info('series claimed by another run', { series: planned.labels, pending: next.pending.length });
    return { status: 'left', leftPending: next.pending.length };
  };
  try {
    if (isQuiescent(next)) {
      // Nothing to remember: forget the series (and write nothing for one never stored).
      const { previous } = planned;
      if (previous && previous.version > 0 && !(await store.delete(previous))) return lost();
      return { status: 'owned' };
    }
    const lease = next.pending.length > 0 ? { leaseUntilMs: options.clockMs + options.leaseMs } : {};
    const written = await store.put({ ...withoutLease(next), ...lease, version: planned.previous?.version ?? 0 });
    if (!written) return lost();
    return { status: 'owned', held: written };
  } catch (error) {
    logger.error('alert state write failed; series skipped this run', { series: next.labels, error: errorMessage(error) });
    return { status: 'failed' };
  }
}

/**
 * Claims every planned series this run may deliver for. Never throws: a failed write skips its
 * series (counted in `stateErrors`), the others go on.
 */
export async function claimSeries(
  planned: readonly PlannedSeries[],
  options: ClaimOptions,
  deps: { store: StateStore; logger: Logger },
): Promise<ClaimResult> {
  const { sinks, clockMs, concurrency, dryRun } = options;
  const { logger } = deps;
  const result: ClaimResult = {
    status: new Map(),
    held: [],
    wouldSend: [],
    notifications: 0,
    skipped: 0,
    dropped: 0,
    pending: 0,
    leftPending: 0,
    stateErrors: 0,
  };

  const queued: { planned: PlannedSeries; next: AlertState }[] = [];
  for (const item of planned) {
    const { previous, transition } = item;
    if (!transition) continue; // a duplicate series, ignored
    if (previous?.leaseUntilMs !== undefined && previous.leaseUntilMs > clockMs) {
      // Another run is delivering this series right now (it also made this transition), or it
      // died holding the lease: the deliveries wait for it, or for the lease to end.
      const fields = { series: previous.labels, pending: previous.pending.length, leaseUntil: new Date(previous.leaseUntilMs).toISOString() };
      if (dryRun) logger.debug('series left to the run holding its lease', fields);
      else logger.warn('deliveries left pending: another run holds their lease', fields);
      result.status.set(item, 'left');
      result.skipped += 1;
      result.pending += previous.pending.length;
      if (!dryRun) result.leftPending += previous.pending.length;
      continue;
    }
    result.notifications += transition.notifications.length;
    const { next, orphans } = nextState(transition, sinks);
    if (orphans.length > 0) {
      // The sink was removed from the config: nobody can deliver these any more.
      logger.warn('pending deliveries dropped: sink no longer configured', {
        sinks: [...new Set(orphans.map((p) => p.sink))],
        ids: orphans.map((p) => p.notification.id),
      });
      result.dropped += orphans.length;
    }
    queued.push({ planned: item, next });
  }

  if (dryRun) {
    const wouldSend = new Map<string, string[]>();
    for (const { planned: item, next } of queued) {
      result.status.set(item, 'owned');
      for (const p of next.pending) wouldSend.set(p.sink, [...(wouldSend.get(p.sink) ?? []), p.notification.id]);
      result.pending += next.pending.length;
    }
    result.wouldSend = [...wouldSend].map(([sink, ids]) => ({ sink, ids }));
    return result;
  }

  const claims = await mapLimit(queued, concurrency, ({ planned: item, next }) => claimOne(item, next, options, deps));
  queued.forEach(({ planned: item }, index) => {
    const { status, held, leftPending = 0 } = claims[index]!;
    result.status.set(item, status);
    if (status === 'left') result.skipped += 1;
    result.leftPending += leftPending;
    if (status === 'failed') result.stateErrors += 1;
    if (held && held.pending.length > 0) result.held.push(held);
  });
  return result;
}
