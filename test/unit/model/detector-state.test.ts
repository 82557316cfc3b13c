/**
 * Detector state across runs (lib/model): a sequence of runs that keep state gives, run for run
 * and series for series, the result lines of runs that read and fit the whole window every time;
 * and the backtest of a series equals the sequence of runs with persisted state, row for row.
 * Then what can go wrong with state: lost, corrupt, older settings, runs missed, overlapping
 * runs, series that vanish, a store that fails.
 *
 * In-process adapters: a MetricSource serving series built here (it answers any range, as
 * Prometheus does) and the memory blob store. The file and S3 stores run the same code; their
 * own behaviour is tested against the file system and s3rver in test/integration.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStateStore } from '../../../lib/alerts/memory-state-store.js';
import { backtestSeries } from '../../../lib/backtest/index.js';
import { parseConfig, type Config } from '../../../lib/config/index.js';
import { createMemoryLogger } from '../../../lib/log.js';
import type { BlobStore } from '../../../lib/model/blob-store.js';
import { createMemoryBlobStore } from '../../../lib/model/memory-blob-store.js';
import { runDetection, type RunSummary } from '../../../lib/run.js';
import type { Labels, Series } from '../../../lib/series/index.js';
import type { AlertSink, Notification } from '../../../lib/sinks/sink.js';
import type { MetricSource, RangeQuery } from '../../../lib/sources/source.js';
import { seededRandom } from '../../support/random.js';

const minuteMs = 60_000;
/** The first run's evaluation time. */
const t0 = Date.UTC(2025, 0, 15, 12, 0, 0);
/** 301 points a window: more than one subsample (256), so models are stored and reused. */
const windowMinutes = 300;

/** A series one point a minute over [fromMs, toMs], noisy around a daily-ish wave, with optional spikes. */
function history(seed: number, fromMs: number, toMs: number, spikesAt: number[] = []): Series & { labels: Labels } {
  const random = seededRandom(seed);
  const times: number[] = [];
  const values: number[] = [];
  for (let t = fromMs; t <= toMs; t += minuteMs) {
    let v = 100 + 10 * Math.sin(t / (97 * minuteMs)) + 4 * (random() - 0.5);
    if (spikesAt.some((s) => t >= s && t < s + 3 * minuteMs)) v *= 3;
    times.push(t);
    values.push(v);
  }
  return { labels: { instance: `i-${seed}` }, timestampsMs: Float64Array.from(times), values: Float64Array.from(values), droppedNonFinite: 0 };
}

const earliest = t0 - 2 * windowMinutes * minuteMs;
const latest = t0 + 200 * minuteMs;
const steady = history(1, earliest, latest, [t0 + 30 * minuteMs]);
/** Stops 40 minutes after t0 (leaves the window 300 minutes later). */
const leaving = history(2, earliest, t0 + 40 * minuteMs, [t0 + 12 * minuteMs]);
/** Starts 25 minutes after t0. */
const arriving = history(3, t0 + 25 * minuteMs, latest, [t0 + 70 * minuteMs]);

/** A MetricSource over `all`, answering any range on the minute grid; counts samples served. */
function source(all: readonly Series[]) {
  const requests: RangeQuery[] = [];
  let samples = 0;
  const port: MetricSource = {
    description: 'test source',
    queryRange(query) {
      requests.push(query);
      const out: Series[] = [];
      for (const s of all) {
        const keep: number[] = [];
        for (let i = 0; i < s.timestampsMs.length; i++) {
          const t = s.timestampsMs[i]!;
          if (t >= query.startMs && t <= query.endMs) keep.push(i);
        }
        if (keep.length === 0) continue;
        samples += keep.length;
        out.push({
          labels: s.labels,
          timestampsMs: Float64Array.from(keep, (i) => s.timestampsMs[i]!),
          values: Float64Array.from(keep, (i) => s.values[i]!),
          droppedNonFinite: 0,
        });
      }
      return Promise.resolve(out);
    },
  };
  return { port, requests, samples: () => samples };
}

function recordingSink(): { sink: AlertSink; sent: Notification[] } {
  const sent: Notification[] = [];
  return {
    sent,
    sink: {
      name: 'hook',
      send: (notifications) => {
        sent.push(...notifications);
        return Promise.resolve({ delivered: notifications.map((n) => n.id), failed: [] });
      },
    },
  };
}

function config(detector: Record<string, unknown> = {}): Config {
  return parseConfig(
    { prometheus: { url: 'http://prometheus.test:9090' }, detectors: [{ name: 'latency', query: 'latency', windowMinutes, ...detector }] },
    { source: 'test' },
  );
}

const stateOptions = { shards: 4, rereadPoints: 3, concurrency: 4 };

