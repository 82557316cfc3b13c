import { describe, expect, it } from 'vitest';
import { detectionSeed } from '../../../lib/detect/seed.js';

const end = Date.UTC(2024, 0, 1, 12, 0);

describe('detectionSeed', () => {
  it('is the same uint32 for the same detector, labels and window end, whatever the label order', () => {
    const a = detectionSeed('latency', { job: 'api', instance: 'a:9100' }, end);
    const b = detectionSeed('latency', { instance: 'a:9100', job: 'api' }, end);

    expect(a).toBe(b);
    expect(Number.isInteger(a) && a >= 0 && a <= 0xffffffff).toBe(true);
  });

  it('changes with the window end, the series and the detector', () => {
    const base = detectionSeed('latency', { job: 'api' }, end);

    const seeds = [
      detectionSeed('latency', { job: 'api' }, end + 60_000),
      detectionSeed('latency', { job: 'web' }, end),
      detectionSeed('errors', { job: 'api' }, end),
    ];

    for (const seed of seeds) expect(seed).not.toBe(base);
  });

  it('gives every minute of a day its own seed', () => {
    const seeds = new Set(Array.from({ length: 1440 }, (_, i) => detectionSeed('latency', { job: 'api' }, end + i * 60_000)));

    expect(seeds.size).toBe(1440);
  });
});
