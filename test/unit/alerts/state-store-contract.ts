/**
 * The contract every StateStore adapter passes (memory, file, dynamodb, prometheus). Call it
 * from the adapter's own test file:
 *
 *   describeStateStoreContract('file', async () => ({ store, cleanup }));
 *
 * `makeStore` gives a fresh, empty store per test; `cleanup` stops servers, removes files.
 * Nothing here knows the adapter: only the StateStore port is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertState, PendingDelivery, StateStore } from '../../../lib/alerts/state-store.js';
import type { Notification } from '../../../lib/sinks/sink.js';
import { seriesKey } from '../../../lib/series/index.js';

export interface StateStoreFixture {
  store: StateStore;
  cleanup: () => Promise<void>;
}

const t0 = Date.UTC(2025, 2, 1, 8, 30, 0);

/** A fresh (version 0) state of a normal series; every adapter's own tests build theirs here too. */
export function stateFor(detector: string, labels: Record<string, string>, overrides: Partial<AlertState> = {}): AlertState {
  return {
    detector,
    seriesKey: seriesKey(labels),
    labels,
    status: 'ok',
    anomalousStreak: 0,
    normalStreak: 0,
    lastEvaluatedMs: t0,
    pending: [],
    version: 0,
    ...overrides,
  };
}

function notification(detector: string, labels: Record<string, string>, kind: Notification['kind']): Notification {
  const key = seriesKey(labels);
  return {
    id: `${detector}|${key}|${kind}|${t0}`,
    kind,
    detector,
    seriesKey: key,
    labels,
    severity: 'critical',
    extraLabels: { team: 'sre', 'runbook': 'https://runbooks.example/latency?x=1&y="2"' },
    query: 'histogram_quantile(0.99, sum by (le) (rate(http_seconds_bucket{job="api"}[5m])))',
    score: 0.8123456789,
    threshold: 0.6,
    value: 1234.5678,
    startsAtMs: t0,
    ...(kind === 'resolved' ? { endsAtMs: t0 + 600_000 } : {}),
    atMs: t0 + (kind === 'resolved' ? 600_000 : 0),
    generatorUrl: 'http://prom.example:9090/graph?g0.expr=up&g0.tab=0',
    summary: `Anomaly: ${detector} ${key}: score 0.8123 >= threshold 0.6`,
  };
}

