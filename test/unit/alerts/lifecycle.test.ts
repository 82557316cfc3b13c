import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluateAbsent,
  evaluateAlert,
  isQuiescent,
  type AlertDetector,
  type AlertField,
  type LifecyclePolicy,
  type Verdict,
} from '../../../lib/alerts/lifecycle.js';
import { evaluateQuery } from '../../../lib/alerts/query-presence.js';
import type { AlertState } from '../../../lib/alerts/state-store.js';
import { seriesKey } from '../../../lib/series/index.js';
import { withSummary } from '../../../lib/sinks/format.js';
import { querySeriesKey } from '../../../lib/sinks/sink.js';
import { detector, labels, t0 } from './alert-fixtures.js';

const minuteMs = 60_000;
/** The config's defaults, passed as the run passes what the config holds. */
const defaultPolicy: LifecyclePolicy = { repeatIntervalMinutes: 240, resolveAfter: 2, sendResolved: true };

function verdict(anomalous: boolean, value = anomalous ? 9.5 : 0.2): Verdict {
  return { labels, anomalous, score: anomalous ? 0.81 : 0.42, threshold: 0.62, value };
}

/** Runs one evaluation per minute and returns the alert field of each. */
function timeline(
  pattern: readonly boolean[],
  policy: LifecyclePolicy = defaultPolicy,
  det: AlertDetector = detector,
): { alerts: AlertField[]; kinds: string[]; state: AlertState | undefined } {
  let state: AlertState | undefined;
  const alerts: AlertField[] = [];
  const kinds: string[] = [];
  pattern.forEach((anomalous, i) => {
    const t = evaluateAlert(state, verdict(anomalous), det, policy, t0 + i * minuteMs);
    state = { ...t.state, version: (state?.version ?? 0) + 1 };
    alerts.push(t.alert);
    kinds.push(...t.notifications.map((n) => n.kind));
  });
  return { alerts, kinds, state };
}

