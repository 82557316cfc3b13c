import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../../../lib/sources/errors.js';
import { createFileSource } from '../../../../lib/sources/file/file-source.js';
import { matrixBody } from '../../../support/fake-prometheus.js';

let dir: string;
let path: string;
// Recorded on a minute grid ending at t0 (seconds): 10 points, value = minutes before the end.
const t0 = 1_600_000_020;
const values: [number, string][] = Array.from({ length: 10 }, (_, i) => [t0 - (9 - i) * 60, String(9 - i)]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-file-source-'));
  path = join(dir, 'recording.json');
  await writeFile(
    path,
    JSON.stringify({
      queries: {
        'latency_seconds{job="api"}': matrixBody([{ labels: { __name__: 'latency_seconds', job: 'api' }, values }]),
        special: matrixBody([{ labels: { s: '1' }, values: [[t0 - 60, 'NaN'], [t0, '2']] }]),
      },
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file source', () => {
  it('returns the recorded samples inside the requested window, as recorded', async () => {
    // Prepare
    const source = createFileSource({ path });

    // Act
    const [series] = await source.queryRange({
      query: 'latency_seconds{job="api"}',
      startMs: (t0 - 4 * 60) * 1000,
      endMs: t0 * 1000,
      stepSeconds: 60,
    });

    // Assess: both bounds inclusive
    expect(Array.from(series?.values ?? [])).toEqual([4, 3, 2, 1, 0]);
    expect(series?.labels).toEqual({ __name__: 'latency_seconds', job: 'api' });
  });

  it('re-bases the recording so its newest sample is at the requested end', async () => {
    // Prepare
    const source = createFileSource({ path, rebase: true });
    const endMs = 1_900_000_020_000; // a whole minute

    // Act
    const [series] = await source.queryRange({ query: 'latency_seconds{job="api"}', startMs: endMs - 60 * 60_000, endMs, stepSeconds: 60 });

    // Assess
    expect(series?.timestampsMs.length).toBe(10);
    expect(series?.timestampsMs.at(-1)).toBe(endMs);
    expect(series?.timestampsMs[0]).toBe(endMs - 9 * 60_000);
    expect(series?.values.at(-1)).toBe(0);
  });

  it('matches queries regardless of whitespace and counts non-finite samples', async () => {
    // Act
    const [series] = await createFileSource({ path, rebase: true }).queryRange({
      query: '  special ',
      startMs: 0,
      endMs: 1_900_000_000_000,
      stepSeconds: 60,
    });

    // Assess
    expect(series?.droppedNonFinite).toBe(1);
    expect(Array.from(series?.values ?? [])).toEqual([2]);
  });

  it('names the recorded queries when asked for one it does not have', async () => {
    // Act
    const error = await createFileSource({ path })
      .queryRange({ query: 'up', startMs: 0, endMs: 1, stepSeconds: 60 })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toContain('no recording for query "up"');
    expect((error as SourceError).message).toContain('"special"');
  });

  it('reports a file that is not a recording', async () => {
    // Prepare
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"data": []}');

    // Act
    const error = await createFileSource({ path: bad })
      .queryRange({ query: 'up', startMs: 0, endMs: 1, stepSeconds: 60 })
      .catch((e: unknown) => e);

    // Assess
    expect((error as SourceError).message).toContain('expected { "queries"');
  });
});
