/**
 * The Knative entry as it runs in the cluster: `functions/knative.ts` / `aiops-detector serve`
 * as a child process (node --import tsx), CloudEvents over real HTTP, and SIGTERM sent to the
 * process. Behind it: a real Prometheus (remote write receiver on, `prometheus` state store,
 * write-back on) and a real webhook receiver, or a fake Prometheus that answers slowly or never,
 * to hold a cycle open. A second real Prometheus scrapes the process' GET /metrics, as the
 * cluster's Prometheus scrapes the Knative pod.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridReply, startFakePrometheus, type FakePrometheus } from '../support/fake-prometheus.js';
import { startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';
import { latencyHistory } from '../support/latency-history.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const repo = join(import.meta.dirname, '..', '..');
const token = 'T0KEN-knative-0a9b8c7d6e5f4a3b2c1d';
const metric = 'app_latency_seconds';
// Recent, so the state store's wall-clock samples and the scores at the evaluation time both fit
// Prometheus' out-of-order window (test/integration/write-back.test.ts says why).
const endS = Math.floor(Date.now() / 60_000) * 60 - 5 * 60;
const at = (minutes: number): string => new Date((endS + minutes * 60) * 1000).toISOString();

/** Two series, a minute apart for two hours; `b` spikes in the two minutes ending at minute 0. */
function history(): SeriesInput[] {
  return latencyHistory({ metric, endS, instances: ['a', 'b'], spiky: 'b', seedBase: 31, level: () => 0.3, lastMinute: 5 });
}

interface Served {
  port: number;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

const children = new Set<ChildProcess>();

/** Starts `node --import tsx <entry> [serve] ...` and waits for its "listening" line. */
async function serve(entry: 'functions/cli.ts' | 'functions/knative.ts', args: string[], env: Record<string, string> = {}): Promise<Served> {
  const argv = ['--import', 'tsx', entry, ...(entry === 'functions/cli.ts' ? ['serve'] : []), '--port', '0', '--host', '127.0.0.1', ...args];
  const child = spawn(process.execPath, argv, {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, atMs: Date.now() });
    }),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /"msg":"listening","port":(\d+)/.exec(stderr);
    if (match) return { port: Number(match[1]), child, stdout: () => stdout, stderr: () => stderr, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function pingHeaders(id: string, time?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': '/apis/v1/namespaces/aiops-detector/pingsources/aiops-detector-every-minute',
    'ce-type': 'dev.knative.sources.ping',
    ...(time ? { 'ce-time': time } : {}),
  };
}