describe('evaluateAlert', () => {
  it('fires once on the first anomalous point and carries what a person needs', () => {
    const t = evaluateAlert(undefined, verdict(true), detector, defaultPolicy, t0);
    expect(t.alert).toBe('firing');
    expect(t.state.status).toBe('firing');
    expect(t.notifications).toHaveLength(1);
    const n = t.notifications[0]!;
    expect(n).toMatchObject({
      kind: 'firing',
      detector: 'latency',
      seriesKey: seriesKey(labels),
      labels,
      extraLabels: { team: 'sre' },
      severity: 'warning',
      query: 'http_latency_seconds',
      score: 0.81,
      threshold: 0.62,
      value: 9.5,
      startsAtMs: t0,
      atMs: t0,
    });
    expect(n.id).toBe(`latency|${seriesKey(labels)}|firing|${t0}`);
    expect(n.endsAtMs).toBeUndefined();
    expect(n.generatorUrl).toBe('http://prom.example:9090/graph?g0.expr=http_latency_seconds&g0.tab=0');
  });

  it('stays quiet for a normal series and leaves nothing worth storing', () => {
    const t = evaluateAlert(undefined, verdict(false), detector, defaultPolicy, t0);
    expect(t.alert).toBe('none');
    expect(t.notifications).toEqual([]);
    expect(isQuiescent(t.state)).toBe(true);
  });

  it('follows the documented timeline: fire, quiet, repeat after 240 min, resolve after 2 normal', () => {
    // minute 0 anomalous .. minute 240 anomalous, then 2 normal.
    const pattern = [...Array.from({ length: 241 }, () => true), false, false];
    const { alerts, kinds, state } = timeline(pattern);
    expect(alerts[0]).toBe('firing');
    expect(alerts.slice(1, 240).every((a) => a === 'none')).toBe(true);
    expect(alerts[240]).toBe('repeat');
    expect(alerts[241]).toBe('none');
    expect(alerts[242]).toBe('resolved');
    expect(kinds).toEqual(['firing', 'repeat', 'resolved']);
    expect(state?.status).toBe('ok');
    expect(isQuiescent({ ...state!, pending: [] })).toBe(true);
  });

  it('does not resolve on a single normal point between anomalous ones', () => {
    const { kinds } = timeline([true, false, true, false, true]);
    expect(kinds).toEqual(['firing']);
  });

  it('counts a window evaluated twice (a retried schedule) only once', () => {
    // Prepare: a firing alert, then the same normal minute evaluated twice.
    const fired = evaluateAlert(undefined, verdict(true), detector, defaultPolicy, t0);
    const calm1 = evaluateAlert({ ...fired.state, version: 1 }, verdict(false), detector, defaultPolicy, t0 + minuteMs);
    // Act
    const again = evaluateAlert({ ...calm1.state, version: 2 }, verdict(false), detector, defaultPolicy, t0 + minuteMs);
    const absentAgain = evaluateAbsent({ ...calm1.state, version: 2 }, detector, defaultPolicy, t0 + minuteMs);
    const calm2 = evaluateAlert({ ...again.state, version: 3 }, verdict(false), detector, defaultPolicy, t0 + 2 * minuteMs);
    // Assess: resolving needs two distinct normal minutes, and so does forEvaluations.
    expect([calm1.alert, again.alert, absentAgain.alert, calm2.alert]).toEqual(['none', 'none', 'none', 'resolved']);
    const det = { ...detector, forEvaluations: 2 };
    const first = evaluateAlert(undefined, verdict(true), det, defaultPolicy, t0);
    const repeated = evaluateAlert({ ...first.state, version: 1 }, verdict(true), det, defaultPolicy, t0);
    expect(repeated.alert).toBe('none');
    expect(repeated.notifications).toEqual([]);
  });

  it('waits for forEvaluations consecutive anomalous evaluations before firing', () => {
    const det = { ...detector, forEvaluations: 3 };
    const { alerts } = timeline([true, true, false, true, true, true], defaultPolicy, det);
    expect(alerts).toEqual(['none', 'none', 'none', 'none', 'none', 'firing']);
  });

  it('honours repeatIntervalMinutes, resolveAfter and sendResolved=false', () => {
    const policy = { repeatIntervalMinutes: 2, resolveAfter: 1, sendResolved: false };
    const { alerts, kinds } = timeline([true, true, true, false, true], policy);
    expect(alerts).toEqual(['firing', 'none', 'repeat', 'resolved', 'firing']);
    expect(kinds).toEqual(['firing', 'repeat', 'firing']);
  });

  it('resolved notification spans the whole alert and names the last numbers', () => {
    const { state } = timeline([true, true]);
    const t1 = evaluateAlert(state, verdict(false), detector, defaultPolicy, t0 + 10 * minuteMs);
    const t2 = evaluateAlert({ ...t1.state, version: 3 }, verdict(false), detector, defaultPolicy, t0 + 11 * minuteMs);
    const resolved = t2.notifications[0]!;
    expect(resolved.kind).toBe('resolved');
    expect(resolved.startsAtMs).toBe(t0);
    expect(resolved.endsAtMs).toBe(t0 + 11 * minuteMs);
    expect(resolved.value).toBe(0.2);
  });

  it('keeps pending deliveries of the previous state', () => {
    const first = evaluateAlert(undefined, verdict(true), detector, defaultPolicy, t0);
    const pending = [{ sink: 'slack', notification: withSummary(first.notifications[0]!), attempts: 1, lastError: 'HTTP 503' }];
    const stored: AlertState = { ...first.state, pending, version: 1 };
    const next = evaluateAlert(stored, verdict(true), detector, defaultPolicy, t0 + minuteMs);
    expect(next.state.pending).toEqual(pending);
    expect(next.state.version).toBe(1);
  });

  it('firing and resolved alternate over any sequence of evaluations', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (pattern, repeat) => {
        const { kinds } = timeline(pattern, { ...defaultPolicy, repeatIntervalMinutes: repeat });
        // firing and resolved alternate: never two firings without a resolve in between.
        const transitions = kinds.filter((k) => k !== 'repeat');
        transitions.forEach((k, i) => expect(k).toBe(i % 2 === 0 ? 'firing' : 'resolved'));
      }),
    );
  });
});

