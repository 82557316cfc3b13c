/**
 * A StateStore in process memory: for tests, `--dry-run` demos and `STATE_STORE=memory` (state
 * lasts as long as the process, so a one-shot CLI run forgets everything). Values are cloned on
 * the way in and out, so callers cannot change stored state by mutating what they hold.
 */
import type { AlertState, StateStore } from './state-store.js';

/** A store holding everything in a Map; writes are compare-and-set on `version`. */
export function createMemoryStateStore(): StateStore {
  const byDetector = new Map<string, Map<string, AlertState>>();
  return {
    description: 'memory',
    list: (detector) => {
      const states = [...(byDetector.get(detector)?.values() ?? [])];
      return Promise.resolve(states.map((state) => structuredClone(state)));
    },
    put: (state) => {
      // Synchronous between read and write: nothing else runs in between on one event loop.
      const series = byDetector.get(state.detector) ?? new Map<string, AlertState>();
      const storedVersion = series.get(state.seriesKey)?.version ?? 0;
      if (storedVersion !== state.version) return Promise.resolve(undefined);
      const stored = structuredClone({ ...state, version: state.version + 1 });
      series.set(state.seriesKey, stored);
      byDetector.set(state.detector, series);
      return Promise.resolve(structuredClone(stored));
    },
    delete: ({ detector, seriesKey, version }) => {
      const series = byDetector.get(detector);
      const stored = series?.get(seriesKey);
      if (!series || !stored || stored.version !== version) return Promise.resolve(false);
      series.delete(seriesKey);
      if (series.size === 0) byDetector.delete(detector);
      return Promise.resolve(true);
    },
  };
}
