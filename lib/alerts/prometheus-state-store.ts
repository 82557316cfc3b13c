/**
 * StateStore adapter that keeps alert state in Prometheus itself, as remote-written samples, so
 * a Knative Service that scales to zero keeps its alert lifecycle without a volume or a database.
 *
 * Layout: every write is one sample of `aiops_alert_state` with the labels
 *   detector   the detector name
 *   series_key the series key (lib/series-key.ts)
 *   status     `ok`, `firing`, or `deleted` for a tombstone
 *   state      the state as compact JSON (without `version`; absent on a tombstone)
 * and the state's version as the value. Label values may be long (Prometheus sets no limit on
 * remote-written labels), so the JSON round-trips exactly, pending notifications included.
 * Every change is a new label set, so each write starts a short-lived series; only series with
 * something to remember are stored (quiescent ones are deleted), which keeps this to a few new
 * series per alerting series and run.
 *
 * Reading: one instant query (through the MetricSource port, a one-point `query_range`) of
 *   last_over_time(aiops_alert_state{...}[lookback])
 *     == on (series_key) group_left max by (series_key) (last_over_time(aiops_alert_state{...}[lookback]))
 * keeps, per series key, the sample with the highest version written within the lookback. A
 * tombstone's version is the deleted state's + 1; a create after a delete continues from there.
 *
 * Compare-and-set: read the newest version, compare, write version + 1. Prometheus has no
 * transactions, so this is atomic only within one process (a lock per series key); across
 * processes it relies on a single writer: Knative's `containerConcurrency: 1` with
 * `max-scale: 1`, plus the server's own no-overlap guard (lib/serve). Two processes writing the
 * same series at the same moment could both win.
 *
 * Timestamps: samples carry the wall clock, strictly increasing within the process (Prometheus
 * rejects a sample older than the newest of its series); queries are evaluated at the newest
 * time this process wrote, so a clock ahead of Prometheus' does not hide fresh writes.
 */
import { errorMessage } from '../errors.js';
import type { RemoteWriter } from '../remote-write/remote-writer.js';
import type { MetricSource } from '../sources/source.js';
import { StateStoreError } from './errors.js';
import type { AlertState, StateStore } from './state-store.js';

export interface PrometheusStateStoreOptions {
  /** A state not rewritten for this long is forgotten (default 1440: one day). */
  lookbackMinutes?: number;
  /** Metric name of the state samples (default `aiops_alert_state`); tests use one per store. */
  metricName?: string;
}

export interface PrometheusStateStoreDeps {
  /** Reads: a Prometheus source (never a recording). */
  source: MetricSource;
  /** Writes: remote write to the same Prometheus. */
  writer: RemoteWriter;
  now?: () => Date;
}

export const prometheusStateStoreDefaults = {
  lookbackMinutes: 1440,
  metricName: 'aiops_alert_state',
} as const;

/** A stored record: the newest sample of one series key. */
interface Latest {
  version: number;
  /** Undefined for a tombstone. */
  state?: AlertState;
}

/** A PromQL string literal: JSON's escapes are a subset of PromQL's (Go) escapes. */
function promqlString(value: string): string {
  return JSON.stringify(value);
}