describe('evaluateAbsent', () => {
  it('resolves a firing series that left the query result after resolveAfter runs', () => {
    const fired = evaluateAlert(undefined, verdict(true), detector, defaultPolicy, t0);
    const s1 = evaluateAbsent({ ...fired.state, version: 1 }, detector, defaultPolicy, t0 + minuteMs);
    expect(s1.alert).toBe('none');
    const s2 = evaluateAbsent({ ...s1.state, version: 2 }, detector, defaultPolicy, t0 + 2 * minuteMs);
    expect(s2.alert).toBe('resolved');
    expect(s2.notifications[0]).toMatchObject({ kind: 'resolved', labels, value: 9.5, score: 0.81 });
  });

  it('forgets an anomalous streak that had not fired yet', () => {
    const det = { ...detector, forEvaluations: 2 };
    const first = evaluateAlert(undefined, verdict(true), det, defaultPolicy, t0);
    const absent = evaluateAbsent({ ...first.state, version: 1 }, det, defaultPolicy, t0 + minuteMs);
    expect(isQuiescent(absent.state)).toBe(true);
  });
});

describe('evaluateAbsent with notifyAbsent (no-data notifications)', () => {
  const noData: AlertDetector = { ...detector, notifyAbsent: true };

  it('ends a firing series that stopped reporting with an absent notification after resolveAfter runs, not resolved', () => {
    const fired = evaluateAlert(undefined, verdict(true), noData, defaultPolicy, t0);
    const s1 = evaluateAbsent({ ...fired.state, version: 1 }, noData, defaultPolicy, t0 + minuteMs);
    expect(s1).toMatchObject({ alert: 'none', notifications: [] });
    const s2 = evaluateAbsent({ ...s1.state, version: 2 }, noData, defaultPolicy, t0 + 2 * minuteMs);

    expect(s2.alert).toBe('absent');
    expect(s2.notifications).toEqual([
      expect.objectContaining({
        id: `latency|${seriesKey(labels)}|absent|${t0 + 2 * minuteMs}`,
        kind: 'absent',
        labels,
        score: 0.81,
        value: 9.5,
        startsAtMs: t0,
        endsAtMs: t0 + 2 * minuteMs,
      }),
    ]);
    // The alert is over: nothing left to remember.
    expect(s2.state.status).toBe('ok');
    expect(isQuiescent(s2.state)).toBe(true);
  });

  it('sends it even with sendResolved: false, and only for a series that was firing', () => {
    const policy = { ...defaultPolicy, resolveAfter: 1, sendResolved: false };
    const fired = evaluateAlert(undefined, verdict(true), noData, policy, t0);
    expect(evaluateAbsent({ ...fired.state, version: 1 }, noData, policy, t0 + minuteMs).notifications.map((n) => n.kind)).toEqual(['absent']);

    const streak = evaluateAlert(undefined, verdict(true), { ...noData, forEvaluations: 2 }, policy, t0);
    expect(evaluateAbsent({ ...streak.state, version: 1 }, noData, policy, t0 + minuteMs)).toMatchObject({ alert: 'none', notifications: [] });
  });

  it('a series that comes back before resolveAfter runs keeps firing, as without notifyAbsent', () => {
    const fired = evaluateAlert(undefined, verdict(true), noData, defaultPolicy, t0);
    const gone = evaluateAbsent({ ...fired.state, version: 1 }, noData, defaultPolicy, t0 + minuteMs);
    const back = evaluateAlert({ ...gone.state, version: 2 }, verdict(true), noData, defaultPolicy, t0 + 2 * minuteMs);
    expect(back).toMatchObject({ alert: 'none', notifications: [] });
    expect(back.state).toMatchObject({ status: 'firing', normalStreak: 0 });
  });
});

