/**
 * A StateStore in one JSON file, for the CLI, a Kubernetes CronJob with a volume, or a CI job.
 *
 * Every write is read-check-write under a lock, so compare-and-set on `version` holds across
 * processes, not only within one:
 * - in the process, writes to one store queue behind each other (no polling among ourselves);
 * - across processes (and store instances), a lock file `<path>.lock` created with O_EXCL;
 *   the holder re-reads the file, checks the version, writes `<path>.<pid>.<n>.tmp`, fsyncs it
 *   and renames it over the file (atomic on POSIX: readers see the old or the new file, never
 *   half of one), then removes the lock.
 * - A lock older than `staleLockMs` is left by a process that died while holding it; it is
 *   broken by renaming it away (only one breaker can win a rename). Before committing, the
 *   holder checks that the lock still carries its own token and gives up the write if not.
 *   The one case left is a holder that stalls for longer than `staleLockMs` between that check
 *   and its rename, which is why the default is far above a write's few milliseconds.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import { StateStoreError } from './errors.js';
import type { AlertState, StateStore } from './state-store.js';

export interface FileStateStoreOptions {
  /** The JSON file; its folder is created when missing. */
  path: string;
  /** Give up waiting for the lock after this long (default 10 s). */
  lockTimeoutMs?: number;
  /** A lock file older than this belongs to a dead process and is broken (default 30 s). */
  staleLockMs?: number;
}

export interface FileStateStoreDeps {
  /** Wall clock in ms, compared with the lock file's mtime. */
  now?: () => number;
}

const defaults = { lockTimeoutMs: 10_000, staleLockMs: 30_000 };

/** The file's content. `format` lets a later version migrate or refuse an unknown file. */
interface StateFile {
  format: 'aiops-detector/alert-state';
  formatVersion: 1;
  detectors: Record<string, Record<string, AlertState>>;
}

function emptyFile(): StateFile {
  return { format: 'aiops-detector/alert-state', formatVersion: 1, detectors: {} };
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** A store in one JSON file, written atomically, with compare-and-set across processes. */
export function createFileStateStore(options: FileStateStoreOptions, deps: FileStateStoreDeps = {}): StateStore {
  const { path } = options;
  const lockTimeoutMs = options.lockTimeoutMs ?? defaults.lockTimeoutMs;
  const staleLockMs = options.staleLockMs ?? defaults.staleLockMs;
  const now = deps.now ?? Date.now;
  const lockPath = `${path}.lock`;
  const description = `file ${path}`;
  // Unique per store instance, so two instances in one process also exclude each other.
  const instanceId = randomUUID();
  let writeCounter = 0;
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return emptyFile();
      throw new StateStoreError(`Alert state ${description} cannot be read: ${errorMessage(error)}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      // Never start over silently: that would forget firing alerts and pending deliveries.
      throw new StateStoreError(`Alert state ${description} is not valid JSON; fix or remove the file`, { cause: error });
    }
    const file = parsed as Partial<StateFile> | null;
    if (file?.format !== 'aiops-detector/alert-state' || file.formatVersion !== 1 || typeof file.detectors !== 'object') {
      throw new StateStoreError(`Alert state ${description} is not an aiops-detector state file (format 1)`);
    }
    return file as StateFile;
  }

  async function save(file: StateFile): Promise<void> {
    writeCounter += 1;
    const tmp = `${path}.${process.pid}.${writeCounter}.tmp`;
    try {
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(file, null, 1));
        // Data on disk before the rename makes it visible: a crash leaves old or new, not empty.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (error) {
      // Best effort: a temp file left behind is harmless; the write's own error is what matters.
      const cleanup = await unlink(tmp).then(
        () => undefined,
        (cleanupError: unknown) => cleanupError,
      );
      const leftover = cleanup && codeOf(cleanup) !== 'ENOENT' ? ` (temp file ${tmp} left behind)` : '';
      throw new StateStoreError(`Alert state ${description} cannot be written: ${errorMessage(error)}${leftover}`, { cause: error });
    }
  }

  async function lockHolder(): Promise<string | undefined> {
    try {
      return await readFile(lockPath, 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Breaks a lock left by a dead process; true when the caller should try again at once. */
  async function breakIfStale(): Promise<boolean> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(lockPath)).mtimeMs;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return true; // released meanwhile
      throw error;
    }
    if (now() - mtimeMs <= staleLockMs) return false;
    const aside = `${lockPath}.stale.${process.pid}.${instanceId}`;
    try {
      await rename(lockPath, aside);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return true; // another process broke it first
      throw error;
    }
    await unlink(aside);
    return true;
  }

  async function acquire(token: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const deadline = now() + lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lockPath, 'wx', 0o600);
        try {
          await handle.writeFile(token);
        } finally {
          await handle.close();
        }
        return;
      } catch (error) {
        if (codeOf(error) !== 'EEXIST') throw error;
      }
      if (await breakIfStale()) continue;
      if (now() >= deadline) {
        throw new StateStoreError(
          `Alert state ${description}: lock ${lockPath} still held after ${lockTimeoutMs} ms; ` +
            `another run is writing, or remove the lock file if no run is active`,
        );
      }
      // Writes take milliseconds: poll fast first, then back off to 50 ms.
      await sleep(Math.min(50, 1 + attempt * 2));
    }
  }

  async function release(token: string): Promise<void> {
    // Never remove a lock that is no longer ours (it was broken as stale and taken by another).
    if ((await lockHolder()) === token) await unlink(lockPath);
  }

  /** Runs `fn` holding both the in-process queue and the lock file. */
  function exclusive<T>(fn: (stillOwned: () => Promise<boolean>) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const token = `${process.pid} ${instanceId} ${now()} ${writeCounter}`;
      try {
        await acquire(token);
      } catch (error) {
        if (error instanceof StateStoreError) throw error;
        throw new StateStoreError(`Alert state ${description}: cannot lock ${lockPath}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
      try {
        return await fn(async () => (await lockHolder()) === token);
      } finally {
        await release(token);
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined); // the queue goes on after a failed write; the caller sees the error
    return result;
  }

  return {
    description,
    list: async (detector) => {
      const file = await load();
      return Object.values(file.detectors[detector] ?? {});
    },
    put: (state) =>
      exclusive(async (stillOwned) => {
        const file = await load();
        const series = file.detectors[state.detector] ?? {};
        if ((series[state.seriesKey]?.version ?? 0) !== state.version) return undefined;
        const stored: AlertState = { ...structuredClone(state), version: state.version + 1 };
        series[state.seriesKey] = stored;
        file.detectors[state.detector] = series;
        if (!(await stillOwned())) return undefined;
        await save(file);
        return structuredClone(stored);
      }),
    delete: ({ detector, seriesKey, version }) =>
      exclusive(async (stillOwned) => {
        const file = await load();
        const series = file.detectors[detector];
        if (series?.[seriesKey]?.version !== version) return false;
        delete series[seriesKey];
        if (Object.keys(series).length === 0) delete file.detectors[detector];
        if (!(await stillOwned())) return false;
        await save(file);
        return true;
      }),
  };
}
