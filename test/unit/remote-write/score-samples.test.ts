import { describe, expect, it } from 'vitest';
import { scoreSamples } from '../../../lib/remote-write/score-samples.js';

const t = 1_767_225_600_000;

function byName(samples: ReturnType<typeof scoreSamples>): Record<string, { labels: Record<string, string>; value: number }> {
  return Object.fromEntries(samples.map((s) => [s.labels.__name__!, { labels: { ...s.labels }, value: s.value }]));
}

describe('scoreSamples', () => {
  it('writes score, threshold and firing with the detector and the series labels', () => {
    // Act
    const samples = scoreSamples({
      detector: 'latency',
      labels: { __name__: 'http_p95_seconds', service: 'checkout' },
      score: 0.81,
      threshold: 0.62,
      firing: true,
      timestampMs: t,
    });

    // Assess
    const expectedLabels = { detector: 'latency', series_name: 'http_p95_seconds', service: 'checkout' };
    expect(byName(samples)).toEqual({
      aiops_anomaly_score: { labels: { ...expectedLabels, __name__: 'aiops_anomaly_score' }, value: 0.81 },
      aiops_anomaly_threshold: { labels: { ...expectedLabels, __name__: 'aiops_anomaly_threshold' }, value: 0.62 },
      aiops_alert_firing: { labels: { ...expectedLabels, __name__: 'aiops_alert_firing' }, value: 1 },
    });
    expect(samples.every((s) => s.timestampMs === t)).toBe(true);
  });

  it('writes 0 when not firing and adds the series value when given', () => {
    const samples = byName(
      scoreSamples({ detector: 'd', labels: { job: 'api' }, score: 0.3, threshold: 0.5, firing: false, value: 12.5, timestampMs: t }),
    );
    expect(samples.aiops_alert_firing!.value).toBe(0);
    expect(samples.aiops_series_value).toEqual({ labels: { __name__: 'aiops_series_value', detector: 'd', job: 'api' }, value: 12.5 });
  });

  it('keeps clashing series labels as exported_* instead of losing them', () => {
    const [score] = scoreSamples({
      detector: 'mine',
      labels: { __name__: 'x', detector: 'theirs', series_name: 'other', __meta_internal: 'dropped' },
      score: 0.5,
      threshold: 0.5,
      firing: false,
      timestampMs: t,
    });
    expect(score!.labels).toEqual({
      __name__: 'aiops_anomaly_score',
      detector: 'mine',
      exported_detector: 'theirs',
      series_name: 'x',
      exported_series_name: 'other',
    });
  });
});
