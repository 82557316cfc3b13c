/**
 * The StateStore port: alert lifecycle state per detector and series, kept between runs.
 * Adapters: memory, file (CLI), dynamodb (Lambda), prometheus (Knative). Every adapter passes
 * the shared contract test in test/unit/alerts/state-store-contract.ts.
 *
 * Concurrency: every write is a compare-and-set on `version`, so two overlapping runs
 * (EventBridge delivers at least once; a slow run can overlap the next) cannot both claim the
 * same transition. A run that loses the race leaves that series to the winner.
 */
import type { Labels } from '../series/index.js';
import type { Notification } from '../sinks/sink.js';

/** A notification one sink has not yet accepted. Kept until delivered: nothing is dropped. */
export interface PendingDelivery {
  sink: string;
  notification: Notification;
  attempts: number;
  lastError?: string;
}

export interface AlertState {
  detector: string;
  seriesKey: string;
  labels: Labels;
  status: 'ok' | 'firing';
  /** Consecutive evaluations whose newest point was anomalous (for `for` N evaluations). */
  anomalousStreak: number;
  /** Consecutive normal evaluations while firing (resolves at `resolveAfter`). */
  normalStreak: number;
  firingSinceMs?: number;
  lastNotifiedMs?: number;
  lastEvaluatedMs: number;
  /**
   * Score, threshold and value of the newest evaluation that saw the series. A series that
   * leaves the query result while firing is resolved from these (its resolved notification
   * still says what it last looked like).
   */
  lastVerdict?: { score: number; threshold: number; value: number };
  /**
   * Only in a detector's query state (series key `(query)`, kept with `notifyAbsent`): how many
   * series the query returned at `lastEvaluatedMs`. While above 0 the state is kept, so the run
   * that gets none knows the query had series before (lib/alerts/query-presence.ts).
   */
  querySeries?: number;
  pending: PendingDelivery[];
  /**
   * Set while a run delivers this series' notifications; another run that sees an unexpired
   * lease leaves `pending` alone, so a notification is not sent twice by overlapping runs.
   */
  leaseUntilMs?: number;
  /** Bumped by the store on every successful write; 0 means "not stored yet". */
  version: number;
}

export interface StateStore {
  /** Secret-free, for logs: `file /tmp/aiops-detector/state.json`. */
  readonly description: string;
  /** Every stored state of a detector (including series no longer returned by the query). */
  list(detector: string): Promise<AlertState[]>;
  /**
   * Writes `state` if the stored version still equals `state.version` (0: must not exist yet).
   * Returns the stored state with its new version, or `undefined` when another writer won.
   */
  put(state: AlertState): Promise<AlertState | undefined>;
  /** Removes a state if its version still matches; true when removed. */
  delete(state: Pick<AlertState, 'detector' | 'seriesKey' | 'version'>): Promise<boolean>;
  /** Releases clients, timers, file handles. */
  close?(): Promise<void>;
}
