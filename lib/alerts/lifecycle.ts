/**
 * The alert lifecycle of one series of one detector, as a pure function of the previous state,
 * the newest verdict and the time:
 *
 *   ok --(forEvaluations anomalous in a row)--> firing   (notification "firing")
 *   firing --(still anomalous, repeatIntervalMinutes since the last notification)--> firing ("repeat")
 *   firing --(resolveAfter normal in a row)--> ok          ("resolved", when sendResolved)
 *   firing --(resolveAfter runs without the series)--> ok  ("resolved"; with notifyAbsent "absent")
 *
 * Nothing here reads or writes a store or sends anything: lib/alerts/dispatch.ts does that.
 * Notifications are facts; the text people read is the sinks' (lib/sinks/format.ts).
 * Pending deliveries of the previous state are carried over untouched.
 */
import type { NotificationFacts, NotificationKind, Severity } from '../sinks/sink.js';
import { type Labels, seriesKey } from '../series/index.js';
import { prometheusGraphUrl } from '../sources/prometheus/graph-url.js';
import type { AlertState } from './state-store.js';

/**
 * The value of the `alert` field of a series' log line; `absent` when a firing series that
 * stopped reporting ends with a no-data notification (`notifyAbsent`).
 */
export type AlertField = 'firing' | 'repeat' | 'resolved' | 'absent' | 'none';

/** The decision about the newest point of one series. */
export interface Verdict {
  labels: Labels;
  /** The newest point passed the contamination threshold and the minimum score. */
  anomalous: boolean;
  score: number;
  threshold: number;
  /** Newest value of the series. */
  value: number;
}

/** What the lifecycle needs of a detector's configuration. */
export interface AlertDetector {
  name: string;
  query: string;
  severity: Severity;
  /** Extra labels configured on the detector. */
  labels: Readonly<Record<string, string>>;
  /** Consecutive anomalous evaluations before an alert fires. */
  forEvaluations: number;
  /** Base URL of the Prometheus UI, for the graph link; credentials and query are stripped. */
  prometheusUrl?: string;
  /**
   * No-data notifications (`absent`): a firing series that stops reporting ends with one instead
   * of `resolved`, and the query returning no series after it returned some is a detector-level
   * alert (query-presence.ts). Off (absent): a vanished series resolves, the query is not watched.
   */
  notifyAbsent?: boolean;
}

/**
 * What the lifecycle needs of the alerts configuration (`Config['alerts']`; its defaults are
 * lib/config's `configDefaults`).
 */
export interface LifecyclePolicy {
  /** Minutes between repeat notifications while a series stays anomalous. */
  repeatIntervalMinutes: number;
  /** Consecutive normal evaluations that resolve a firing alert. */
  resolveAfter: number;
  /** Send a notification when an alert resolves. */
  sendResolved: boolean;
}

/** The next state (not yet stored) and what to tell people about it. */
export interface Transition {
  state: AlertState;
  /** New notifications (0 or 1); dispatch turns each into one pending delivery per sink. */
  notifications: NotificationFacts[];
  alert: AlertField;
}

/**
 * The notification of `kind` about `state` at `nowMs`: its numbers are the last verdict's (none
 * for the query as a whole); `resolved` carries `endsAtMs`.
 */
export function notificationFor(
  kind: NotificationKind,
  state: AlertState,
  detector: AlertDetector,
  nowMs: number,
): NotificationFacts {
  const last = state.lastVerdict ?? { score: null, threshold: null, value: null };
  const startsAtMs = state.firingSinceMs ?? nowMs;
  const notification: NotificationFacts = {
    id: `${detector.name}|${state.seriesKey}|${kind}|${nowMs}`,
    kind,
    detector: detector.name,
    seriesKey: state.seriesKey,
    labels: { ...state.labels },
    severity: detector.severity,
    extraLabels: { ...detector.labels },
    query: detector.query,
    score: last.score,
    threshold: last.threshold,
    value: last.value,
    startsAtMs,
    atMs: nowMs,
  };
  if (kind === 'resolved') notification.endsAtMs = nowMs;
  const link = prometheusGraphUrl(detector.prometheusUrl, detector.query);
  if (link !== undefined) notification.generatorUrl = link;
  return notification;
}

export function initialState(detector: string, key: string, labels: Labels): AlertState {
  return {
    detector,
    seriesKey: key,
    labels: { ...labels },
    status: 'ok',
    anomalousStreak: 0,
    normalStreak: 0,
    lastEvaluatedMs: 0,
    pending: [],
    version: 0,
  };
}

/** Copies the fields a transition may change; `pending` and `version` stay as they were. */
export function copyState(state: AlertState): AlertState {
  return { ...state, labels: { ...state.labels }, pending: [...state.pending] };
}

type End = (next: AlertState, detector: AlertDetector, policy: LifecyclePolicy, nowMs: number) => Transition;

const resolve: End = (next, detector, policy, nowMs) => {
  const { sendResolved } = policy;
  const notifications = sendResolved ? [notificationFor('resolved', next, detector, nowMs)] : [];
  next.status = 'ok';
  next.normalStreak = 0;
  delete next.firingSinceMs;
  if (sendResolved) next.lastNotifiedMs = nowMs;
  return { state: next, notifications, alert: 'resolved' };
};