describe('evaluateQuery (the no-data alert of the query as a whole)', () => {
  const noData: AlertDetector = { ...detector, notifyAbsent: true };
  /** Runs the query evaluation once per minute with these series counts. */
  function queryTimeline(counts: readonly number[], det = noData, policy = defaultPolicy) {
    let state: AlertState | undefined;
    const steps: { alert: AlertField; kinds: string[]; stored: boolean }[] = [];
    counts.forEach((count, i) => {
      const t = evaluateQuery(state, count, det, policy, t0 + i * minuteMs);
      state = t && !isQuiescent(t.state) ? { ...t.state, version: (state?.version ?? 0) + 1 } : undefined;
      steps.push({ alert: t?.alert ?? 'none', kinds: t?.notifications.map((n) => n.kind) ?? [], stored: state !== undefined });
    });
    return { steps, state };
  }

  it('remembers that the query had series, fires once when it has none, resolves when they are back', () => {
    const { steps } = queryTimeline([2, 3, 0, 0, 1, 1]);
    expect(steps).toEqual([
      { alert: 'none', kinds: [], stored: true },
      { alert: 'none', kinds: [], stored: true },
      { alert: 'absent', kinds: ['absent'], stored: true },
      { alert: 'none', kinds: [], stored: true },
      { alert: 'resolved', kinds: ['resolved'], stored: true },
      { alert: 'none', kinds: [], stored: true },
    ]);
  });

  it('makes a detector-level notification: reserved series key, no labels, no numbers, open until resolved', () => {
    const had = evaluateQuery(undefined, 2, noData, defaultPolicy, t0)!;
    const none = evaluateQuery({ ...had.state, version: 1 }, 0, noData, defaultPolicy, t0 + minuteMs)!;
    expect(none.state).toMatchObject({ seriesKey: querySeriesKey, labels: {}, status: 'firing', querySeries: 0 });
    const [n] = none.notifications;
    expect(n).toEqual({
      id: `latency|(query)|absent|${t0 + minuteMs}`,
      kind: 'absent',
      detector: 'latency',
      seriesKey: '(query)',
      labels: {},
      severity: 'warning',
      extraLabels: { team: 'sre' },
      query: 'http_latency_seconds',
      score: null,
      threshold: null,
      value: null,
      startsAtMs: t0 + minuteMs,
      atMs: t0 + minuteMs,
      generatorUrl: expect.stringContaining('http://prom.example:9090/graph?g0.expr=') as string,
    });
    expect(withSummary(n!).summary).toBe('No data: latency: the query returned no series');

    const back = evaluateQuery({ ...none.state, version: 2 }, 1, noData, defaultPolicy, t0 + 5 * minuteMs)!;
    expect(back.notifications[0]).toMatchObject({ kind: 'resolved', startsAtMs: t0 + minuteMs, endsAtMs: t0 + 5 * minuteMs });
    expect(withSummary(back.notifications[0]!).summary).toBe('Resolved: latency: the query returns series again');
  });

  it('reminds every repeatIntervalMinutes while the query stays empty', () => {
    const policy = { ...defaultPolicy, repeatIntervalMinutes: 3 };
    const { steps } = queryTimeline([1, 0, 0, 0, 0, 0, 0, 0], noData, policy);
    expect(steps.map((s) => s.alert)).toEqual(['none', 'absent', 'none', 'none', 'repeat', 'none', 'none', 'repeat']);
    const reminder = queryTimeline([1, 0, 0, 0, 0], noData, policy);
    expect(reminder.state).toMatchObject({ status: 'firing', firingSinceMs: t0 + minuteMs, lastNotifiedMs: t0 + 4 * minuteMs });
  });

  it('says nothing for a query that never returned series, nor when it resolves with sendResolved: false', () => {
    expect(queryTimeline([0, 0, 0]).steps.every((s) => s.alert === 'none' && !s.stored)).toBe(true);
    const quiet = queryTimeline([1, 0, 1], noData, { ...defaultPolicy, sendResolved: false });
    expect(quiet.steps.map((s) => s.kinds)).toEqual([[], ['absent'], []]);
  });

  it('counts a window evaluated twice only once', () => {
    const had = evaluateQuery(undefined, 1, noData, defaultPolicy, t0)!;
    const none = evaluateQuery({ ...had.state, version: 1 }, 0, noData, defaultPolicy, t0 + minuteMs)!;
    const again = evaluateQuery({ ...none.state, version: 2 }, 0, noData, defaultPolicy, t0 + minuteMs)!;
    expect(again).toMatchObject({ alert: 'none', notifications: [] });
  });

  it('without notifyAbsent: watches nothing, and forgets a query state left from before', () => {
    expect(evaluateQuery(undefined, 3, detector, defaultPolicy, t0)).toBeUndefined();
    const had = evaluateQuery(undefined, 2, noData, defaultPolicy, t0)!;
    const none = evaluateQuery({ ...had.state, version: 1 }, 0, noData, defaultPolicy, t0 + minuteMs)!;
    const off = evaluateQuery({ ...none.state, version: 2 }, 0, detector, defaultPolicy, t0 + 2 * minuteMs)!;
    expect(off.notifications).toEqual([]);
    expect(isQuiescent(off.state)).toBe(true);
  });
});

