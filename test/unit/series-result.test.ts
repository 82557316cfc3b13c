import { describe, expect, it } from 'vitest';
import { isScored, resultLine, seriesResult } from '../../lib/series-result.js';

const atMs = Date.UTC(2026, 0, 1, 12, 0);
const labels = { job: 'api', instance: 'a' };

describe('seriesResult and resultLine', () => {
  it('a series with too few points: no numbers, no alert, the seed keys in order', () => {
    // Prepare
    const verdict = { labels, seriesKey: '{instance="a",job="api"}', windowEndMs: atMs, points: 3, last: 1.5, droppedNonFinite: 0, insufficient: true as const, minPoints: 30 };

    // Act
    const result = seriesResult('latency', verdict);

    // Assess
    expect(isScored(result)).toBe(false);
    expect(result).toMatchObject({ alert: 'none', firing: false, atMs });
    expect(JSON.stringify(resultLine(result))).toBe(
      '{"detector":"latency","series":{"job":"api","instance":"a"},"points":3,"last":1.5,"score":null,"threshold":null,"has_anomaly":false,"num_anomalies":0,"alert":"none"}',
    );
  });

  it('an absent series that resolved: the same line with no points and `absent: true` last', () => {
    // Act
    const result = seriesResult('latency', { absent: true, labels, alert: 'resolved', atMs });

    // Assess
    expect(isScored(result)).toBe(false);
    expect(result.firing).toBe(false);
    expect(JSON.stringify(resultLine(result))).toBe(
      '{"detector":"latency","series":{"job":"api","instance":"a"},"points":0,"last":null,"score":null,"threshold":null,"has_anomaly":false,"num_anomalies":0,"alert":"resolved","absent":true}',
    );
  });
});