/**
 * The end of a firing series that stopped reporting, with `notifyAbsent`: the alert ends as a
 * resolve would (nothing is left to evaluate), but people are told there is no data rather
 * than that all is well. Sent whatever `sendResolved` says: the detector asked for it.
 */
const endWithoutData: End = (next, detector, _policy, nowMs) => {
  const notification = { ...notificationFor('absent', next, detector, nowMs), endsAtMs: nowMs };
  next.status = 'ok';
  next.normalStreak = 0;
  delete next.firingSinceMs;
  next.lastNotifiedMs = nowMs;
  return { state: next, notifications: [notification], alert: 'absent' };
};

/**
 * A window already evaluated (a scheduler retrying the same minute, two runs for one `now`)
 * must not count twice toward `forEvaluations` or `resolveAfter`: the state stays as it is.
 */
export function unchanged(previous: AlertState): Transition {
  return { state: copyState(previous), notifications: [], alert: 'none' };
}

/**
 * A normal evaluation (a normal newest point, or a series absent from the result): ends an
 * anomalous streak, and resolves a firing alert after `resolveAfter` of them in a row.
 */
function normalEvaluation(
  next: AlertState,
  detector: AlertDetector,
  policy: LifecyclePolicy,
  nowMs: number,
  end: End = resolve,
): Transition {
  next.anomalousStreak = 0;
  if (next.status !== 'firing') {
    next.normalStreak = 0;
    return { state: next, notifications: [], alert: 'none' };
  }
  next.normalStreak += 1;
  const resolveAfter = Math.max(1, policy.resolveAfter);
  if (next.normalStreak >= resolveAfter) return end(next, detector, policy, nowMs);
  return { state: next, notifications: [], alert: 'none' };
}

/**
 * One evaluation of one series. `previous` is the stored state or undefined for a series never
 * seen (or forgotten after it went back to normal).
 */
export function evaluateAlert(
  previous: AlertState | undefined,
  verdict: Verdict,
  detector: AlertDetector,
  policy: LifecyclePolicy,
  nowMs: number,
): Transition {
  if (previous && nowMs <= previous.lastEvaluatedMs) return unchanged(previous);
  const key = seriesKey(verdict.labels);
  const next = copyState(previous ?? initialState(detector.name, key, verdict.labels));
  // The labels of the newest result win (same key means same labels, but be exact).
  next.labels = { ...verdict.labels };
  next.lastEvaluatedMs = nowMs;
  next.lastVerdict = { score: verdict.score, threshold: verdict.threshold, value: verdict.value };

  if (!verdict.anomalous) return normalEvaluation(next, detector, policy, nowMs);

  next.anomalousStreak += 1;
  next.normalStreak = 0;
  if (next.status !== 'firing') {
    const needed = Math.max(1, detector.forEvaluations);
    if (next.anomalousStreak < needed) return { state: next, notifications: [], alert: 'none' };
    next.status = 'firing';
    next.firingSinceMs = nowMs;
    next.lastNotifiedMs = nowMs;
    return { state: next, notifications: [notificationFor('firing', next, detector, nowMs)], alert: 'firing' };
  }
  const repeatMs = policy.repeatIntervalMinutes * 60_000;
  const lastNotifiedMs = next.lastNotifiedMs ?? next.firingSinceMs ?? nowMs;
  if (nowMs - lastNotifiedMs >= repeatMs) {
    next.lastNotifiedMs = nowMs;
    return { state: next, notifications: [notificationFor('repeat', next, detector, nowMs)], alert: 'repeat' };
  }
  return { state: next, notifications: [], alert: 'none' };
}

/**
 * One evaluation of a stored series the query no longer returns (the target went away, or its
 * window has too few points for a verdict). It counts as a normal evaluation, like Prometheus
 * resolving an alert whose series vanished: a firing alert ends after `resolveAfter` such runs,
 * from the last verdict it had, with a resolved notification, or with `notifyAbsent` a no-data
 * (`absent`) one. Pending deliveries are kept.
 */
export function evaluateAbsent(
  previous: AlertState,
  detector: AlertDetector,
  policy: LifecyclePolicy,
  nowMs: number,
): Transition {
  if (nowMs <= previous.lastEvaluatedMs) return unchanged(previous);
  const next = copyState(previous);
  next.lastEvaluatedMs = nowMs;
  return normalEvaluation(next, detector, policy, nowMs, detector.notifyAbsent ? endWithoutData : resolve);
}

/**
 * True when a state carries nothing worth keeping: not firing, no streak under way, nothing
 * pending. Such a state is deleted (or never written), so the store holds only live alerts.
 */
export function isQuiescent(state: AlertState): boolean {
  return (
    state.status === 'ok' &&
    state.anomalousStreak === 0 &&
    state.normalStreak === 0 &&
    state.pending.length === 0 &&
    // The query's state remembers that the query returned series (query-presence.ts).
    (state.querySeries ?? 0) === 0
  );
}
