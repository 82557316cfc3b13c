/**
 * runDetection, the pipeline, with in-process adapters: a MetricSource serving series built
 * here, the memory state store, and a sink that records what it was given (and can fail). The
 * real Prometheus, webhook receiver and CLI are covered in test/integration/run-*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStateStore } from '../../lib/alerts/memory-state-store.js';
import { parseConfig, type Config } from '../../lib/config/index.js';
import { createMemoryLogger } from '../../lib/log.js';
import { runDetection, type RunDependencies } from '../../lib/run.js';
import type { AlertSink, DeliveryResult, Notification } from '../../lib/sinks/sink.js';
import { SourceError } from '../../lib/sources/errors.js';
import type { Labels, Series } from '../../lib/series/index.js';
import type { MetricSource, RangeQuery } from '../../lib/sources/source.js';
import { latencyValue } from '../support/latency-history.js';
import { seededRandom } from '../support/random.js';
import { defaultDetector } from '../../lib/config/defaults.js';
import { windowPoints } from '../../lib/detect/window.js';

const minuteMs = 60_000;
/** Newest point of the spike; a whole minute. */
const t0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/**
 * A series over [startMs, endMs] one point a minute: ±5 % noise, calm (±0.5 %) near t0; with
 * `spike`, 4x then 10x its level in the two minutes ending at t0 (fires with default settings).
 */
function makeSeries(labels: Labels, query: RangeQuery, options: { spike?: boolean; points?: number } = {}): Series {
  const random = seededRandom(labels.instance?.charCodeAt(0) ?? 1);
  const times: number[] = [];
  const values: number[] = [];
  for (let t = t0 - 180 * minuteMs; t <= t0 + 10 * minuteMs; t += minuteMs) {
    const m = (t - t0) / minuteMs;
    const value = latencyValue(random, 0.3, m, options.spike ?? false);
    if (t < query.startMs || t > query.endMs) continue;
    times.push(t);
    values.push(value);
  }
  const keep = options.points ?? times.length;
  return {
    labels,
    timestampsMs: Float64Array.from(times.slice(-keep)),
    values: Float64Array.from(values.slice(-keep)),
    droppedNonFinite: 0,
  };
}

type Handler = (query: RangeQuery) => Series[] | Promise<Series[]>;

/** A MetricSource answering per query; records every request and the concurrency seen. */
function source(handlers: Record<string, Handler>) {
  const requests: RangeQuery[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const port: MetricSource = {
    description: 'test source',
    async queryRange(query) {
      requests.push(query);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const handler = handlers[query.query];
        if (!handler) throw new SourceError(`test source: no data for "${query.query}"`, { retryable: false });
        return await handler(query);
      } finally {
        inFlight--;
      }
    },
  };
  return { port, requests, maxInFlight: () => maxInFlight };
}

/** A sink that records batches; `fail` makes the next sends fail. */
function recordingSink(name = 'hook') {
  const batches: Notification[][] = [];
  let failure: { retryable: boolean; reason: string } | undefined;
  const sink: AlertSink = {
    name,
    send: (notifications) => {
      batches.push([...notifications]);
      const result: DeliveryResult = failure
        ? { delivered: [], failed: notifications.map((n) => ({ id: n.id, ...failure! })) }
        : { delivered: notifications.map((n) => n.id), failed: [] };
      return Promise.resolve(result);
    },
  };
  return {
    sink,
    batches,
    fail: (next: { retryable: boolean; reason: string } | undefined) => {
      failure = next;
    },
  };
}

function config(detectors: { name: string; query: string }[], extra: Record<string, unknown> = {}): Config {
  return parseConfig({ prometheus: { url: 'http://prometheus.test:9090' }, detectors, ...extra }, { source: 'test' });
}

const latency = { name: 'latency', query: 'latency' };
const spikeAndCalm: Handler = (q) => [
  makeSeries({ job: 'api', instance: 'a' }, q),
  makeSeries({ job: 'api', instance: 'c' }, q, { spike: true }),
];

function deps(cfg: Config, src: MetricSource, sinks: AlertSink[] = []) {
  const logger = createMemoryLogger();
  const store = createMemoryStateStore();
  const run: RunDependencies = { config: cfg, source: src, store, sinks, logger };
  return { run, logger, store };
}

const lines = (logger: ReturnType<typeof createMemoryLogger>) => logger.results.filter((r) => r.summary !== true);
const summaryOf = (logger: ReturnType<typeof createMemoryLogger>) => logger.results.find((r) => r.summary === true);

