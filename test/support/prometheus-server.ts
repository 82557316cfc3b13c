/**
 * A real Prometheus (the Debian package, /usr/bin/prometheus 2.42) for integration tests and
 * benchmarks: history is written first as TSDB blocks with
 * `promtool tsdb create-blocks-from openmetrics` (one OpenMetrics file, fast for 1,000 series
 * x 240 points), then the server starts on 127.0.0.1 with a free port and a temp data dir and
 * loads the blocks. Samples up to "now" are queryable: the head is empty at start, so blocks
 * reaching the present do not overlap it.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const prometheusBinary = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const promtoolBinary = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

export interface SeriesInput {
  /** Labels including `__name__`. */
  labels: Record<string, string>;
  /** `[unixSeconds, value]`, ascending by time; NaN and ±Infinity are written as such. */
  samples: readonly (readonly [number, number])[];
}

export interface StartPrometheusOptions {
  series?: readonly SeriesInput[];
  /** Start with `--web.enable-remote-write-receiver` (POST /api/v1/write). */
  remoteWrite?: boolean;
  /**
   * `storage.tsdb.out_of_order_time_window`, so remote-written samples older than the head are
   * accepted; default `3h` when `remoteWrite` is on.
   */
  outOfOrderTimeWindow?: string;
  /** Scrape jobs (`host:port` targets, path /metrics), e.g. a `serve` process' self-metrics. */
  scrape?: readonly { job: string; targets: readonly string[]; intervalSeconds?: number }[];
  /** Extra command-line flags. */
  extraArgs?: readonly string[];
  /** Milliseconds to wait for /-/ready; default 30 s. */
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  dataDir: string;
  /** Kills the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * The OpenMetrics text promtool backfills from: lines of one metric name together (OpenMetrics
 * wants a family's lines contiguous), samples ascending, `# EOF` at the end.
 */
export function toOpenMetrics(series: readonly SeriesInput[]): string {
  const byName = new Map<string, SeriesInput[]>();
  for (const s of series) {
    const name = s.labels.__name__;
    if (!name) throw new Error(`series ${JSON.stringify(s.labels)} has no __name__`);
    const list = byName.get(name) ?? [];
    list.push(s);
    byName.set(name, list);
  }
  const parts: string[] = [];
  for (const [name, list] of byName) {
    parts.push(`# TYPE ${name} gauge\n`);
    for (const s of list) {
      const labelText = Object.entries(s.labels)
        .filter(([k]) => k !== '__name__')
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      const prefix = labelText === '' ? name : `${name}{${labelText}}`;
      const lines = new Array<string>(s.samples.length);
      for (let i = 0; i < s.samples.length; i++) {
        const sample = s.samples[i];
        if (!sample) continue;
        lines[i] = `${prefix} ${formatValue(sample[1])} ${sample[0]}`;
      }
      parts.push(lines.join('\n'), '\n');
    }
  }
  parts.push('# EOF\n');
  return parts.join('');
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`prometheus exited with code ${child.exitCode} before it was ready:\n${stderr()}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet; poll again
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`prometheus at ${url} was not ready within ${timeoutMs} ms:\n${stderr()}`);
}

/** Backfills `series` and starts Prometheus; fails (never skips) when the binaries are missing. */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'aiops-prometheus-'));
  const dataDir = join(dir, 'data');
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    if (options.series && options.series.length > 0) {
      const input = join(dir, 'history.om');
      await writeFile(input, toOpenMetrics(options.series));
      // Writes 2h blocks into the data dir; Prometheus loads them at start.
      await execFileAsync(promtoolBinary, ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir], {
        maxBuffer: 16 * 1024 * 1024,
      });
    }
    const outOfOrder = options.outOfOrderTimeWindow ?? (options.remoteWrite ? '3h' : undefined);
    const configPath = join(dir, 'prometheus.yml');
    const scrapeConfigs = (options.scrape ?? []).map(
      (job) =>
        `  - job_name: ${job.job}\n    scrape_interval: ${job.intervalSeconds ?? 1}s\n` +
        `    static_configs:\n      - targets: [${job.targets.map((t) => `'${t}'`).join(', ')}]\n`,
    );
    await writeFile(
      configPath,
      `global:\n  scrape_interval: 1m\n${outOfOrder ? `storage:\n  tsdb:\n    out_of_order_time_window: ${outOfOrder}\n` : ''}` +
        (scrapeConfigs.length > 0 ? `scrape_configs:\n${scrapeConfigs.join('')}` : ''),
    );

    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const args = [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Tests use recent data, but benchmarks may replay old series: keep everything.
        '--storage.tsdb.retention.time=100y',
        '--log.level=warn',
        ...(options.remoteWrite ? ['--web.enable-remote-write-receiver'] : []),
        ...(options.extraArgs ?? []),
      ];
      const child = spawn(prometheusBinary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
      });
      const spawned = new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      try {
        await spawned;
        await waitReady(url, child, () => stderr, options.readyTimeoutMs ?? 30_000);
      } catch (error) {
        lastError = error;
        child.kill('SIGKILL');
        // Another process may have taken the port between freePort() and listen: try a new one.
        if (/address already in use/.test(stderr)) continue;
        throw error;
      }
      let stopped = false;
      return {
        url,
        port,
        dataDir,
        stop: async () => {
          if (stopped) return;
          stopped = true;
          if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exited;
            clearTimeout(timer);
          }
          await cleanup();
        },
      };
    }
    throw lastError instanceof Error ? lastError : new Error('prometheus could not start');
  } catch (error) {
    await cleanup();
    throw error;
  }
}
