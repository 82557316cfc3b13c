/**
 * The no-data alert of a detector's query as a whole (`notifyAbsent`), as a pure function of
 * the previous query state, how many series the query returned this run, and the time:
 *
 *   (none) --(series)--> watching                 nothing sent; the state remembers the count
 *   watching --(series)--> watching               nothing sent
 *   watching --(no series)--> no data (firing)    "absent"
 *   no data --(no series, repeatIntervalMinutes since the last)--> no data   "absent" again
 *   no data --(series)--> watching                "resolved", when sendResolved
 *   (none) --(no series)--> (none)                a query that never returned series: nothing
 *                                                 (the run's `query returned no series` says so)
 *
 * The state lives in the store under the reserved series key `(query)` (`querySeriesKey`), so
 * it goes through the same claim, lease and pending deliveries as a series: its notifications
 * are delivered at least once and retried by later runs. With `notifyAbsent` off, a query
 * state left from before is forgotten (its pending deliveries still go out first).
 */
import { isQueryNotification, querySeriesKey } from '../sinks/sink.js';
import {
  copyState,
  initialState,
  notificationFor,
  unchanged,
  type AlertDetector,
  type LifecyclePolicy,
  type Transition,
} from './lifecycle.js';
import type { AlertState } from './state-store.js';

/** True for the state of a detector's query as a whole rather than a series. */
export function isQueryState(state: Pick<AlertState, 'seriesKey'>): boolean {
  return isQueryNotification(state);
}

/** A query state from before `notifyAbsent` was turned off: nothing left to watch. */
function forget(previous: AlertState, nowMs: number): Transition {
  const next = copyState(previous);
  next.status = 'ok';
  next.anomalousStreak = 0;
  next.normalStreak = 0;
  next.lastEvaluatedMs = Math.max(previous.lastEvaluatedMs, nowMs);
  delete next.firingSinceMs;
  delete next.querySeries;
  return { state: next, notifications: [], alert: 'none' };
}

/**
 * One evaluation of the query as a whole: `querySeries` is how many series it returned this run
 * (with a verdict or not). Undefined when there is nothing to do or remember.
 */
export function evaluateQuery(
  previous: AlertState | undefined,
  querySeries: number,
  detector: AlertDetector,
  policy: LifecyclePolicy,
  nowMs: number,
): Transition | undefined {
  if (!detector.notifyAbsent) return previous ? forget(previous, nowMs) : undefined;
  if (previous && nowMs <= previous.lastEvaluatedMs) return unchanged(previous);
  const hadSeries = (previous?.querySeries ?? 0) > 0;
  if (!previous && querySeries === 0) return undefined;
  const next = copyState(previous ?? initialState(detector.name, querySeriesKey, {}));
  next.lastEvaluatedMs = nowMs;
  next.querySeries = querySeries;

  if (querySeries > 0) {
    if (next.status !== 'firing') return { state: next, notifications: [], alert: 'none' };
    const notifications = policy.sendResolved ? [notificationFor('resolved', next, detector, nowMs)] : [];
    next.status = 'ok';
    delete next.firingSinceMs;
    if (policy.sendResolved) next.lastNotifiedMs = nowMs;
    return { state: next, notifications, alert: 'resolved' };
  }
  if (next.status !== 'firing') {
    if (!hadSeries) return { state: next, notifications: [], alert: 'none' };
    next.status = 'firing';
    next.firingSinceMs = nowMs;
    next.lastNotifiedMs = nowMs;
    return { state: next, notifications: [notificationFor('absent', next, detector, nowMs)], alert: 'absent' };
  }
  const lastNotifiedMs = next.lastNotifiedMs ?? next.firingSinceMs ?? nowMs;
  if (nowMs - lastNotifiedMs < policy.repeatIntervalMinutes * 60_000) return { state: next, notifications: [], alert: 'none' };
  next.lastNotifiedMs = nowMs;
  return { state: next, notifications: [notificationFor('absent', next, detector, nowMs)], alert: 'repeat' };
}
