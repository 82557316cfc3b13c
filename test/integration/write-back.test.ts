/**
 * Scores back into Prometheus, as the in-cluster deployment runs it: `aiops-detector run`
 * (in-process) against a real Prometheus with the remote write receiver, `writeBack` on and the
 * `prometheus` state store, so each CLI invocation starts with nothing in memory, like a Knative
 * Service scaled up from zero. What was written is queried back through Prometheus' HTTP API and
 * compared with the run's own result lines.
 *
 * The CLI's own metrics (`selfMetrics.remoteWrite`) go the same way, at the wall clock: a
 * process nothing scrapes, each run one counter lifetime.
 *
 * The history is backfilled with promtool, which makes Prometheus refuse samples older than the
 * newest block unless an out-of-order window allows them: the default 3h of startPrometheus()
 * with remote write. A live Prometheus (scraping up to now) takes the run's samples without one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.js';
import { startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';
import { latencyHistory } from '../support/latency-history.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

// Recent: the state store writes at the wall clock, the scores at the evaluation time, and
// Prometheus takes both only within its out-of-order window of each other (as in production,
// where the evaluation time is now).
const endS = Math.floor(Date.now() / 60_000) * 60 - 5 * 60;
const at = (minutes: number): string => new Date((endS + minutes * 60) * 1000).toISOString();
const atMs = (minutes: number): number => (endS + minutes * 60) * 1000;
const metric = 'app_latency_seconds';
const token = 'T0KEN-write-back-5c4b3a291807f6e5d4c3';

/** Three series a minute apart for two hours; `c` spikes in the newest two minutes of minute 0. */
function history(): SeriesInput[] {
  return latencyHistory({
    metric,
    endS,
    instances: ['a', 'b', 'c'],
    spiky: 'c',
    seedBase: 77,
    level: (index) => 0.2 + 0.05 * index,
    lastMinute: 10,
  });
}

let prometheus: RunningPrometheus;
let receiver: WebhookReceiver;
let dir: string;

beforeAll(async () => {
  prometheus = await startPrometheus({ series: history(), remoteWrite: true });
  receiver = await startWebhookReceiver();
  dir = await mkdtemp(join(tmpdir(), 'aiops-write-back-'));
});
afterAll(async () => {
  await receiver?.close();
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  lines: Record<string, unknown>[];
  diagnostics: Record<string, unknown>[];
  summary: Record<string, unknown>;
}

async function run(config: string, argv: string[]): Promise<Run> {
  const { code, stdout, stderr } = await runCli(['run', '--config', config, ...argv], {
    cwd: dir,
    env: { HOOK_URL: `${receiver.baseUrl}/hooks/${token}` },
  });
  expect(stdout + stderr).not.toContain(token);
  const lines = jsonLines(stdout, { strict: true });
  return { code, lines: lines.filter((l) => l.summary !== true), diagnostics: jsonLines(stderr, { strict: true }), summary: lines.at(-1)! };
}

async function configFile(name: string, options: { remoteWriteUrl?: string; stateStore?: string } = {}): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    [
      'prometheus:',
      `  url: ${prometheus.url}`,
      '  retries: 0',
      ...(options.remoteWriteUrl ? [`  remoteWriteUrl: ${options.remoteWriteUrl}`] : []),
      'detectors:',
      '  - name: latency',
      `    query: ${metric}`,
      'alerts:',
      '  resolveAfter: 2',
      `  stateStore: ${options.stateStore ?? 'prometheus'}`,
      '  sinks:',
      '    - type: webhook',
      '      url: { env: HOOK_URL }',
      'writeBack: { enabled: true }',
      '',
    ].join('\n'),
  );
  return path;
}

interface Sample {
  labels: Record<string, string>;
  value: number;
}