/** Registers the shared StateStore tests for one adapter. */
export function describeStateStoreContract(
  name: string,
  makeStore: () => Promise<StateStoreFixture>,
): void {
  describe(`StateStore contract: ${name}`, () => {
    let fixture: StateStoreFixture;
    let store: StateStore;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.store.close?.();
      await fixture.cleanup();
    });

    it('has a description for logs', () => {
      expect(store.description.length).toBeGreaterThan(0);
    });

    it('lists nothing for a detector it has never seen', async () => {
      expect(await store.list('never-seen')).toEqual([]);
    });

    it('stores a new state (version 0) and lists it with a new version', async () => {
      const state = stateFor('latency', { job: 'api' }, { status: 'firing', anomalousStreak: 1, firingSinceMs: t0 });
      const stored = await store.put(state);
      expect(stored).toBeDefined();
      expect(stored!.version).toBeGreaterThan(0);
      expect(stored).toEqual({ ...state, version: stored!.version });
      expect(await store.list('latency')).toEqual([stored]);
    });

    it('rejects a second create of the same series (version 0 when it exists)', async () => {
      const state = stateFor('latency', { job: 'api' });
      expect(await store.put(state)).toBeDefined();
      expect(await store.put({ ...state, anomalousStreak: 5 })).toBeUndefined();
      const [listed] = await store.list('latency');
      expect(listed?.anomalousStreak).toBe(0);
    });

    it('accepts an update on the current version and rejects one on a stale version', async () => {
      const v1 = (await store.put(stateFor('latency', { job: 'api' })))!;
      const v2 = await store.put({ ...v1, status: 'firing', firingSinceMs: t0 });
      expect(v2).toBeDefined();
      expect(v2!.version).toBeGreaterThan(v1.version);
      // A writer still holding v1 lost the race.
      expect(await store.put({ ...v1, normalStreak: 7 })).toBeUndefined();
      const listed = await store.list('latency');
      expect(listed).toEqual([v2]);
    });

    it('rejects an update of a series that does not exist', async () => {
      expect(await store.put(stateFor('latency', { job: 'ghost' }, { version: 3 }))).toBeUndefined();
      expect(await store.list('latency')).toEqual([]);
    });

    it('deletes only with the current version', async () => {
      const v1 = (await store.put(stateFor('latency', { job: 'api' })))!;
      const v2 = (await store.put({ ...v1, anomalousStreak: 1 }))!;
      expect(await store.delete({ detector: 'latency', seriesKey: v1.seriesKey, version: v1.version })).toBe(false);
      expect(await store.list('latency')).toHaveLength(1);
      expect(await store.delete({ detector: 'latency', seriesKey: v2.seriesKey, version: v2.version })).toBe(true);
      expect(await store.list('latency')).toEqual([]);
      expect(await store.delete({ detector: 'latency', seriesKey: v2.seriesKey, version: v2.version })).toBe(false);
      // Gone means "not stored yet" again: version 0 creates it anew.
      expect(await store.put(stateFor('latency', { job: 'api' }))).toBeDefined();
    });

    it('keeps detectors apart, even for the same series key', async () => {
      const labels = { job: 'api' };
      const a = (await store.put(stateFor('detector-a', labels, { anomalousStreak: 1 })))!;
      const b = (await store.put(stateFor('detector-b', labels, { anomalousStreak: 2 })))!;
      expect(await store.list('detector-a')).toEqual([a]);
      expect(await store.list('detector-b')).toEqual([b]);
      expect(await store.delete({ detector: 'detector-a', seriesKey: a.seriesKey, version: a.version })).toBe(true);
      expect(await store.list('detector-a')).toEqual([]);
      expect(await store.list('detector-b')).toEqual([b]);
    });

    it('lists every series of a detector', async () => {
      const keys: string[] = [];
      for (let i = 0; i < 25; i++) {
        const stored = await store.put(stateFor('many', { job: 'api', instance: `host-${i}:9100` }));
        keys.push(stored!.seriesKey);
      }
      const listed = await store.list('many');
      expect(listed.map((s) => s.seriesKey).sort()).toEqual([...keys].sort());
    });

    it('round-trips pending deliveries, lease and last verdict exactly', async () => {
      const labels = { __name__: 'http_latency_seconds', job: 'api' };
      const pending: PendingDelivery[] = [
        { sink: 'slack', notification: notification('latency', labels, 'firing'), attempts: 0 },
        { sink: 'am', notification: notification('latency', labels, 'firing'), attempts: 3, lastError: 'HTTP 503' },
        { sink: 'slack', notification: notification('latency', labels, 'resolved'), attempts: 1, lastError: 'ECONNREFUSED' },
      ];
      const state = stateFor('latency', labels, {
        status: 'firing',
        anomalousStreak: 4,
        normalStreak: 1,
        firingSinceMs: t0,
        lastNotifiedMs: t0 + 60_000,
        lastVerdict: { score: 0.8123456789, threshold: 0.6, value: -0.000001 },
        leaseUntilMs: t0 + 120_000,
        pending,
      });
      const stored = await store.put(state);
      expect(stored).toEqual({ ...state, version: stored!.version });
      const [listed] = await store.list('latency');
      expect(listed).toEqual({ ...state, version: stored!.version });
      expect(listed!.pending[2]!.notification.endsAtMs).toBe(t0 + 600_000);
    });

    it("round-trips a detector's query state (no-data alerts): reserved key, no labels, null numbers", async () => {
      const absent: Notification = {
        ...notification('queue', {}, 'absent'),
        seriesKey: '(query)',
        id: `queue|(query)|absent|${t0}`,
        score: null,
        threshold: null,
        value: null,
      };
      const state: AlertState = {
        ...stateFor('queue', {}),
        seriesKey: '(query)',
        status: 'firing',
        firingSinceMs: t0,
        querySeries: 0,
        pending: [{ sink: 'hook', notification: absent, attempts: 1, lastError: 'HTTP 503' }],
      };
      const stored = await store.put(state);
      expect(stored).toEqual({ ...state, version: stored!.version });
      expect(await store.list('queue')).toEqual([{ ...state, version: stored!.version }]);
      expect(await store.delete({ detector: 'queue', seriesKey: '(query)', version: stored!.version })).toBe(true);
    });

    it('round-trips labels with unicode, quotes, backslashes and newlines', async () => {
      const labels = {
        __name__: 'temp_°C',
        city: 'Zürich 東京 🚀',
        quote: 'say "hi" it\'s',
        path: 'C:\\temp\\new',
        text: 'line1\nline2\ttab',
        empty: '',
      };
      const stored = await store.put(
        stateFor('unicode', labels, { pending: [{ sink: 'x', notification: notification('unicode', labels, 'firing'), attempts: 0 }] }),
      );
      expect(stored).toBeDefined();
      const [listed] = await store.list('unicode');
      expect(listed!.labels).toEqual(labels);
      expect(listed!.seriesKey).toBe(seriesKey(labels));
      expect(listed!.pending[0]!.notification.labels).toEqual(labels);
      // The key still addresses it.
      expect(await store.delete({ detector: 'unicode', seriesKey: seriesKey(labels), version: stored!.version })).toBe(true);
    });

    it('does not let callers change stored state through returned objects', async () => {
      const stored = (await store.put(stateFor('latency', { job: 'api' })))!;
      stored.pending.push({ sink: 'x', notification: notification('latency', { job: 'api' }, 'firing'), attempts: 0 });
      const [listed] = await store.list('latency');
      listed!.anomalousStreak = 99;
      const [again] = await store.list('latency');
      expect(again!.pending).toEqual([]);
      expect(again!.anomalousStreak).toBe(0);
    });

    it('lets exactly one of 20 concurrent writers claim a new series', async () => {
      const labels = { job: 'race' };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.put(stateFor('race', labels, { anomalousStreak: i + 1 }))),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await store.list('race')).toEqual(winners);
    });

    it('lets exactly one of 20 concurrent writers claim the same transition of a stored series', async () => {
      const base = (await store.put(stateFor('race', { job: 'race' })))!;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.put({ ...base, status: 'firing', firingSinceMs: t0 + i, leaseUntilMs: t0 + 60_000 + i }),
        ),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      const [listed] = await store.list('race');
      expect(listed).toEqual(winners[0]);
      // The losers' view is stale: none of them can write on the old version either.
      expect(await store.put({ ...base, normalStreak: 1 })).toBeUndefined();
    });
  });
}