describe('runDetection', () => {
  it('writes one result line per series with the documented keys, then the summary line', async () => {
    const { port } = source({ latency: spikeAndCalm });
    const hook = recordingSink();
    const { run, logger } = deps(config([latency]), port, [hook.sink]);

    const summary = await runDetection(run, { now: new Date(t0) });

    expect(lines(logger).map((l) => [(l.series as Labels).instance, l.alert])).toEqual([
      ['a', 'none'],
      ['c', 'firing'],
    ]);
    for (const line of lines(logger)) {
      expect(Object.keys(line).sort()).toEqual(
        ['alert', 'detector', 'has_anomaly', 'last', 'num_anomalies', 'points', 'score', 'series', 'threshold'],
      );
      // The default window, or the 181 points (3 hours at 60 s) the test's source holds when shorter.
      expect(line.points).toBe(Math.min(windowPoints(defaultDetector()), 181));
    }
    expect(logger.results.at(-1)).toMatchObject({
      summary: true,
      ok: true,
      detectors: 1,
      series: 2,
      anomalies: 1,
      alerts_sent: 1,
      failures: 0,
    });
    expect(summary).toMatchObject({ ok: true, alertsSent: 1, anomalies: 1 });
    expect(hook.batches.map((b) => b.map((n) => [n.kind, n.labels.instance]))).toEqual([[['firing', 'c']]]);
  });

  it('asks the source for the window ending at now aligned down to the step', async () => {
    const { port, requests } = source({ latency: spikeAndCalm });
    const { run } = deps(config([{ ...latency, windowMinutes: 90, stepSeconds: 120 } as typeof latency]), port);

    await runDetection(run, { now: new Date(t0 + 61_000) }); // 1 min 1 s after an even 2-minute mark

    expect(requests).toEqual([{ query: 'latency', startMs: t0 - 90 * minuteMs, endMs: t0, stepSeconds: 120 }]);
  });

  it('a series with fewer than minPoints points gets a line without a score and no alert', async () => {
    const { port } = source({ latency: (q) => [makeSeries({ instance: 'c' }, q, { spike: true, points: 10 })] });
    const hook = recordingSink();
    const { run, logger } = deps(config([latency]), port, [hook.sink]);

    await runDetection(run, { now: new Date(t0) });

    expect(lines(logger)).toEqual([
      expect.objectContaining({ points: 10, score: null, threshold: null, has_anomaly: false, num_anomalies: 0, alert: 'none' }),
    ]);
    expect(logger.diagnostics.some((d) => d.msg === 'too few points for a verdict' && d.minPoints === 30)).toBe(true);
    expect(hook.batches).toHaveLength(0);
  });

  it('one failing detector logs one error line; the others run and deliver; the summary counts the failure', async () => {
    const { port } = source({
      latency: spikeAndCalm,
      broken: () => {
        throw new SourceError('prometheus http://p:9090 query "broken" failed: HTTP 500 after 4 attempts', { retryable: true });
      },
    });
    const hook = recordingSink();
    const { run, logger } = deps(config([{ name: 'broken', query: 'broken' }, latency]), port, [hook.sink]);

    const summary = await runDetection(run, { now: new Date(t0) });

    const errors = logger.diagnostics.filter((d) => d.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'detector failed', detector: 'broken' });
    expect(errors[0]!.error).toContain('HTTP 500');
    expect(hook.batches).toHaveLength(1);
    expect(summary).toMatchObject({ ok: false, failures: 1, detectors: 2, series: 2, alertsSent: 1 });
    expect(summary.outcomes.map((o) => [o.name, o.ok])).toEqual([
      ['broken', false],
      ['latency', true],
    ]);
  });

  it('a failed delivery makes the run fail and stays pending; the next run delivers it once', async () => {
    const { port } = source({ latency: spikeAndCalm });
    const hook = recordingSink();
    const { run, logger } = deps(config([latency]), port, [hook.sink]);
    hook.fail({ retryable: true, reason: 'HTTP 503' });

    const first = await runDetection(run, { now: new Date(t0) });
    expect(first).toMatchObject({ ok: false, failures: 1, pending: 1, alertsSent: 0 });
    expect(summaryOf(logger)).toMatchObject({ ok: false, pending: 1 });

    // The next run (here a retry of the same schedule, so the verdicts are unchanged).
    hook.fail(undefined);
    const second = await runDetection(run, { now: new Date(t0) });
    expect(second).toMatchObject({ ok: true, failures: 0, pending: 0, alertsSent: 1 });
    expect(hook.batches.map((b) => b.map((n) => n.id))).toEqual([[hook.batches[0]![0]!.id], [hook.batches[0]![0]!.id]]);

    const third = await runDetection(run, { now: new Date(t0) });
    expect(third.alertsSent).toBe(0);
    expect(hook.batches).toHaveLength(2);
  });

  it('dry run: reports what would fire, sends nothing, stores nothing', async () => {
    const { port } = source({ latency: spikeAndCalm });
    const hook = recordingSink();
    const { run, logger, store } = deps(config([latency]), port, [hook.sink]);

    const summary = await runDetection(run, { now: new Date(t0), dryRun: true });

    expect(lines(logger).find((l) => (l.series as Labels).instance === 'c')?.alert).toBe('firing');
    expect(summary).toMatchObject({ dryRun: true, alertsSent: 0 });
    expect(summaryOf(logger)).toMatchObject({ dry_run: true });
    expect(hook.batches).toHaveLength(0);
    expect(await store.list('latency')).toEqual([]);
  });

  it('runs only the requested detectors; an unknown name is a failure', async () => {
    const { port, requests } = source({ latency: spikeAndCalm, other: spikeAndCalm });
    const { run, logger } = deps(config([latency, { name: 'other', query: 'other' }]), port);

    const summary = await runDetection(run, { now: new Date(t0), detectors: ['other', 'missing'] });

    expect(requests.map((r) => r.query)).toEqual(['other']);
    expect(summary).toMatchObject({ ok: false, failures: 1 });
    expect(summary.outcomes.map((o) => o.name).sort()).toEqual(['missing', 'other']);
    expect(logger.diagnostics.some((d) => d.msg === 'unknown detector requested' && d.detector === 'missing')).toBe(true);
  });

  it('keeps at most `concurrency` detectors in flight', async () => {
    const names = ['d1', 'd2', 'd3', 'd4', 'd5'];
    const handlers = Object.fromEntries(names.map((n) => [n, spikeAndCalm]));
    for (const concurrency of [1, 2]) {
      const { port, maxInFlight, requests } = source(handlers);
      const { run } = deps(config(names.map((n) => ({ name: n, query: n })), { concurrency }), port);

      await runDetection(run, { now: new Date(t0) });

      expect(requests).toHaveLength(5);
      expect(maxInFlight()).toBe(concurrency);
    }
  });

  it('an aborted run skips the detectors not started, says so, and fails', async () => {
    const { port, requests } = source({ latency: spikeAndCalm });
    const { run, logger } = deps(config([latency]), port);
    const controller = new AbortController();
    controller.abort(new Error('SIGTERM'));

    const summary = await runDetection(run, { now: new Date(t0), signal: controller.signal });

    expect(requests).toHaveLength(0);
    expect(summary).toMatchObject({ ok: false, skipped: ['latency'] });
    expect(summaryOf(logger)).toMatchObject({ skipped: ['latency'] });
    expect(logger.diagnostics.some((d) => d.msg === 'run aborted before some detectors')).toBe(true);
  });

  it('a firing series that leaves the query result resolves after resolveAfter runs, with an absent line', async () => {
    let present = true;
    const { port } = source({
      latency: (q) => (present ? spikeAndCalm(q) : [makeSeries({ job: 'api', instance: 'a' }, q)]),
    });
    const hook = recordingSink();
    const { run, logger } = deps(config([latency]), port, [hook.sink]);
    await runDetection(run, { now: new Date(t0) });
    present = false;

    await runDetection(run, { now: new Date(t0 + 5 * minuteMs) });
    expect(hook.batches).toHaveLength(1);
    await runDetection(run, { now: new Date(t0 + 6 * minuteMs) });

    expect(hook.batches.map((b) => b.map((n) => [n.kind, n.labels.instance]))).toEqual([[['firing', 'c']], [['resolved', 'c']]]);
    const absent = logger.results.filter((r) => r.absent === true);
    expect(absent).toEqual([expect.objectContaining({ series: { job: 'api', instance: 'c' }, alert: 'resolved', points: 0 })]);
  });

  it('a query that returns no series fails its detector with an error line naming it and the query', async () => {
    const { port } = source({ latency: spikeAndCalm, typo: () => [] });
    const hook = recordingSink();
    const { run, logger } = deps(config([{ name: 'typo', query: 'typo' }, latency]), port, [hook.sink]);

    const summary = await runDetection(run, { now: new Date(t0) });

    const errors = logger.diagnostics.filter((d) => d.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ msg: 'query returned no series', detector: 'typo', query: 'typo' })]);
    expect(summary).toMatchObject({ ok: false, failures: 1, detectors: 2, series: 2, alertsSent: 1 });
    expect(summary.outcomes.map((o) => [o.name, o.ok, o.error])).toEqual([
      ['typo', false, 'query returned no series'],
      ['latency', true, undefined],
    ]);
    expect(summaryOf(logger)).toMatchObject({ ok: false, failures: 1 });
  });

  it('a detector with allowNoSeries: true passes with no series, silently', async () => {
    const { port } = source({ quiet: () => [] });
    const { run, logger } = deps(config([{ name: 'quiet', query: 'quiet', allowNoSeries: true } as typeof latency]), port);

    const summary = await runDetection(run, { now: new Date(t0) });

    expect(summary).toMatchObject({ ok: true, failures: 0, series: 0 });
    expect(logger.diagnostics.filter((d) => d.level === 'error' || d.level === 'warn')).toEqual([]);
  });
});
