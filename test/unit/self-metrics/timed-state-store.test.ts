/**
 * The timing decorator lib/runtime.ts puts around every state store: it still is a StateStore
 * (the shared contract passes through it), and it measures each call, failed ones included.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStateStore } from '../../../lib/alerts/memory-state-store.js';
import type { StateStore } from '../../../lib/alerts/state-store.js';
import { timeStateStore } from '../../../lib/self-metrics/timed-state-store.js';
import { describeStateStoreContract } from '../alerts/state-store-contract.js';

describeStateStoreContract('memory, timed', () =>
  Promise.resolve({ store: timeStateStore(createMemoryStateStore()), cleanup: () => Promise.resolve() }),
);

describe('timeStateStore', () => {
  it('records the duration of every call in seconds, per operation, and starts afresh after each take', async () => {
    // Prepare: a clock that advances 2 ms whenever it is read, so every call takes 2 ms
    let nowMs = 0;
    const store = timeStateStore(createMemoryStateStore(), () => (nowMs += 2));
    const state = {
      detector: 'd',
      seriesKey: 'k',
      labels: {},
      status: 'ok' as const,
      anomalousStreak: 0,
      normalStreak: 0,
      lastEvaluatedMs: 0,
      pending: [],
      version: 0,
    };

    // Act
    await store.list('d');
    const stored = await store.put(state);
    await store.delete({ detector: 'd', seriesKey: 'k', version: stored!.version });
    const first = store.takeTimings();
    await store.list('d');
    const second = store.takeTimings();

    // Assess
    expect(first).toEqual({ list: [0.002], put: [0.002], delete: [0.002] });
    expect(second).toEqual({ list: [0.002], put: [], delete: [] });
    expect(store.takeTimings()).toEqual({ list: [], put: [], delete: [] });
  });

  it('measures a call that throws, and passes the error on', async () => {
    // Prepare
    const failing: StateStore = {
      description: 'failing',
      list: () => Promise.reject(new Error('throttled')),
      put: () => Promise.resolve(undefined),
      delete: () => Promise.resolve(false),
    };
    let nowMs = 0;
    const store = timeStateStore(failing, () => (nowMs += 15));

    // Act
    const error = await store.list('d').catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe('throttled');
    expect(store.takeTimings().list).toEqual([0.015]);
    expect(store.description).toBe('failing');
    expect('close' in store).toBe(false);
  });
});
