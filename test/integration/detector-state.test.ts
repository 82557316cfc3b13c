/**
 * Detector state in the real stores, read from a real Prometheus: consecutive runs keeping state
 * in files and in S3 (s3rver with the real @aws-sdk/client-s3) log the same result lines as runs
 * that read and fit the whole window, read a few samples a series once warm, and rebuild from a
 * full window read when a shard file on disk is damaged. The state logic's other cases (gap,
 * overlap, expiry, settings, failing store) are in test/unit/model/detector-state.test.ts.
 */
import { readdir, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import type { ConfigInput } from '../../lib/config/schema.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createS3BlobStore } from '../../lib/model/s3-blob-store.js';
import { runDetection, type RunSummary } from '../../lib/run.js';
import { createRuntime } from '../../lib/runtime.js';
import { startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';
import { seededRandom } from '../support/random.js';
import { startS3rver, type S3rver } from '../support/s3rver.js';

const stepS = 60;
/** The first run's evaluation time (a whole minute), and how many runs follow it a minute apart. */
const firstS = Date.UTC(2025, 0, 15, 12, 0, 0) / 1000;
const runs = 14;
const windowMinutes = 300;

function history(): SeriesInput[] {
  return ['a', 'b', 'c'].map((instance, index) => {
    const random = seededRandom(11 + index);
    const samples: [number, number][] = [];
    for (let t = firstS - windowMinutes * 60; t <= firstS + runs * stepS; t += stepS) {
      let value = 50 + 5 * Math.sin(t / 3000 + index) + 2 * random();
      // One spike per series inside the runs, so alerts fire too.
      if (t === firstS + (3 + 4 * index) * stepS) value *= 4;
      samples.push([t, Number(value.toFixed(4))]);
    }
    return { labels: { __name__: 'state_test_latency', instance }, samples };
  });
}

let prometheus: RunningPrometheus;
let s3: S3rver;
let scratch: string;

beforeAll(async () => {
  [prometheus, s3] = await Promise.all([startPrometheus({ series: history() }), startS3rver()]);
  scratch = await mkdtemp(join(tmpdir(), 'aiops-detector-state-'));
}, 60_000);

afterAll(async () => {
  await Promise.all([prometheus?.stop(), s3?.stop(), scratch ? rm(scratch, { recursive: true, force: true }) : undefined]);
});

/** Runs 0 .. runs-1 minutes after the first with `state`, before each calling `beforeRun`. */
async function runAll(state: ConfigInput['state'], beforeRun: (run: number) => Promise<void> = () => Promise.resolve()) {
  const config = parseConfig(
    {
      prometheus: { url: prometheus.url },
      detectors: [{ name: 'latency', query: 'state_test_latency', windowMinutes }],
      alerts: { stateStore: 'memory' },
      state,
    },
    { source: 'test' },
  );
  const logger = createMemoryLogger();
  const runtime = await createRuntime(config, {
    logger,
    env: {},
    readFile: () => Promise.reject(new Error('no files')),
    blobStoreAdapters: { s3: (options) => createS3BlobStore(options, { client: s3.client }) },
  });
  const summaries: RunSummary[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      await beforeRun(run);
      summaries.push(await runDetection({ ...runtime, config, logger }, { now: new Date((firstS + run * stepS) * 1000) }));
    }
  } finally {
    await runtime.close();
  }
  return { summaries, logger };
}

const seen = (summary: RunSummary): string[] => summary.results.map((r) => JSON.stringify(r)).sort();

describe('detector state in the file and S3 stores', () => {
  let expected: RunSummary[];

  beforeAll(async () => {
    expected = (await runAll({ enabled: false })).summaries;
    expect(expected.reduce((n, s) => n + s.alertsSent, 0)).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it.each([
    ['file', () => ({ store: { type: 'file' as const, directory: join(scratch, 'plain') } })],
    ['s3', () => ({ store: 's3:detector-state/aiops' })],
  ])('%s: runs keeping state log what runs without it log, reading a few samples a series once warm', async (kind, state) => {
    if (kind === 's3') await s3.createBucket('detector-state');
    const { summaries } = await runAll(state());
    summaries.forEach((summary, run) => expect(seen(summary), `run ${run}`).toEqual(seen(expected[run]!)));
    expect(summaries[0]!.state).toMatchObject({ cold: 1, samplesRead: 3 * (windowMinutes + 1) });
    for (const summary of summaries.slice(1)) {
      expect(summary.state).toMatchObject({ warm: 1, storeErrors: 0 });
      expect(summary.state!.samplesRead).toBeLessThanOrEqual(3 * 7);
    }
  }, 60_000);

  it('file: a damaged shard on disk is rebuilt from a full window read, with a warning, and results stay the same', async () => {
    const directory = join(scratch, 'damaged');
    const { summaries, logger } = await runAll({ store: { type: 'file', directory } }, async (run) => {
      if (run !== 6) return;
      const [folder] = await readdir(directory);
      const shard = (await readdir(join(directory, folder!))).find((name) => name.startsWith('points-'));
      await writeFile(join(directory, folder!, shard!), 'garbage');
    });
    summaries.forEach((summary, run) => expect(seen(summary), `run ${run}`).toEqual(seen(expected[run]!)));
    expect(summaries[6]!.state).toMatchObject({ cold: 1 });
    expect(summaries[7]!.state).toMatchObject({ warm: 1 });
    const rebuilt = logger.diagnostics.find((d) => d.level === 'warn' && d.msg === 'detector state rebuilt from a full window read');
    expect(String(rebuilt?.reason)).toMatch(/^shard \d+ unusable/);
  }, 60_000);
});
