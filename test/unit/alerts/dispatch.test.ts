/**
 * Delivery logic over the real memory store. The sinks here are small in-process AlertSink
 * implementations that record batches and fail on demand: the HTTP side of sinks is covered by
 * the sink contract tests and test/integration/webhook-delivery.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { dispatchAlerts, type AlertSeries, type DispatchPolicy } from '../../../lib/alerts/dispatch.js';
import type { AlertDetector } from '../../../lib/alerts/lifecycle.js';
import { createMemoryStateStore } from '../../../lib/alerts/memory-state-store.js';
import type { AlertState, StateStore } from '../../../lib/alerts/state-store.js';
import { createMemoryLogger } from '../../../lib/log.js';
import { seriesKey } from '../../../lib/series/index.js';
import { querySeriesKey, type AlertSink, type DeliveryResult, type Notification } from '../../../lib/sinks/sink.js';

const minuteMs = 60_000;
const t0 = Date.UTC(2025, 5, 1, 0, 0, 0);
const detector: AlertDetector = { name: 'latency', query: 'lat', severity: 'warning', labels: {}, forEvaluations: 1 };
const policy: DispatchPolicy = { repeatIntervalMinutes: 240, resolveAfter: 2, sendResolved: true };

type Behaviour = (batch: readonly Notification[], call: number) => DeliveryResult | Promise<DeliveryResult>;

interface RecordingSink extends AlertSink {
  batches: Notification[][];
  /** Ids accepted over all calls. */
  accepted: string[];
}

const ok: Behaviour = (batch) => ({ delivered: batch.map((n) => n.id), failed: [] });
const failAll =
  (retryable: boolean, reason = retryable ? 'ECONNREFUSED' : 'HTTP 400'): Behaviour =>
  (batch) => ({ delivered: [], failed: batch.map((n) => ({ id: n.id, retryable, reason })) });

function recordingSink(name: string, behaviour: Behaviour = ok): RecordingSink & { behave: (b: Behaviour) => void } {
  let current = behaviour;
  const sink = {
    name,
    batches: [] as Notification[][],
    accepted: [] as string[],
    behave: (b: Behaviour) => {
      current = b;
    },
    send: async (batch: readonly Notification[]) => {
      sink.batches.push([...batch]);
      const result = await current(batch, sink.batches.length);
      sink.accepted.push(...result.delivered);
      return result;
    },
  };
  return sink;
}

function verdict(instance: string, anomalous: boolean): AlertSeries {
  return { labels: { job: 'api', instance }, anomalous, score: anomalous ? 0.9 : 0.3, threshold: 0.6, last: anomalous ? 99 : 1 };
}

function run(
  store: StateStore,
  sinks: AlertSink[],
  verdicts: AlertSeries[],
  minute: number,
  extra: { dryRun?: boolean; policy?: DispatchPolicy; clockMs?: number; nowMs?: number; detector?: AlertDetector; querySeries?: number } = {},
) {
  const logger = createMemoryLogger();
  // The wall clock: the evaluation time, unless a test says otherwise (a replay).
  const nowMs = extra.nowMs ?? t0 + minute * minuteMs;
  const clockMs = extra.clockMs ?? nowMs;
  const querySeries = extra.querySeries !== undefined ? { querySeries: extra.querySeries } : {};
  const result = dispatchAlerts(
    { detector: extra.detector ?? detector, verdicts, nowMs, dryRun: extra.dryRun, ...querySeries },
    { store, sinks, policy: extra.policy ?? policy, logger, clock: () => clockMs },
  );
  return { logger, result };
}