/** A scheduled deployment: alert state, sink and (optionally) detector state kept from run to run. */
function deployment(all: readonly Series[], options: { blobs?: BlobStore; detector?: Record<string, unknown> } = {}) {
  const src = source(all);
  const logger = createMemoryLogger({ level: 'debug' });
  const hook = recordingSink();
  const deps = {
    config: config(options.detector),
    source: src.port,
    store: createMemoryStateStore(),
    sinks: [hook.sink],
    logger,
    ...(options.blobs ? { detectorState: { store: options.blobs, options: stateOptions } } : {}),
  };
  const summaries: RunSummary[] = [];
  return {
    src,
    logger,
    hook,
    summaries,
    run: async (minutesAfterT0: number) => {
      const summary = await runDetection(deps, { now: new Date(t0 + minutesAfterT0 * minuteMs) });
      summaries.push(summary);
      return summary;
    },
  };
}

/** What a user sees of a run: each series' result, in a stable order. */
function seen(summary: RunSummary) {
  return summary.results
    .map((r) => JSON.stringify(r))
    .sort();
}

describe('detector state across runs', () => {
  it('gives the same result lines and notifications as reading and fitting the whole window every run, reading far fewer samples', async () => {
    const all = [steady, leaving, arriving];
    const stateless = deployment(all);
    const stateful = deployment(all, { blobs: createMemoryBlobStore() });

    for (let m = 0; m < 90; m++) {
      const expected = await stateless.run(m);
      const actual = await stateful.run(m);
      expect(seen(actual), `run ${m} minutes after t0`).toEqual(seen(expected));
    }
    expect(stateful.hook.sent.map((n) => [n.kind, n.labels.instance])).toEqual(stateless.hook.sent.map((n) => [n.kind, n.labels.instance]));
    expect(stateless.hook.sent.length).toBeGreaterThanOrEqual(3);

    const [first, ...later] = stateful.summaries;
    expect(first!.state).toMatchObject({ cold: 1, warm: 0 });
    expect(later.every((s) => s.state?.warm === 1)).toBe(true);
    // A warm run reads from rereadPoints steps before the last run's end to the new one, both
    // included: rereadPoints + 2 points a series at most.
    for (const s of later) expect(s.state!.samplesRead).toBeLessThanOrEqual(3 * (2 + stateOptions.rereadPoints));
    expect(stateful.src.samples()).toBeLessThan(stateless.src.samples() / 20);
    // Between refits the stored model scores. Without state every run fits all three series; with
    // it, a full window refits every refitEveryPoints runs, and only the young series (fewer
    // points than one subsample, fitted whole) every run.
    const refits = later.reduce((sum, s) => sum + s.state!.refits, 0);
    expect(refits).toBeLessThan(later.length);
  });

  it('equals the backtest of the same series row for row (decision and alert field)', async () => {
    const runs = deployment([steady], { blobs: createMemoryBlobStore() });
    const fromRuns: { anomalous: boolean; alert: string }[] = [];
    for (let m = 0; m < 60; m++) {
      const summary = await runs.run(m);
      const result = summary.results[0]!;
      fromRuns.push({ anomalous: result.anomalous, alert: String(result.alert) });
    }
    const detector = config().detectors[0]!;
    const upTo = steady.timestampsMs.findIndex((t) => t === t0 + 59 * minuteMs) + 1;
    const { rows } = await backtestSeries(
      { timestampsMs: steady.timestampsMs.subarray(0, upTo), values: steady.values.subarray(0, upTo) },
      detector,
      { labels: steady.labels, spacingMs: minuteMs },
    );
    const replayed = rows.slice(-60).map((row) => ({ anomalous: row.anomalous, alert: String(row.alert) }));
    expect(replayed).toEqual(fromRuns);
    expect(fromRuns.some((r) => r.alert === 'firing')).toBe(true);
  });

  /** Runs at minutes `before`, then `damage`s the store, then runs at `after`: compared with runs without state. */
  async function compareAround(damage: (blobs: BlobStore) => Promise<void>, before: number[], after: number[]) {
    const all = [steady, leaving];
    const blobs = createMemoryBlobStore();
    const stateless = deployment(all);
    const stateful = deployment(all, { blobs });
    for (const m of before) {
      await stateless.run(m);
      await stateful.run(m);
    }
    await damage(blobs);
    for (const m of after) expect(seen(await stateful.run(m)), `run at minute ${m}`).toEqual(seen(await stateless.run(m)));
    expect(stateful.hook.sent.map((n) => n.kind)).toEqual(stateless.hook.sent.map((n) => n.kind));
    return { stateful, blobs };
  }

  it('rebuilds lost or corrupt state from a full window read, says why, and alerts no more than without state', async () => {
    const corrupt = await compareAround(
      async (blobs) => {
        const [shard] = (await blobs.list('')).filter((k) => k.includes('/points-'));
        await blobs.put(shard!, new TextEncoder().encode('not a shard'));
      },
      [0, 1, 2],
      [3, 4, 5],
    );
    expect(corrupt.stateful.summaries[3]!.state).toMatchObject({ cold: 1 });
    expect(corrupt.stateful.summaries[4]!.state).toMatchObject({ warm: 1 });
    const rebuilt = corrupt.stateful.logger.diagnostics.find((d) => d.msg === 'detector state rebuilt from a full window read' && d.level === 'warn');
    expect(rebuilt?.reason).toMatch(/^shard \d unusable: not a detector state shard/);

    const lost = await compareAround(
      async (blobs) => {
        for (const key of await blobs.list('')) await blobs.delete(key);
      },
      [0, 1],
      [2, 3],
    );
    expect(lost.stateful.summaries[2]!.state).toMatchObject({ cold: 1, refits: 2 });

    const badModels = await compareAround(
      async (blobs) => {
        for (const key of (await blobs.list('')).filter((k) => k.includes('/models/'))) await blobs.put(key, new Uint8Array([1, 2, 3]));
      },
      [0, 1],
      [2, 3],
    );
    // The shards are fine (warm), the models are refitted.
    expect(badModels.stateful.summaries[2]!.state).toMatchObject({ warm: 1, refits: 2 });
  });

  it('reads what runs missed (a 20-minute gap) on the next run, and rebuilds when the gap is longer than the window', async () => {
    const short = await compareAround(() => Promise.resolve(), [0, 1], [22, 23]);
    expect(short.stateful.summaries[2]!.state).toMatchObject({ warm: 1 });
    // 20 missed minutes plus the re-read: 2 series x (22 - 1 + rereadPoints + 1) points at most.
    expect(short.stateful.summaries[2]!.state!.samplesRead).toBeLessThanOrEqual(2 * (22 + stateOptions.rereadPoints));

    const long = await compareAround(() => Promise.resolve(), [0], [windowMinutes + 5]);
    expect(long.stateful.summaries[1]!.state).toMatchObject({ cold: 1 });
    expect(long.stateful.logger.diagnostics.find((d) => d.msg === 'detector state rebuilt from a full window read' && d.level === 'warn')).toMatchObject({
      reason: 'state older than the window (runs missed)',
    });
  });

  it('rebuilds when the detector settings change', async () => {
    const blobs = createMemoryBlobStore();
    await deployment([steady], { blobs }).run(0);
    const edited = deployment([steady], { blobs, detector: { trees: 50 } });
    await edited.run(1);
    const rebuilt = edited.logger.diagnostics.find((d) => d.msg === 'detector state rebuilt from a full window read');
    expect(rebuilt).toMatchObject({ reason: 'detector settings changed' });
    expect(seen(edited.summaries[0]!)).toEqual(seen(await deployment([steady], { detector: { trees: 50 } }).run(1)));
  });

  it('stays exact when two runs overlap and the older one writes last', async () => {
    const all = [steady, leaving];
    const blobs = createMemoryBlobStore();
    const a = deployment(all, { blobs });
    const b = deployment(all, { blobs });
    await a.run(0);
    // Both start from the state of minute 0; the run for minute 2 finishes first, then minute 1's
    // run overwrites some of its shards with older points.
    await Promise.all([new Promise((resolve) => setTimeout(resolve, 0)).then(() => b.run(2)), a.run(1)]);
    const stateless = deployment(all);
    for (const m of [3, 4, 13]) expect(seen(await a.run(m)), `minute ${m}`).toEqual(seen(await stateless.run(m)));
  });

  it('removes a series that left the window, points and model', async () => {
    const blobs = createMemoryBlobStore();
    const runs = deployment([steady, leaving], { blobs });
    await runs.run(0);
    const modelsBefore = (await blobs.list('')).filter((k) => k.includes('/models/')).length;
    expect(modelsBefore).toBe(2);
    // `leaving` stops at minute 40 and leaves the 300-minute window at minute 341.
    await runs.run(300);
    expect(runs.summaries[1]!.results.length).toBe(2);
    await runs.run(342);
    expect(runs.summaries[2]!.results.map((r) => r.labels.instance)).toEqual(['i-1']);
    expect(runs.summaries[2]!.state).toMatchObject({ expired: 1 });
    expect((await blobs.list('')).filter((k) => k.includes('/models/'))).toHaveLength(1);
  });

  it('goes on without the store when it fails: same results, the failures counted and logged', async () => {
    const failing: BlobStore = {
      description: 'failing store',
      get: () => Promise.reject(new Error('store down')),
      put: () => Promise.reject(new Error('store down')),
      delete: () => Promise.reject(new Error('store down')),
      list: () => Promise.reject(new Error('store down')),
    };
    const runs = deployment([steady], { blobs: failing });
    const summary = await runs.run(0);
    expect(seen(summary)).toEqual(seen(await deployment([steady]).run(0)));
    expect(summary.state).toMatchObject({ cold: 1 });
    expect(summary.state!.storeErrors).toBeGreaterThan(0);
    expect(runs.logger.diagnostics.some((d) => d.msg === 'detector state store call failed' && d.error === 'store down')).toBe(true);
  });
});