async function post(port: number, headers: Record<string, string>, body: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

let dir: string;
let receiver: WebhookReceiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-knative-'));
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('serve against a real Prometheus and webhook receiver', () => {
  let prometheus: RunningPrometheus;
  let served: Served;

  beforeAll(async () => {
    prometheus = await startPrometheus({ series: history(), remoteWrite: true });
    // The webhook URL as a mounted Kubernetes Secret: a file.
    const secretFile = join(dir, 'webhook-url');
    await writeFile(secretFile, `${receiver.baseUrl}/hooks/${token}\n`);
    const config = join(dir, 'knative.yaml');
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
        '  stateStore: { type: prometheus }',
        '  sinks:',
        '    - type: webhook',
        `      url: { file: ${secretFile} }`,
        'writeBack: { enabled: true }',
        '',
      ].join('\n'),
    );
    // The Knative entry point, configured like the manifest: CONFIG_FILE.
    served = await serve('functions/knative.ts', [], { CONFIG_FILE: config });
  });
  afterAll(async () => {
    served?.child.kill('SIGTERM');
    await served?.exited;
    await prometheus?.stop();
  });

  it('answers the probes', async () => {
    expect((await fetch(`http://127.0.0.1:${served.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${served.port}/readyz`)).status).toBe(200);
  });

  it('runs a binary-mode PingSource event as of its time: 200, the alert delivered, scores written back', async () => {
    // Prepare
    receiver.reset();

    // Act
    const response = await post(served.port, pingHeaders('ping-0', at(0)), '{"detectors":["latency"]}');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      event: { id: 'ping-0', time: at(0) },
      ok: true,
      series: 2,
      anomalies: 1,
      alertsSent: 1,
      writeBack: { ok: true, samples: 8 },
      outcomes: [{ name: 'latency', ok: true, sent: 1 }],
    });
    expect(receiver.accepted()).toHaveLength(1);
    expect(receiver.accepted()[0]!.body).toContain('"instance":"b"');
    const query = `aiops_alert_firing{detector="latency",instance="b"}`;
    const found = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${endS}`)).json()) as {
      data: { result: { value: [number, string] }[] };
    };
    expect(found.data.result.map((r) => r.value[1])).toEqual(['1']);
  });

  it('keeps the alert state for the next event (structured mode): no second notification', async () => {
    // Prepare
    receiver.reset();
    const event = { specversion: '1.0', id: 'ping-1', source: 'test', type: 'dev.knative.sources.ping', time: at(1), data: { detectors: ['latency'] } };

    // Act
    const response = await post(served.port, { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, alertsSent: 0 });
    expect(receiver.requests).toEqual([]);
  });

  it('answers 500 when a detector fails, so Knative retries the event', async () => {
    const response = await post(served.port, pingHeaders('ping-2', at(2)), '');
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({ ok: false, failures: 1 });
    const outcomes = response.body.outcomes as { name: string; ok: boolean; error?: string }[];
    expect(outcomes.find((o) => o.name === 'broken')).toMatchObject({ ok: false, error: expect.stringMatching(/bad_data/) as string });
    expect(outcomes.find((o) => o.name === 'latency')).toMatchObject({ ok: true });
  });

  it('refuses a POST that is not a CloudEvent with 400', async () => {
    const response = await post(served.port, { 'content-type': 'application/json' }, '{"hello":"world"}');
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/not a CloudEvent/);
  });

  it('never prints the webhook secret', () => {
    expect(served.stdout() + served.stderr()).not.toContain(token);
  });

  it('is scraped on GET /metrics by a real Prometheus, whose queries count the cycles answered above', async () => {
    // Prepare: the three cycles above answered 200, 200 and 500 (`broken` failed); the 400 ran none.
    const scraper = await startPrometheus({ scrape: [{ job: 'aiops-detector', targets: [`127.0.0.1:${served.port}`] }] });
    const query = async (promql: string): Promise<Map<string, number>> => {
      const body = (await (await fetch(`${scraper.url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      // Keyed by the label values other than the name, in label-name order.
      const key = (metric: Record<string, string>) =>
        Object.keys(metric).filter((name) => name !== '__name__').sort().map((name) => metric[name]).join(',');
      return new Map(body.data.result.map((r) => [key(r.metric), Number(r.value[1])]));
    };

    try {
      // Act: wait for a successful scrape
      const target = `127.0.0.1:${served.port},aiops-detector`;
      await expect.poll(async () => (await query('up{job="aiops-detector"}')).get(target), { timeout: 15_000 }).toBe(1);

      // Assess
      expect(await query('sum by (outcome) (aiops_detector_runs_total{job="aiops-detector"})')).toEqual(
        new Map([['success', 2], ['failure', 1]]),
      );
      expect(await query('sum by (detector) (aiops_detector_detector_runs_total{outcome="failure"})')).toEqual(
        new Map([['broken', 1], ['latency', 0]]),
      );
      expect(await query('sum(aiops_detector_series_scored_total{detector="latency"})')).toEqual(new Map([['', 6]]));
      expect(await query('sum by (result) (aiops_detector_notifications_total)')).toEqual(new Map([['sent', 1], ['failed', 0]]));
      expect(await query('sum(aiops_detector_notifications_pending)')).toEqual(new Map([['', 0]]));
      expect(await query('aiops_detector_run_duration_seconds_count')).toEqual(new Map([[target, 3]]));
      // The prometheus state store's calls: one list per detector that reached delivery, per cycle.
      expect((await query('sum(aiops_detector_state_store_duration_seconds_count{operation="list"})')).get('')).toBeGreaterThanOrEqual(3);
      const age = await query('time() - aiops_detector_last_success_timestamp_seconds');
      expect([...age.values()][0]).toBeGreaterThanOrEqual(0);
      expect([...age.values()][0]).toBeLessThan(120);
    } finally {
      await scraper.stop();
    }
  });
});

