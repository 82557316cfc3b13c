import { describe, expect, it } from 'vitest';
import { createSeriesJoiner } from '../../../../lib/sources/prometheus/series-joiner.js';
import type { MatrixSeries } from '../../../../lib/sources/prometheus/matrix.js';

/** Series `labels` at unix seconds `from..to` (step 60), valued `value(t)`. */
function entry(labels: Record<string, string>, from: number, to: number, value: (t: number) => string = String): MatrixSeries {
  const timestampsSeconds: number[] = [];
  const values: string[] = [];
  for (let t = from; t <= to; t += 60) {
    timestampsSeconds.push(t);
    values.push(value(t));
  }
  return { labels, timestampsSeconds, values };
}

describe('createSeriesJoiner', () => {
  it('joins requests that share their boundary point, keeping it once', () => {
    // Prepare
    const joiner = createSeriesJoiner();

    // Act
    joiner.add(entry({ a: '1' }, 0, 600));
    joiner.add(entry({ a: '1' }, 600, 1_200));

    // Assess
    const [joined] = joiner.finish();
    expect(Array.from(joined?.timestampsMs ?? [])).toEqual(Array.from({ length: 21 }, (_, i) => i * 60_000));
  });

  it('keeps a series added whole once when the halves of its range come again (an answer cut and re-read)', () => {
    // Prepare: a came whole (valued 1) in the answer that was cut; b was cut half-way and never added
    const joiner = createSeriesJoiner();
    joiner.add(entry({ s: 'a' }, 0, 600, () => '1'));

    // Act: the two halves, each with a (valued -1 now) and b
    joiner.add(entry({ s: 'a' }, 0, 300, () => '-1'));
    joiner.add(entry({ s: 'b' }, 0, 300));
    joiner.add(entry({ s: 'a' }, 360, 600, () => '-1'));
    joiner.add(entry({ s: 'b' }, 360, 600));

    // Assess
    const [a, b, ...rest] = joiner.finish();
    expect(rest).toEqual([]);
    const grid = Array.from({ length: 11 }, (_, i) => i * 60_000);
    expect(Array.from(a?.timestampsMs ?? [])).toEqual(grid);
    expect(Array.from(a?.values ?? [])).toEqual(grid.map(() => 1));
    expect(Array.from(b?.timestampsMs ?? [])).toEqual(grid);
    expect(Array.from(b?.values ?? [])).toEqual(grid.map((ms) => ms / 1000));
  });

  it('counts a non-finite sample once, however often it comes', () => {
    // Prepare
    const joiner = createSeriesJoiner();
    const nanAt120 = (t: number): string => (t === 120 ? 'NaN' : String(t));

    // Act
    joiner.add(entry({ a: '1' }, 0, 600, nanAt120));
    joiner.add(entry({ a: '1' }, 0, 300, nanAt120));

    // Assess
    const [joined] = joiner.finish();
    expect(joined?.droppedNonFinite).toBe(1);
    expect(joined?.timestampsMs.length).toBe(10);
  });

  it('gives every series arrays of its own length, however many answers it came in', () => {
    // Prepare: room for 21 points; a has them all, b misses its first and last four
    const joiner = createSeriesJoiner({ pointsPerSeries: 21 });

    // Act
    joiner.add(entry({ s: 'a' }, 0, 600));
    joiner.add(entry({ s: 'b' }, 240, 600));
    joiner.add(entry({ s: 'a' }, 600, 1_200));
    joiner.add(entry({ s: 'b' }, 600, 960));

    // Assess
    const [a, b] = joiner.finish();
    expect(a?.timestampsMs.length).toBe(21);
    expect(a?.values.buffer.byteLength).toBe(21 * 8);
    expect(Array.from(b?.timestampsMs ?? [])).toEqual(Array.from({ length: 13 }, (_, i) => 240_000 + i * 60_000));
    expect(b?.values.buffer.byteLength).toBe(13 * 8);
    expect(b?.timestampsMs.buffer.byteLength).toBe(13 * 8);
  });

  it('joins without a size hint too (the file source), growing as needed', () => {
    // Prepare
    const joiner = createSeriesJoiner();

    // Act: three answers of 11, 10 and 10 new points
    joiner.add(entry({ a: '1' }, 0, 600));
    joiner.add(entry({ a: '1' }, 600, 1_200));
    joiner.add(entry({ a: '1' }, 1_200, 1_800));

    // Assess
    const [joined] = joiner.finish();
    expect(Array.from(joined?.values ?? [])).toEqual(Array.from({ length: 31 }, (_, i) => i * 60));
    expect(joined?.values.buffer.byteLength).toBe(31 * 8);
  });
});
