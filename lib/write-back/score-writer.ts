/**
 * Scores back into Prometheus: after a run, every scored series' `aiops_anomaly_score`,
 * `aiops_anomaly_threshold`, `aiops_alert_firing` and `aiops_series_value`
 * (lib/remote-write/score-samples.ts) at the run's evaluation time, by remote write.
 */
import type { RemoteWriter } from '../remote-write/remote-writer.js';
import { scoreSamples } from '../remote-write/score-samples.js';
import type { RemoteWriteSample } from '../remote-write/write-request.js';
import type { SeriesResult } from '../series-result.js';

/** What runDetection calls after the detectors ran (RunDependencies.writeBack). */
export interface ScoreWriter {
  /** Secret-free, for logs. */
  readonly description: string;
  /** Writes the scored results; throws (RemoteWriteError) when the target refused them. */
  write(results: readonly SeriesResult[], options?: { signal?: AbortSignal }): Promise<{ samples: number }>;
}

/**
 * The samples for a run's results. Series without a score (too few points) are left out; the
 * timestamp is the evaluation's window end, so a score lines up with the point it judged.
 */
export function resultSamples(results: readonly SeriesResult[]): RemoteWriteSample[] {
  const samples: RemoteWriteSample[] = [];
  for (const result of results) {
    if (result.score === null || result.threshold === null) continue;
    samples.push(
      ...scoreSamples({
        detector: result.detector,
        labels: result.labels,
        score: result.score,
        threshold: result.threshold,
        firing: result.firing,
        ...(result.last !== null ? { value: result.last } : {}),
        timestampMs: result.atMs,
      }),
    );
  }
  return samples;
}

/** A ScoreWriter over a remote writer. Nothing is sent for a run without scores. */
export function createScoreWriter(deps: { writer: RemoteWriter }): ScoreWriter {
  return {
    description: deps.writer.description,
    async write(results, options = {}) {
      const samples = resultSamples(results);
      if (samples.length === 0) return { samples: 0 };
      await deps.writer.write(samples, options);
      return { samples: samples.length };
    },
  };
}