describe('serve with a slow Prometheus: no overlap, graceful SIGTERM', () => {
  let fake: FakePrometheus;
  let config: string;

  beforeAll(async () => {
    fake = await startFakePrometheus();
    config = join(dir, 'slow.yaml');
    await writeFile(
      config,
      [
        'prometheus:',
        `  url: ${fake.url}`,
        '  retries: 0',
        '  timeoutMs: 60s',
        'detectors:',
        '  - name: slow',
        '    query: fake_metric',
        'alerts:',
        '  stateStore: memory',
        '  sinks:',
        '    - type: webhook',
        '      url: { env: WEBHOOK_URL }',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await fake?.stop();
  });

  const env = () => ({ CONFIG_FILE: config, WEBHOOK_URL: `${receiver.baseUrl}/hooks/${token}` });

  it('refuses a second event while a cycle runs (429, Retry-After); the first completes', async () => {
    // Prepare
    fake.handle((request) => ({ ...gridReply(request), delayMs: 1_500 }));
    const served = await serve('functions/cli.ts', [], env());

    try {
      // Act
      const first = post(served.port, pingHeaders('slow-1'), '');
      await expect.poll(() => fake.requests.length, { timeout: 10_000 }).toBeGreaterThan(0);
      const second = await post(served.port, pingHeaders('slow-2'), '');

      // Assess
      expect(second.status).toBe(429);
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await first).status).toBe(200);
      expect(fake.requests).toHaveLength(1);
    } finally {
      served.child.kill('SIGTERM');
      await served.exited;
    }
  });

  it('on SIGTERM finishes the running cycle, answers it, and exits 0', async () => {
    // Prepare
    fake.requests.length = 0;
    fake.handle((request) => ({ ...gridReply(request), delayMs: 1_500 }));
    const served = await serve('functions/cli.ts', ['--grace-period', '20'], env());
    const response = post(served.port, pingHeaders('drain-1'), '');
    await expect.poll(() => fake.requests.length, { timeout: 10_000 }).toBe(1);

    // Act
    const signalledAt = Date.now();
    served.child.kill('SIGTERM');

    // Assess
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ ok: true, series: 1 });
    const exit = await served.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.atMs - signalledAt).toBeLessThan(10_000);
    expect(served.stderr()).toContain('"msg":"stopped","cycleAborted":false');
  });

  it('on SIGTERM aborts a cycle that outlasts the grace period, answers 503, and exits 0 within the grace', async () => {
    // Prepare: Prometheus never answers.
    fake.requests.length = 0;
    fake.handle(() => ({ hang: true }));
    const served = await serve('functions/cli.ts', ['--grace-period', '1'], env());
    const response = post(served.port, pingHeaders('cut-1'), '');
    await expect.poll(() => fake.requests.length, { timeout: 10_000 }).toBe(1);

    // Act
    const signalledAt = Date.now();
    served.child.kill('SIGTERM');

    // Assess
    const answered = await response;
    expect(answered.status).toBe(503);
    expect(answered.body).toMatchObject({ ok: false });
    const exit = await served.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.atMs - signalledAt).toBeLessThan(1_000 + 3_000);
    expect(served.stderr()).toContain('"msg":"stopped","cycleAborted":true');
  });
});
