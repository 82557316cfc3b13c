import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStoreError } from '../../../lib/alerts/errors.js';
import { createFileStateStore } from '../../../lib/alerts/file-state-store.js';
import type { AlertState } from '../../../lib/alerts/state-store.js';
import { describeStateStoreContract } from './state-store-contract.js';

const run = promisify(execFile);
let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aiops-file-store-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function freshDir(): string {
  counter += 1;
  return join(root, `case-${counter}`);
}

describeStateStoreContract('file', () => {
  const dir = freshDir();
  return Promise.resolve({
    store: createFileStateStore({ path: join(dir, 'nested', 'state.json') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
});

function state(overrides: Partial<AlertState> = {}): AlertState {
  return {
    detector: 'latency',
    seriesKey: '{job="api"}',
    labels: { job: 'api' },
    status: 'ok',
    anomalousStreak: 0,
    normalStreak: 0,
    lastEvaluatedMs: 1,
    pending: [],
    version: 0,
    ...overrides,
  };
}

describe('file state store', () => {
  it('writes by rename: a readable JSON file and no temp or lock files left behind', async () => {
    const dir = freshDir();
    const path = join(dir, 'state.json');
    const store = createFileStateStore({ path });
    const v1 = await store.put(state());
    await store.put({ ...v1!, anomalousStreak: 1 });
    expect(await readdir(dir)).toEqual(['state.json']);
    const file = JSON.parse(await readFile(path, 'utf8')) as { detectors: Record<string, unknown> };
    expect(Object.keys(file.detectors)).toEqual(['latency']);
  });

  it('two store instances on one file (two processes in effect) let exactly one of 20 writers win', async () => {
    const path = join(freshDir(), 'state.json');
    const a = createFileStateStore({ path });
    const b = createFileStateStore({ path });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).put(state({ anomalousStreak: i + 1 }))),
    );
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await a.list('latency')).toEqual(await b.list('latency'));
  });

  it('separate OS processes racing on the same transition: exactly one wins', async () => {
    const path = join(freshDir(), 'state.json');
    const store = createFileStateStore({ path });
    const base = await store.put(state());
    const script = join(root, `racer-${counter}.mts`);
    const moduleUrl = new URL('../../../lib/alerts/file-state-store.ts', import.meta.url).href;
    await writeFile(
      script,
      `import { createFileStateStore } from ${JSON.stringify(moduleUrl)};
const [path, baseJson, id] = process.argv.slice(2);
const store = createFileStateStore({ path });
const base = JSON.parse(baseJson);
const results = await Promise.all([0, 1, 2, 3].map((i) => store.put({ ...base, status: 'firing', firingSinceMs: Number(id) * 10 + i })));
process.stdout.write(String(results.filter((r) => r !== undefined).length));
`,
    );
    const outputs = await Promise.all(
      [1, 2, 3].map((id) => run(process.execPath, ['--import', 'tsx', script, path, JSON.stringify(base), String(id)])),
    );
    const wins = outputs.map((o) => Number(o.stdout));
    expect(wins.reduce((x, y) => x + y, 0)).toBe(1);
    const [stored] = await store.list('latency');
    expect(stored?.status).toBe('firing');
    expect(stored?.version).toBe(base!.version + 1);
  }, 30_000);

  it('breaks a lock left by a dead process once it is stale', async () => {
    const path = join(freshDir(), 'state.json');
    const store = createFileStateStore({ path, staleLockMs: 1_000, lockTimeoutMs: 5_000 });
    await store.put(state()); // creates the folder
    await writeFile(`${path}.lock`, '4242 dead-process');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);
    const [current] = await store.list('latency');
    expect(await store.put({ ...current!, anomalousStreak: 1 })).toBeDefined();
  });

  it('waits for a live lock and then fails with a clear error naming the lock file', async () => {
    const path = join(freshDir(), 'state.json');
    const store = createFileStateStore({ path, staleLockMs: 60_000, lockTimeoutMs: 200 });
    await store.put(state());
    await writeFile(`${path}.lock`, '4242 busy-process');
    const error = await store.put(state({ detector: 'other' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toContain(`${path}.lock`);
    // The live lock is not ours: it stays.
    expect(await readFile(`${path}.lock`, 'utf8')).toBe('4242 busy-process');
  });

  it('refuses a corrupt file instead of forgetting alerts', async () => {
    const path = join(freshDir(), 'state.json');
    const store = createFileStateStore({ path });
    await store.put(state());
    await writeFile(path, '{"format": "aiops-detector/alert-state", "formatVersion": 1, "detectors": {');
    const error = await store.list('latency').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toContain(path);
    expect(await store.put(state({ detector: 'x' })).catch((e: unknown) => e)).toBeInstanceOf(StateStoreError);
  });
});
