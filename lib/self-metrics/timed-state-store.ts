/**
 * A StateStore decorator that measures every call (`list`, `put`, `delete`) of the store it
 * wraps, for the `aiops_detector_state_store_duration_seconds` histogram. lib/runtime.ts wraps
 * whatever store the configuration or the platform provides, so no adapter measures itself and
 * a new store is measured without a line of its own.
 */
import type { StateStore } from '../alerts/state-store.js';

export const stateStoreOperations = ['list', 'put', 'delete'] as const;
export type StateStoreOperation = (typeof stateStoreOperations)[number];

/** Durations of the calls since the last take, in seconds, per operation (failed calls included). */
export type StateStoreTimings = Record<StateStoreOperation, number[]>;

export interface TimedStateStore extends StateStore {
  /** The durations measured since the previous call, and a fresh start for the next cycle. */
  takeTimings(): StateStoreTimings;
}

const emptyTimings = (): StateStoreTimings => ({ list: [], put: [], delete: [] });

/**
 * Wraps `store`; `clockMs` is a monotonic clock in milliseconds (default `performance.now`).
 * What the store answers or throws passes through unchanged.
 */
export function timeStateStore(store: StateStore, clockMs: () => number = () => performance.now()): TimedStateStore {
  let timings = emptyTimings();
  const close = store.close?.bind(store);
  const timed = async <T>(operation: StateStoreOperation, call: () => Promise<T>): Promise<T> => {
    const started = clockMs();
    try {
      return await call();
    } finally {
      timings[operation].push((clockMs() - started) / 1000);
    }
  };
  return {
    description: store.description,
    list: (detector) => timed('list', () => store.list(detector)),
    put: (state) => timed('put', () => store.put(state)),
    delete: (state) => timed('delete', () => store.delete(state)),
    ...(close ? { close } : {}),
    takeTimings() {
      const taken = timings;
      timings = emptyTimings();
      return taken;
    },
  };
}
