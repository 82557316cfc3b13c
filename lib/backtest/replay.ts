/**
 * Backtest: replay one series point by point exactly as the scheduled run would have seen it.
 * For every row t the window is the rows in [t - W, t], as the run's range query returns them
 * (lib/detect/window.ts), scored by {@link evaluateSeries} (the run's own function, with the
 * detector's settings), and the verdict goes through the run's alert lifecycle with state kept
 * in memory. Pure apart from yielding to the event loop; deterministic.
 *
 * W is (windowPoints - 1) x spacing, where windowPoints is what a full window holds at the
 * detector's step (windowMinutes * 60 / stepSeconds + 1) and the spacing is the series' median
 * timestamp gap. For a series sampled at the detector's step, W is exactly windowMinutes; for
 * other data (NAB is 5-minute) it keeps the number of points, and so minPoints and the forest's
 * view of history, the same as in production.
 */
import type { DetectorConfig } from '../config/config.js';
import { defaultAlertPolicy } from '../config/defaults.js';
import {
  evaluateAbsent,
  evaluateAlert,
  isQuiescent,
  type AlertField,
  type LifecyclePolicy,
} from '../alerts/lifecycle.js';
import type { AlertState } from '../alerts/state-store.js';
import { InputError } from '../errors.js';
import type { Labels } from '../series/index.js';
import { evaluateSeries, type EvaluationCache } from '../detect/evaluate.js';
import { medianSpacingMs, windowPoints } from '../detect/window.js';

export interface BacktestInput {
  /**
   * Unix milliseconds, ascending. Equal neighbours are allowed (recorded data has them): such
   * rows are replayed in order, each seeing the ones before it.
   */
  timestampsMs: Float64Array;
  /** Same length; non-finite values are dropped from windows as the Prometheus source drops them. */
  values: Float64Array;
}

export interface BacktestOptions {
  /** Labels of the series (part of every seed); default none. */
  labels?: Labels;
  /** The run's alerts settings (repeat interval, resolve after, send resolved); the config's defaults otherwise. */
  alertPolicy?: LifecyclePolicy;
  /** Spacing the window is measured in; default the median timestamp gap. */
  spacingMs?: number;
  /** Called now and then with rows done and total rows (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
  /** Stops the replay between rows; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** One replayed row: what the scheduled run would have logged for it. */
export interface BacktestRow {
  timestampMs: number;
  value: number;
  /**
   * Onset score of this row as the newest point of its window, in [0, 1]: the anomaly score the
   * run compares with `minScore`, but 0 within `suppressPoints` after a point that reached it
   * (one report per onset, as the alert lifecycle notifies once). 0 while the window has fewer
   * than minPoints points (no verdict).
   */
  anomalyScore: number;
  /** The threshold the score is compared with (`minScore`); NaN without a verdict. */
  threshold: number;
  /** The verdict for this row (false without one). */
  anomalous: boolean;
  /** The run's `alert` field for this row. */
  alert: AlertField;
}

export interface BacktestResult {
  /** One per input row, in order. */
  rows: BacktestRow[];
  /** Points in a full window, and the spacing used to turn that into time. */
  windowPoints: number;
  spacingMs: number;
}

/** Rows between yields to the event loop (progress, Ctrl-C); a few milliseconds of work. */
const rowsPerSlice = 64;

/**
 * Replays a series through detection and the alert lifecycle, one evaluation per row, each
 * seeing only rows up to its own. See the module comment for how the window is measured.
 */
export async function backtestSeries(
  input: BacktestInput,
  detector: DetectorConfig,
  options: BacktestOptions = {},
): Promise<BacktestResult> {
  const { timestampsMs, values } = input;
  const n = timestampsMs.length;
  if (values.length !== n) {
    throw new InputError(`backtest input has ${n} timestamps but ${values.length} values`);
  }
  const labels = options.labels ?? {};
  const alertPolicy = options.alertPolicy ?? defaultAlertPolicy;
  const points = windowPoints(detector);
  const spacingMs = options.spacingMs ?? (n >= 2 ? medianSpacingMs(timestampsMs) : detector.stepSeconds * 1000);
  if (!(spacingMs > 0) || !Number.isFinite(spacingMs)) {
    throw new InputError(`backtest spacing must be a positive number of milliseconds, got ${spacingMs}`);
  }
  const spanMs = (points - 1) * spacingMs;
  // Half a spacing of tolerance: a row whose timestamp jitters slightly early still counts as
  // the oldest of the window, as it would on a step-aligned Prometheus grid.
  const cutoffSlackMs = spacingMs / 2;

  const rows: BacktestRow[] = new Array<BacktestRow>(n);
  let state: AlertState | undefined;
  let start = 0;
  // Reuses the forest between refits (and scores of unchanged points): identical results, faster.
  const cache: EvaluationCache = {};

  for (let i = 0; i < n; i++) {
    if (i % rowsPerSlice === 0 && i > 0) {
      options.onProgress?.(i, n);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    options.signal?.throwIfAborted();
    const t = timestampsMs[i]!;
    if (!Number.isFinite(t) || (i > 0 && !(t >= timestampsMs[i - 1]!))) {
      throw new InputError(`backtest timestamps must be ascending: row ${i} is before row ${i - 1}`);
    }
    while (timestampsMs[start]! < t - spanMs - cutoffSlackMs) start++;

    const verdict = evaluateSeries(
      {
        labels,
        timestampsMs: timestampsMs.subarray(start, i + 1),
        values: values.subarray(start, i + 1),
        droppedNonFinite: 0,
      },
      detector,
      { windowEndMs: t, spacingMs, cache, onset: true },
    );

    const row: BacktestRow = {
      timestampMs: t,
      value: values[i]!,
      anomalyScore: 0,
      threshold: Number.NaN,
      anomalous: false,
      alert: 'none',
    };
    let transition;
    if (verdict.insufficient) {
      // The run treats a series without a verdict like an absent one: a firing alert counts it
      // as a normal evaluation; otherwise nothing happens.
      transition = state ? evaluateAbsent(state, detector, alertPolicy, t) : undefined;
    } else {
      row.anomalyScore = verdict.onsetScore ?? 0;
      row.threshold = verdict.threshold;
      row.anomalous = verdict.anomalous;
      transition = evaluateAlert(
        state,
        { labels, anomalous: verdict.anomalous, score: verdict.score, threshold: verdict.threshold, value: verdict.last },
        detector,
        alertPolicy,
        t,
      );
    }
    rows[i] = row;
    if (transition) {
      row.alert = transition.alert;
      // The run's stores keep only live states (lib/alerts/lifecycle.ts isQuiescent).
      state = isQuiescent(transition.state) ? undefined : transition.state;
    }
  }
  options.onProgress?.(n, n);
  return { rows, windowPoints: points, spacingMs };
}