async function queryAt(query: string, timeMs: number): Promise<Sample[]> {
  const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${timeMs / 1000}`;
  const body = (await (await fetch(url)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** The written sample of `name` for one instance, exactly at the evaluation time. */
async function written(name: string, instance: string, timeMs: number): Promise<number | undefined> {
  // `timestamp()` proves the sample sits at the evaluation time, not merely within the lookback.
  const found = await queryAt(`${name}{detector="latency",instance="${instance}"} and timestamp(${name}) == ${timeMs / 1000}`, timeMs);
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

describe('write-back after each run', () => {
  it('writes score, threshold, value and firing state for every series; firing follows the alert state, not the notifications', async () => {
    // Prepare
    const config = await configFile('write-back.yaml');
    receiver.reset();

    // Act: the spike (fires); minute 3, the first whose window no longer ends in the spike or the
    // drop after it (still firing, nothing sent); minute 4, the second normal one (resolved).
    const minutes = [0, 3, 4];
    const runs: Run[] = [];
    for (const minute of minutes) runs.push(await run(config, ['--now', at(minute)]));

    // Assess
    for (const r of runs) expect(r.code, JSON.stringify(r.diagnostics.filter((d) => d.level !== "debug"))).toBe(0);
    expect(runs.map((r) => r.lines.find((l) => (l.series as Record<string, string>).instance === 'c')!.alert)).toEqual([
      'firing',
      'none',
      'resolved',
    ]);
    expect(receiver.accepted()).toHaveLength(2);
    const expectedFiring = [1, 1, 0];
    for (const [index, r] of runs.entries()) {
      expect(r.summary.write_back).toEqual({ ok: true, samples: 3 * 4 });
      for (const line of r.lines) {
        const instance = (line.series as Record<string, string>).instance!;
        const timeMs = atMs(minutes[index]!);
        expect(await written('aiops_anomaly_score', instance, timeMs)).toBe(line.score);
        expect(await written('aiops_anomaly_threshold', instance, timeMs)).toBe(line.threshold);
        expect(await written('aiops_series_value', instance, timeMs)).toBe(line.last);
        expect(await written('aiops_alert_firing', instance, timeMs)).toBe(instance === 'c' ? expectedFiring[index] : 0);
      }
    }
    // The labels a dashboard selects on: detector, series_name, and the series' own labels.
    const [score] = await queryAt('aiops_anomaly_score{instance="c"}', atMs(0));
    expect(score!.labels).toEqual({ __name__: 'aiops_anomaly_score', detector: 'latency', series_name: metric, job: 'api', instance: 'c' });
  });

  it('writes nothing in a dry run', async () => {
    // Prepare
    const config = await configFile('dry-run.yaml');

    // Act
    const result = await run(config, ['--now', at(5), '--dry-run']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.summary.write_back).toBeUndefined();
    expect(await queryAt(`aiops_anomaly_score and timestamp(aiops_anomaly_score) == ${atMs(5) / 1000}`, atMs(5))).toEqual([]);
  });

  it('fails the run when the scores are refused, and still delivers the alert', async () => {
    // Prepare: the remote write goes to a receiver that answers 400 (a refused write).
    const refuser = await startWebhookReceiver({ defaultReply: { status: 400, body: 'out of order sample' } });
    try {
      // State in memory here: the prometheus store would write to the refuser too.
      const config = await configFile('refused.yaml', { remoteWriteUrl: `${refuser.baseUrl}/api/v1/write`, stateStore: 'memory' });
      receiver.reset();

      // Act
      const result = await run(config, ['--now', at(0)]);

      // Assess
      expect(result.code).toBe(1);
      expect(refuser.requests).toHaveLength(1);
      expect(receiver.accepted()).toHaveLength(1);
      expect(result.lines.find((l) => (l.series as Record<string, string>).instance === 'c')!.alert).toBe('firing');
      expect(result.summary).toMatchObject({ ok: false, failures: expect.any(Number) as number });
      expect(result.summary.write_back).toMatchObject({ ok: false, samples: 0 });
      expect(result.diagnostics).toContainEqual(
        expect.objectContaining({ level: 'error', msg: 'writing scores back failed; alerts are not affected' }),
      );
    } finally {
      await refuser.close();
    }
  });
});

describe('self-metrics by remote write (selfMetrics.remoteWrite)', () => {
  interface Found {
    labels: Record<string, string>;
    value: number;
  }
  const instant = async (query: string): Promise<Found[]> => queryAt(query, Date.now());

  it('writes each run\'s figures at the wall clock; Prometheus counts the runs of separate processes', async () => {
    // Prepare: no write-back of scores, state in memory: only the self-metrics are written.
    const config = join(dir, 'self-metrics.yaml');
    await writeFile(
      config,
      [
        'prometheus:',
        `  url: ${prometheus.url}`,
        '  retries: 0',
        'detectors:',
        '  - name: latency',
        `    query: ${metric}`,
        '  - name: broken',
        '    query: "rate(app_latency_seconds[5m]"',
        'alerts:',
        '  stateStore: memory',
        '  sinks:',
        '    - type: webhook',
        '      url: { env: HOOK_URL }',
        'selfMetrics: { remoteWrite: true, job: aiops-cron }',
        '',
      ].join('\n'),
    );
    const startedS = Date.now() / 1000;

    // Act: two runs that succeed, then one where `broken` fails, each its own `run`
    const codes: number[] = [];
    for (const argv of [['--detector', 'latency'], ['--detector', 'latency'], []]) {
      codes.push((await run(config, ['--now', at(0), ...argv])).code);
    }

    // Assess
    expect(codes).toEqual([0, 0, 1]);
    const [success] = await instant('aiops_detector_runs_total{outcome="success"}');
    expect(success!.labels).toEqual({ __name__: 'aiops_detector_runs_total', job: 'aiops-cron', outcome: 'success' });
    // Each run wrote 0 at its start and its own count at its end: three counter lifetimes.
    expect(await instant('count_over_time(aiops_detector_runs_total{outcome="success"}[5m])')).toMatchObject([{ value: 6 }]);
    // 0, 1, 0, 1, 0, 0: the drop to 0 as the next run starts is a counter reset, twice.
    expect(await instant('resets(aiops_detector_runs_total{outcome="success"}[5m])')).toMatchObject([{ value: 2 }]);
    expect(await instant('max_over_time(aiops_detector_runs_total{outcome="failure"}[5m])')).toMatchObject([{ value: 1 }]);
    // The failure ratio the alert rule computes is the real one: every series has the same samples.
    const [ratio] = await instant(
      'sum(increase(aiops_detector_runs_total{outcome="failure"}[5m])) / sum(increase(aiops_detector_runs_total[5m]))',
    );
    expect(ratio!.value).toBeCloseTo(1 / 3, 6);
    const [runs] = await instant('sum(increase(aiops_detector_runs_total[5m]))');
    // increase() extrapolates towards the end of the range, never before a counter's first 0.
    expect(runs!.value).toBeGreaterThanOrEqual(3);
    expect(runs!.value).toBeLessThan(4.5);
    expect(await instant('max_over_time(aiops_detector_detector_runs_total{detector="broken",outcome="failure"}[5m])')).toMatchObject([
      { value: 1 },
    ]);
    expect(await instant('sum(max_over_time(aiops_detector_series_scored_total{detector="latency"}[5m]))')).toMatchObject([{ value: 3 }]);
    const [lastSuccess] = await instant('last_over_time(aiops_detector_last_success_timestamp_seconds{job="aiops-cron"}[5m])');
    expect(lastSuccess!.value).toBeGreaterThan(startedS);
    expect(lastSuccess!.value).toBeLessThanOrEqual(Date.now() / 1000);
  });
});