describe('dispatchAlerts', () => {
  it('notifies every sink once when a series starts firing, and not again on the next run', async () => {
    const store = createMemoryStateStore();
    const slack = recordingSink('slack');
    const hook = recordingSink('hook');
    const first = await run(store, [slack, hook], [verdict('a', true), verdict('b', false)], 0).result;
    expect(first.series.map((s) => s.alert)).toEqual(['firing', 'none']);
    expect(first).toMatchObject({ notifications: 1, sent: 2, failed: 0, pending: 0 });
    expect(slack.batches).toHaveLength(1);
    expect(slack.batches[0]![0]).toMatchObject({ kind: 'firing', labels: { job: 'api', instance: 'a' } });
    expect(hook.accepted).toEqual(slack.accepted);

    const second = await run(store, [slack, hook], [verdict('a', true), verdict('b', false)], 1).result;
    expect(second.series.map((s) => s.alert)).toEqual(['none', 'none']);
    expect(second.sent).toBe(0);
    expect(slack.batches).toHaveLength(1);
    // Only the firing series is remembered, without pending deliveries or lease.
    const states = await store.list('latency');
    expect(states).toHaveLength(1);
    expect(states[0]).toMatchObject({ status: 'firing', pending: [] });
    expect(states[0]!.leaseUntilMs).toBeUndefined();
  });

  it('stores nothing for a detector whose series are all normal', async () => {
    const store = createMemoryStateStore();
    const summary = await run(store, [recordingSink('s')], [verdict('a', false), verdict('b', false)], 0).result;
    expect(summary.sent).toBe(0);
    expect(await store.list('latency')).toEqual([]);
  });

  it('puts all series of a run into one batch per sink', async () => {
    const store = createMemoryStateStore();
    const slack = recordingSink('slack');
    await run(store, [slack], [verdict('a', true), verdict('b', true), verdict('c', true)], 0).result;
    expect(slack.batches).toHaveLength(1);
    expect(slack.batches[0]!.map((n) => n.labels.instance).sort()).toEqual(['a', 'b', 'c']);
  });

  it('keeps a failed delivery pending for that sink only and sends it on the next run', async () => {
    const store = createMemoryStateStore();
    const slack = recordingSink('slack', failAll(true));
    const hook = recordingSink('hook');
    const first = await run(store, [slack, hook], [verdict('a', true)], 0).result;
    expect(first).toMatchObject({ sent: 1, failed: 1, pending: 1 });
    const [stored] = await store.list('latency');
    expect(stored!.pending).toHaveLength(1);
    expect(stored!.pending[0]).toMatchObject({ sink: 'slack', attempts: 1, lastError: 'ECONNREFUSED' });

    slack.behave(ok);
    const second = await run(store, [slack, hook], [verdict('a', true)], 1).result;
    expect(second).toMatchObject({ sent: 1, failed: 0, pending: 0 });
    expect(slack.accepted).toHaveLength(1);
    expect(slack.accepted[0]).toBe(hook.accepted[0]); // the same notification, same id
    expect(hook.batches).toHaveLength(1); // not sent twice to the sink that had it
    expect((await store.list('latency'))[0]!.pending).toEqual([]);
  });

  it('delivers pending notifications of a series that left the query result', async () => {
    const store = createMemoryStateStore();
    const hook = recordingSink('hook', failAll(true));
    await run(store, [hook], [verdict('a', true)], 0).result;
    hook.behave(ok);
    const second = await run(store, [hook], [], 1).result;
    expect(second.sent).toBe(1);
    expect(hook.accepted).toHaveLength(1);
    expect(hook.accepted[0]).toContain('|firing|');
  });

  it('resolves a firing series that disappeared after resolveAfter runs and forgets it', async () => {
    const store = createMemoryStateStore();
    const hook = recordingSink('hook');
    await run(store, [hook], [verdict('a', true)], 0).result;
    const one = await run(store, [hook], [], 1).result;
    expect(one.absent).toEqual([]);
    const two = await run(store, [hook], [], 2).result;
    expect(two.absent).toEqual([{ seriesKey: seriesKey({ job: 'api', instance: 'a' }), labels: { job: 'api', instance: 'a' }, alert: 'resolved' }]);
    expect(hook.batches.flat().map((n) => n.kind)).toEqual(['firing', 'resolved']);
    expect(await store.list('latency')).toEqual([]);
  });

  it('gives up a non-retryable delivery after giveUpAfterAttempts runs, with an error line', async () => {
    const store = createMemoryStateStore();
    const hook = recordingSink('hook', failAll(false));
    const extra = { policy: { ...policy, giveUpAfterAttempts: 2 } };
    const first = await run(store, [hook], [verdict('a', true)], 0, extra).result;
    expect(first).toMatchObject({ failed: 1, pending: 1, dropped: 0 });
    const second = run(store, [hook], [verdict('a', true)], 1, extra);
    expect(await second.result).toMatchObject({ failed: 1, pending: 0, dropped: 1 });
    expect(second.logger.diagnostics.some((d) => d.level === 'error' && d.msg === 'delivery given up: not retryable')).toBe(true);
    await run(store, [hook], [verdict('a', true)], 2, extra).result;
    expect(hook.batches).toHaveLength(2);
  });

  it('never drops a retryable delivery', async () => {
    const store = createMemoryStateStore();
    const hook = recordingSink('hook', failAll(true));
    for (let minute = 0; minute < 10; minute++) await run(store, [hook], [verdict('a', true)], minute).result;
    const [stored] = await store.list('latency');
    expect(stored!.pending[0]).toMatchObject({ attempts: 10 });
    hook.behave(ok);
    await run(store, [hook], [verdict('a', true)], 10).result;
    expect(hook.accepted).toHaveLength(1);
  });

  it('a sink that throws loses nothing', async () => {
    const store = createMemoryStateStore();
    const hook = recordingSink('hook', () => {
      throw new Error('bug with http://secret.example/token in it');
    });
    const { result, logger } = run(store, [hook], [verdict('a', true)], 0);
    expect(await result).toMatchObject({ failed: 1, pending: 1 });
    expect(logger.lines.join('\n')).not.toContain('secret.example');
  });

  it('dry run sends nothing, writes nothing, and says what would be sent', async () => {
    const store = createMemoryStateStore();
    const hook = recordingSink('hook');
    const summary = await run(store, [hook], [verdict('a', true), verdict('b', false)], 0, { dryRun: true }).result;
    expect(summary.series.map((s) => s.alert)).toEqual(['firing', 'none']);
    expect(summary.wouldSend).toEqual([{ sink: 'hook', ids: [expect.stringContaining('|firing|') as string] }]);
    expect(summary.sent).toBe(0);
    expect(hook.batches).toEqual([]);
    expect(await store.list('latency')).toEqual([]);
  });

  it('leaves a series whose lease another run holds alone', async () => {
    const store = createMemoryStateStore();
    const hook = recordingSink('hook', failAll(true));
    await run(store, [hook], [verdict('a', true)], 0).result;
    const [stored] = await store.list('latency');
    await store.put({ ...stored!, leaseUntilMs: t0 + 10 * minuteMs });
    hook.behave(ok);
    const summary = await run(store, [hook], [verdict('a', true)], 1).result;
    expect(summary).toMatchObject({ skipped: 1, sent: 0, pending: 1 });
    // Once the lease has expired (a crashed run), the next run delivers.
    const later = await run(store, [hook], [verdict('a', true)], 11).result;
    expect(later.sent).toBe(1);
  });

  it('measures leases in wall-clock time: a replay of two days ago holds its claim for leaseMs, no longer', async () => {
    const store = createMemoryStateStore();
    const wallMs = t0 + 3 * 24 * 60 * minuteMs;
    // A replay evaluating two days before the wall clock whose delivery never returns (a run
    // that hangs, or died after its claim).
    const stuck = recordingSink('hook', () => new Promise<DeliveryResult>(() => undefined));
    void run(store, [stuck], [verdict('a', true)], 0, { nowMs: wallMs - 2 * 24 * 60 * minuteMs, clockMs: wallMs }).result;
    await expect.poll(() => stuck.batches.length).toBe(1);
    const [claimed] = await store.list('latency');
    expect(claimed!.leaseUntilMs).toBe(wallMs + 5 * minuteMs);

    // A live run a minute later (wall clock and evaluation time alike) leaves it alone...
    const hook = recordingSink('hook');
    const live = run(store, [hook], [verdict('a', true)], 0, { nowMs: wallMs + minuteMs, clockMs: wallMs + minuteMs });
    expect(await live.result).toMatchObject({ skipped: 1, sent: 0, pending: 1, leftPending: 1 });
    expect(live.logger.diagnostics.find((d) => d.msg === 'deliveries left pending: another run holds their lease')).toMatchObject({
      level: 'warn',
      pending: 1,
      leaseUntil: new Date(wallMs + 5 * minuteMs).toISOString(),
    });
    expect(hook.batches).toEqual([]);

    // ...and once the lease is over by the wall clock, the next run delivers what is pending
    // (its own verdict normal: a repeat two days after the firing would go out too).
    const later = await run(store, [hook], [verdict('a', false)], 0, { nowMs: wallMs + 6 * minuteMs, clockMs: wallMs + 6 * minuteMs }).result;
    expect(later).toMatchObject({ sent: 1, leftPending: 0, pending: 0 });
    expect(hook.accepted).toEqual([expect.stringContaining('|firing|')]);
  });

  it('two overlapping runs deliver a new alert exactly once', async () => {
    const store = createMemoryStateStore();
    const hook = recordingSink('hook', async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return ok(batch, 0);
    });
    const [a, b] = await Promise.all([
      run(store, [hook], [verdict('a', true)], 0).result,
      run(store, [hook], [verdict('a', true)], 0).result,
    ]);
    expect(hook.accepted).toHaveLength(1);
    expect(a.sent + b.sent).toBe(1);
    expect(a.skipped + b.skipped).toBe(1);
    expect([a.series[0]!.alert, b.series[0]!.alert].sort()).toEqual(['firing', 'none']);
  });

  it('drops pending deliveries of a sink removed from the config, with a warning', async () => {
    const store = createMemoryStateStore();
    await run(store, [recordingSink('old', failAll(true))], [verdict('a', true)], 0).result;
    const next = recordingSink('new');
    const { result, logger } = run(store, [next], [verdict('a', true)], 1);
    expect(await result).toMatchObject({ dropped: 1, pending: 0 });
    expect(logger.diagnostics.some((d) => d.msg === 'pending deliveries dropped: sink no longer configured')).toBe(true);
  });

  it('a failing state write skips that series without sending, and is counted', async () => {
    const inner = createMemoryStateStore();
    const broken: StateStore = { ...inner, put: (_state: AlertState) => Promise.reject(new Error('disk full')) };
    const hook = recordingSink('hook');
    const summary = await run(broken, [hook], [verdict('a', true)], 0).result;
    expect(summary).toMatchObject({ stateErrors: 1, sent: 0 });
    expect(summary.series[0]!.alert).toBe('none');
    expect(hook.batches).toEqual([]);
  });

  describe('no-data alerts (notifyAbsent)', () => {
    const noData: AlertDetector = { ...detector, notifyAbsent: true };

    it('ends a firing series that left the query result with an absent notification, logged as absent', async () => {
      const store = createMemoryStateStore();
      const hook = recordingSink('hook');
      const extra = { detector: noData };
      await run(store, [hook], [verdict('a', true), verdict('b', false)], 0, extra).result;
      await run(store, [hook], [verdict('b', false)], 1, extra).result;
      const ended = await run(store, [hook], [verdict('b', false)], 2, extra).result;

      expect(ended.absent).toEqual([{ seriesKey: seriesKey({ job: 'api', instance: 'a' }), labels: { job: 'api', instance: 'a' }, alert: 'absent' }]);
      expect(hook.batches.flat().map((n) => n.kind)).toEqual(['firing', 'absent']);
      expect(await store.list('latency')).toEqual([]);
    });

    it("keeps the query's state under its reserved key and delivers its notification at least once, across runs", async () => {
      const store = createMemoryStateStore();
      const hook = recordingSink('hook', failAll(true));
      const extra = (querySeries: number) => ({ detector: noData, querySeries });
      const first = await run(store, [hook], [verdict('a', false)], 0, extra(1)).result;
      expect(first).toMatchObject({ query: 'none', sent: 0 });
      expect(await store.list('latency')).toEqual([expect.objectContaining({ seriesKey: querySeriesKey, status: 'ok', querySeries: 1 })]);

      // The query returns nothing: the no-data alert fires; the receiver is down.
      const empty = await run(store, [hook], [], 1, extra(0)).result;
      expect(empty).toMatchObject({ query: 'absent', notifications: 1, failed: 1, pending: 1, absent: [] });
      const [stored] = await store.list('latency');
      expect(stored).toMatchObject({ seriesKey: querySeriesKey, status: 'firing', pending: [expect.objectContaining({ attempts: 1 })] });
      expect(stored!.leaseUntilMs).toBeUndefined();

      // The next run (still nothing) delivers it; nothing new is made.
      hook.behave(ok);
      const next = await run(store, [hook], [], 2, extra(0)).result;
      expect(next).toMatchObject({ query: 'none', notifications: 0, sent: 1, pending: 0 });
      expect(hook.accepted).toEqual([`latency|(query)|absent|${t0 + minuteMs}`]);

      // Series are back: resolved, and the state goes on watching.
      const back = await run(store, [hook], [verdict('a', false)], 3, extra(1)).result;
      expect(back).toMatchObject({ query: 'resolved', sent: 1 });
      expect(hook.accepted.at(-1)).toBe(`latency|(query)|resolved|${t0 + 3 * minuteMs}`);
      expect(await store.list('latency')).toEqual([expect.objectContaining({ seriesKey: querySeriesKey, status: 'ok', querySeries: 1, pending: [] })]);
    });

    it("leaves the query's pending notification to the run holding its lease", async () => {
      const store = createMemoryStateStore();
      const hook = recordingSink('hook', failAll(true));
      await run(store, [hook], [verdict('a', false)], 0, { detector: noData, querySeries: 1 }).result;
      await run(store, [hook], [], 1, { detector: noData, querySeries: 0 }).result;
      const [stored] = await store.list('latency');
      await store.put({ ...stored!, leaseUntilMs: t0 + 10 * minuteMs });
      hook.behave(ok);

      const left = await run(store, [hook], [], 2, { detector: noData, querySeries: 0 }).result;
      expect(left).toMatchObject({ skipped: 1, sent: 0, leftPending: 1, query: 'none' });
    });
  });
});