/** Runs `task` after every earlier task queued under the same key. */
function createKeyedLock(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    // The queue must go on after a failed task; its error goes to its own caller only.
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

/** Creates the store. Nothing is contacted until the first call. */
export function createPrometheusStateStore(
  options: PrometheusStateStoreOptions,
  deps: PrometheusStateStoreDeps,
): StateStore {
  const lookbackMinutes = options.lookbackMinutes ?? prometheusStateStoreDefaults.lookbackMinutes;
  const metric = options.metricName ?? prometheusStateStoreDefaults.metricName;
  const now = deps.now ?? (() => new Date());
  const withLock = createKeyedLock();
  let lastWrittenMs = 0;

  const description = `prometheus ${metric} (${deps.source.description}, ${deps.writer.description})`;

  /** Strictly increasing sample timestamps within this process. */
  const nextTimestampMs = (): number => {
    lastWrittenMs = Math.max(Math.floor(now().getTime()), lastWrittenMs + 1);
    return lastWrittenMs;
  };

  async function query(selector: string): Promise<Map<string, Latest>> {
    const range = `last_over_time(${metric}{${selector}}[${Math.round(lookbackMinutes * 60)}s])`;
    const promql = `${range} == on (series_key) group_left max by (series_key) (${range})`;
    // One point at the newest time we know of, rounded up to the second the source aligns to.
    const atMs = Math.ceil((Math.max(now().getTime(), lastWrittenMs) + 1) / 1000) * 1000;
    let series;
    try {
      series = await deps.source.queryRange({ query: promql, startMs: atMs, endMs: atMs, stepSeconds: 1 });
    } catch (error) {
      throw new StateStoreError(`${description}: cannot read alert state: ${errorMessage(error)}`, { cause: error });
    }
    const latest = new Map<string, Latest>();
    for (const s of series) {
      const key = s.labels.series_key;
      const version = s.values[s.values.length - 1];
      if (key === undefined || version === undefined) continue;
      const current = latest.get(key);
      // Two samples with the same version can only come from two processes racing; the live
      // state wins over a tombstone so nothing pending is lost.
      if (current && (current.version > version || (current.version === version && current.state))) continue;
      const text = s.labels.state;
      if (text === undefined) {
        latest.set(key, { version });
        continue;
      }
      let parsed: Omit<AlertState, 'version'>;
      try {
        parsed = JSON.parse(text) as Omit<AlertState, 'version'>;
      } catch (error) {
        throw new StateStoreError(`${description}: stored state of ${key} is not JSON: ${errorMessage(error)}`, { cause: error });
      }
      latest.set(key, { version, state: { ...parsed, version } });
    }
    return latest;
  }

  async function latestOf(detector: string, seriesKey: string): Promise<Latest | undefined> {
    const found = await query(`detector=${promqlString(detector)},series_key=${promqlString(seriesKey)}`);
    return found.get(seriesKey);
  }

  async function write(detector: string, seriesKey: string, version: number, state: AlertState | undefined): Promise<void> {
    const labels: Record<string, string> = {
      __name__: metric,
      detector,
      series_key: seriesKey,
      status: state ? state.status : 'deleted',
    };
    if (state) {
      const stored: Partial<AlertState> = { ...state };
      delete stored.version;
      labels.state = JSON.stringify(stored);
    }
    try {
      await deps.writer.write([{ labels, value: version, timestampMs: nextTimestampMs() }]);
    } catch (error) {
      throw new StateStoreError(`${description}: cannot write alert state of ${seriesKey}: ${errorMessage(error)}`, { cause: error });
    }
  }

  return {
    description,

    async list(detector) {
      const found = await query(`detector=${promqlString(detector)}`);
      const states: AlertState[] = [];
      for (const record of found.values()) {
        if (record.state && record.state.detector === detector) states.push(record.state);
      }
      return states;
    },

    put(state) {
      return withLock(`${state.detector}\u0000${state.seriesKey}`, async () => {
        const latest = await latestOf(state.detector, state.seriesKey);
        const exists = latest?.state !== undefined;
        if (state.version === 0 ? exists : !exists || latest.version !== state.version) return undefined;
        // After a tombstone the version goes on from it, so the new state is the newest sample.
        const version = (latest?.version ?? 0) + 1;
        const stored: AlertState = structuredClone({ ...state, version });
        await write(state.detector, state.seriesKey, version, stored);
        return structuredClone(stored);
      });
    },

    delete(target) {
      return withLock(`${target.detector}\u0000${target.seriesKey}`, async () => {
        const latest = await latestOf(target.detector, target.seriesKey);
        if (latest?.state === undefined || latest.version !== target.version) return false;
        await write(target.detector, target.seriesKey, latest.version + 1, undefined);
        return true;
      });
    },
  };
}
