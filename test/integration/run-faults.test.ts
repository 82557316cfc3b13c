/**
 * The run when things go wrong, as a user sees it through `aiops-detector run` (in-process):
 * exit code, the error line on stderr, the summary line, what reached the receiver.
 *
 * Prometheus faults use the real Prometheus (backfilled with promtool) where it can produce the
 * fault itself (a 422 execution error, a 400 parse error) and otherwise a fault-injecting proxy
 * in front of it (test/support/fake-prometheus.ts): 500s, a hang, malformed JSON. Webhook faults
 * use the real local receiver (test/support/webhook-receiver.ts) failing on purpose.
 * Retries and timeouts are set small in the config so the file stays fast.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.js';
import type { WebhookPayload } from '../../lib/sinks/webhook.js';
import { startFakePrometheus, type FakePrometheus, type FakeReply, type RecordedRequest } from '../support/fake-prometheus.js';
import { freePort, startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { latencyHistory } from '../support/latency-history.js';

const spikeEndS = Date.UTC(2025, 0, 15, 12, 0, 0) / 1000;
const at = (minutes: number): string => new Date((spikeEndS + minutes * 60) * 1000).toISOString();
/** Looks like a webhook credential; must never show up in any output or in the state file. */
const token = 'xoxb-SECRET-4f3e2d1c0b9a8f7e6d5c4b3a2918';
const metric = 'app_latency_seconds';

/**
 * `app_latency_seconds{instance="a"}` healthy, `{instance="c"}` spiking in its newest two
 * minutes at `at(0)` (the same shape as run-lifecycle.test.ts; with default settings only "c"
 * fires). `other_latency_seconds{instance="a"}` has the same labels as the first apart from
 * the name, so a query that drops names fails inside Prometheus with a 422.
 */
function history(): SeriesInput[] {
  const series = latencyHistory({
    metric,
    endS: spikeEndS,
    instances: ['a', 'c'],
    spiky: 'c',
    seedBase: 2000,
    level: (index) => 0.2 + 0.1 * index,
    lastMinute: 10,
  });
  return [...series, { labels: { ...series[0]!.labels, __name__: 'other_latency_seconds' }, samples: series[0]!.samples }];
}

let prometheus: RunningPrometheus;
let proxy: FakePrometheus;
let receiver: WebhookReceiver;
let dir: string;

/** Answers like the real Prometheus behind it (status and body as they came). */
async function forward(request: RecordedRequest): Promise<FakeReply> {
  const response = await fetch(`${prometheus.url}${request.path}?${new URLSearchParams(request.params).toString()}`);
  return { status: response.status, body: await response.text() };
}

beforeAll(async () => {
  prometheus = await startPrometheus({ series: history() });
  proxy = await startFakePrometheus();
  receiver = await startWebhookReceiver();
  dir = await mkdtemp(join(tmpdir(), 'aiops-run-faults-'));
});
afterAll(async () => {
  await receiver?.close();
  await proxy?.stop();
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  receiver.reset();
  receiver.setDefault({ status: 200, body: 'ok' });
  proxy.requests.length = 0;
  proxy.handle(forward);
});

interface Detector {
  name: string;
  query: string;
  allowNoSeries?: boolean;
}
const latency: Detector = { name: 'latency', query: metric };

interface ConfigOptions {
  prometheusUrl?: string;
  /** Sink timeout per attempt (default 1000 ms). */
  hookTimeoutMs?: number;
  detectors?: Detector[];
  /** Webhook URL; default the receiver with the token in its path. */
  hookUrl?: string;
  /** Read the webhook URL from this file instead of the env var HOOK_URL. */
  hookFile?: string;
  stateStore?: string;
  prometheusTimeoutMs?: number;
  /** More keys under `prometheus:` (`maxSeries: 5`). */
  prometheusKeys?: string[];
}

let configCount = 0;
/** Writes a config file: small retries and timeouts, one generic webhook sink. */
async function writeConfig(options: ConfigOptions = {}): Promise<{ path: string; env: Record<string, string> }> {
  const detectors = options.detectors ?? [latency];
  const lines = [
    'prometheus:',
    `  url: ${options.prometheusUrl ?? proxy.url}`,
    `  timeoutMs: ${options.prometheusTimeoutMs ?? 2000}`,
    '  retries: 2',
    ...(options.prometheusKeys ?? []).map((line) => `  ${line}`),
    'detectors:',
    ...detectors.flatMap((d) => [
      `  - name: ${d.name}`,
      `    query: '${d.query}'`,
      ...(d.allowNoSeries !== undefined ? [`    allowNoSeries: ${d.allowNoSeries}`] : []),
    ]),
    'alerts:',
    `  stateStore: ${options.stateStore ?? 'memory'}`,
    '  sinks:',
    '    - type: webhook',
    '      name: hook',
    options.hookFile !== undefined ? `      url: { file: ${options.hookFile} }` : '      url: { env: HOOK_URL }',
    `      timeoutMs: ${options.hookTimeoutMs ?? 1000}`,
    '      retries: 2',
    // Each config its own detector state: the proxy answers each test with another fleet.
    'state:',
    `  store: memory`,
    '',
  ];
  const path = join(dir, `config-${++configCount}.yaml`);
  await writeFile(path, lines.join('\n'));
  return { path, env: { HOOK_URL: options.hookUrl ?? `${receiver.baseUrl}/hooks/${token}` } };
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  results: Record<string, unknown>[];
  diagnostics: Record<string, unknown>[];
  summary: Record<string, unknown> | undefined;
  /** The error lines of failed detectors, by detector name. */
  detectorErrors: Map<string, string>;
}

/** Runs `aiops-detector <argv>` in-process; checks that no output carries the token. */
async function cli(argv: string[], env: Record<string, string>): Promise<CliResult> {
  const { code, stdout, stderr } = await runCli(argv, { cwd: dir, env });
  expect(stdout).not.toContain(token);
  expect(stderr).not.toContain(token);
  const results = jsonLines(stdout);
  const diagnostics = jsonLines(stderr);
  const detectorErrors = new Map(
    diagnostics.filter((d) => d.msg === 'detector failed').map((d) => [d.detector as string, d.error as string]),
  );
  return { code, stdout, stderr, results, diagnostics, summary: results.find((r) => r.summary === true), detectorErrors };
}

async function runWith(options: ConfigOptions, extra: string[] = [], now = at(0)): Promise<CliResult> {
  const config = await writeConfig(options);
  return cli(['run', '--config', config.path, '--now', now, ...extra], config.env);
}

function firingLabels(): Record<string, string>[] {
  return receiver
    .accepted()
    .flatMap((r) => (JSON.parse(r.body) as WebhookPayload).notifications)
    .map((n) => n.labels);
}

describe('Prometheus faults', () => {
  it('Prometheus down (connection refused): one clear error line, exit 1, nothing sent', async () => {
    const closedPort = await freePort();

    const result = await runWith({ prometheusUrl: `http://127.0.0.1:${closedPort}` });

    expect(result.code).toBe(1);
    expect(result.detectorErrors.get('latency')).toMatch(/connection refused/);
    expect(result.detectorErrors.get('latency')).toContain(`127.0.0.1:${closedPort}`);
    expect(result.detectorErrors.get('latency')).toMatch(/after 3 attempts/);
    expect(result.summary).toMatchObject({ ok: false, detectors: 1, series: 0, failures: 1, alerts_sent: 0 });
    expect(receiver.requests).toHaveLength(0);
  });

  it('a 500 is retried and the run then succeeds and delivers', async () => {
    proxy.handle((request, index) => (index === 0 ? { status: 500, body: 'internal error' } : forward(request)));

    const result = await runWith({});

    expect(result.code).toBe(0);
    expect(proxy.requests).toHaveLength(2);
    expect(result.diagnostics.some((d) => d.msg === 'prometheus request retried' && d.reason === 'HTTP 500')).toBe(true);
    expect(result.summary).toMatchObject({ ok: true, failures: 0, alerts_sent: 1 });
    expect(firingLabels()).toEqual([{ __name__: metric, job: 'api', instance: 'c' }]);
  });

  it('a detector whose queries always get 500 fails with one error line; the other detectors still deliver', async () => {
    proxy.handle((request) =>
      request.params.query === 'broken_metric' ? { status: 500, body: 'internal error' } : forward(request),
    );

    const result = await runWith({ detectors: [{ name: 'broken', query: 'broken_metric' }, latency] });

    expect(result.code).toBe(1);
    expect(proxy.requests.filter((r) => r.params.query === 'broken_metric')).toHaveLength(3); // 1 + 2 retries
    const error = result.detectorErrors.get('broken');
    expect(error).toContain('query "broken_metric"');
    expect(error).toMatch(/HTTP 500 after 3 attempts/);
    expect(result.detectorErrors.has('latency')).toBe(false);
    expect(result.results.filter((r) => r.detector === 'latency' && r.summary !== true)).toHaveLength(2);
    expect(result.summary).toMatchObject({ ok: false, detectors: 2, series: 2, failures: 1, alerts_sent: 1 });
    expect(firingLabels()).toEqual([{ __name__: metric, job: 'api', instance: 'c' }]);
  });

  it('a Prometheus slower than timeoutMs fails the detector with a timeout after its retries', async () => {
    proxy.handle((request) => (request.params.query === 'slow_metric' ? { hang: true } : forward(request)));
    const started = performance.now();

    const result = await runWith({ detectors: [{ name: 'slow', query: 'slow_metric' }, latency], prometheusTimeoutMs: 300 });

    expect(result.code).toBe(1);
    expect(result.detectorErrors.get('slow')).toMatch(/timed out after 3 attempts/);
    expect(proxy.requests.filter((r) => r.params.query === 'slow_metric')).toHaveLength(3);
    // Three attempts of 300 ms plus two short backoffs, not an endless wait.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.summary).toMatchObject({ failures: 1, alerts_sent: 1 });
  });

  it('malformed JSON from Prometheus fails the detector, not retried', async () => {
    proxy.handle(() => ({ status: 200, body: '{"status":"success","data":{"resultType":"matr' }));

    const result = await runWith({});

    expect(result.code).toBe(1);
    expect(result.detectorErrors.get('latency')).toMatch(/not JSON/);
    expect(proxy.requests).toHaveLength(1);
    expect(result.summary).toMatchObject({ ok: false, failures: 1, series: 0 });
  });

  it("surfaces Prometheus' own error text for a 422 (execution) and a 400 (parse error), without retrying", async () => {
    const sameLabelset = `abs({__name__=~"${metric}|other_latency_seconds", instance="a"})`;

    const result = await runWith({
      detectors: [{ name: 'clash', query: sameLabelset }, { name: 'typo', query: 'sum(' }, latency],
    });

    expect(result.code).toBe(1);
    expect(result.detectorErrors.get('clash')).toContain(
      'execution: vector cannot contain metrics with the same labelset (HTTP 422)',
    );
    expect(result.detectorErrors.get('typo')).toMatch(/bad_data: .*parse error.* \(HTTP 400\)/);
    expect(proxy.requests.filter((r) => r.params.query !== metric)).toHaveLength(2); // one each: 4xx is final
    expect(result.summary).toMatchObject({ ok: false, detectors: 3, failures: 2, alerts_sent: 1 });
  });
});

describe('answers over the limits', () => {
  /**
   * `count` series of `fleet_metric`, one-minute samples over the 60 minutes up to at(0): about
   * 2.4 KB a series for the whole hour, 80 bytes for one point. Like Prometheus, it answers the
   * requested range: the samples inside it, and no series when none is.
   */
  function fleetAnswer(count: number, request: RecordedRequest): FakeReply {
    const startS = Math.max(Number(request.params.start), spikeEndS - 59 * 60);
    const endS = Math.min(Number(request.params.end), spikeEndS);
    const values: [number, string][] = [];
    for (let t = startS; t <= endS; t += 60) values.push([t, String(1 + (((t - spikeEndS) / 60 + 59) % 7) / 10)]);
    const result =
      values.length === 0 ? [] : Array.from({ length: count }, (_, i) => ({ metric: { __name__: 'fleet_metric', host: `host-${i}` }, values }));
    // Sent in pieces, so the proxy sees whether the client hung up before the end.
    return { body: { status: 'success', data: { resultType: 'matrix', result } }, pieceBytes: 16_384, pieceDelayMs: 1 };
  }
  const split = 'prometheus answer over maxResponseBytes; reading the range in two halves';
  const fleet: Detector = { name: 'fleet', query: 'fleet_metric' };

  it('more series than maxSeries: that detector fails with the limit and its key; the others still deliver', async () => {
    proxy.handle((request) => (request.params.query === fleet.query ? fleetAnswer(2_000, request) : forward(request)));

    const result = await runWith({ detectors: [fleet, latency], prometheusKeys: ['maxSeries: 100'] });

    expect(result.code).toBe(1);
    expect(result.detectorErrors.get('fleet')).toBe(
      `prometheus ${proxy.url} query "fleet_metric": the answer has more than 100 series (limit prometheus.maxSeries); narrow or aggregate the query, or raise the limit`,
    );
    expect(result.detectorErrors.has('latency')).toBe(false);
    expect(result.results.filter((r) => r.detector === 'latency' && r.summary !== true)).toHaveLength(2);
    expect(result.summary).toMatchObject({ ok: false, detectors: 2, series: 2, failures: 1, alerts_sent: 1 });
    expect(firingLabels()).toEqual([{ __name__: metric, job: 'api', instance: 'c' }]);
    // Not retried (the next attempt would get the same answer), and the transfer was cut short.
    const fleetRequests = proxy.requests.filter((r) => r.params.query === fleet.query);
    expect(fleetRequests).toHaveLength(1);
    await fleetRequests[0]!.reply.done;
    expect(fleetRequests[0]!.reply.closedEarly).toBe(true);
  });

  it('an answer larger than maxResponseBytes even for one point: that detector fails with the limit and its key; the others still deliver', async () => {
    // 2,000 series: 4.8 MB for the hour, 160 KB for a single point; 100 KB allowed
    proxy.handle((request) => (request.params.query === fleet.query ? fleetAnswer(2_000, request) : forward(request)));

    const result = await runWith({ detectors: [fleet, latency], prometheusKeys: ['maxResponseBytes: 100000'] });

    expect(result.code).toBe(1);
    expect(result.detectorErrors.get('fleet')).toBe(
      `prometheus ${proxy.url} query "fleet_metric": the answer is larger than 100000 bytes (limit prometheus.maxResponseBytes); narrow or aggregate the query, or raise the limit`,
    );
    expect(result.detectorErrors.has('latency')).toBe(false);
    expect(result.summary).toMatchObject({ ok: false, detectors: 2, series: 2, failures: 1, alerts_sent: 1 });
    // The window was halved (one warn line each time) down to a single point, which failed;
    // each answer over the limit was cut short.
    const fleetRequests = proxy.requests.filter((r) => r.params.query === fleet.query);
    const splits = result.diagnostics.filter((d) => d.msg === split);
    expect(splits.length).toBeGreaterThan(1);
    expect(splits.every((d) => d.level === 'warn' && d.query === fleet.query)).toBe(true);
    // Each split asks for two halves, but the second is never asked for once the first failed
    expect(fleetRequests.length).toBeGreaterThan(splits.length);
    expect(fleetRequests.length).toBeLessThanOrEqual(1 + 2 * splits.length);
    const last = fleetRequests.at(-1)!;
    expect(last.params.start).toBe(last.params.end);
    await fleetRequests[0]!.reply.done;
    expect(fleetRequests[0]!.reply.closedEarly).toBe(true);
    expect(fleetRequests[0]!.reply.bytesWritten).toBeLessThan(fleetRequests[0]!.reply.bodyBytes / 2);
  });

  it('an answer larger than maxResponseBytes that halves of its range fit: read in pieces and scored', async () => {
    // 200 series: 480 KB for the hour, 100 KB allowed
    proxy.handle((request) => (request.params.query === fleet.query ? fleetAnswer(200, request) : forward(request)));

    const result = await runWith({ detectors: [fleet, latency], prometheusKeys: ['maxResponseBytes: 100000'] });

    expect(result.code).toBe(0);
    expect(result.detectorErrors.size).toBe(0);
    expect(result.diagnostics.filter((d) => d.msg === split).length).toBeGreaterThan(1);
    const fleetResults = result.results.filter((r) => r.detector === 'fleet' && r.summary !== true);
    expect(fleetResults).toHaveLength(200);
    expect(fleetResults.every((r) => r.points === 60)).toBe(true);
    expect(result.summary).toMatchObject({ ok: true, detectors: 2, series: 202, failures: 0, alerts_sent: 1 });
  });

  it('within the limits, the same answer is scored', async () => {
    proxy.handle((request) => (request.params.query === fleet.query ? fleetAnswer(50, request) : forward(request)));

    const result = await runWith({ detectors: [fleet], prometheusKeys: ['maxSeries: 50'] });

    expect(result.detectorErrors.size).toBe(0);
    expect(result.results.filter((r) => r.detector === 'fleet' && r.summary !== true)).toHaveLength(50);
  });
});

describe('a query that returns no series (issue 15, defect 3)', () => {
  it('says so on stderr, naming the detector and the query, and fails the detector (exit 1); the others still deliver', async () => {
    const result = await runWith({ detectors: [{ name: 'typo', query: 'app_latncy_seconds' }, latency] });

    expect(result.code).toBe(1);
    const errors = result.diagnostics.filter((d) => d.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ msg: 'query returned no series', detector: 'typo', query: 'app_latncy_seconds' })]);
    expect(result.summary).toMatchObject({ ok: false, detectors: 2, series: 2, failures: 1, alerts_sent: 1 });
    expect(firingLabels()).toEqual([{ __name__: metric, job: 'api', instance: 'c' }]);
  });

  it('passes with allowNoSeries: true: exit 0, no warning or error', async () => {
    const result = await runWith({ detectors: [{ name: 'rare', query: 'app_latency_seconds{instance="zz"}', allowNoSeries: true }] });

    expect(result.code).toBe(0);
    expect(result.diagnostics.filter((d) => d.level === 'error' || d.level === 'warn')).toEqual([]);
    expect(result.summary).toMatchObject({ ok: true, detectors: 1, series: 0, failures: 0 });
  });
});

describe('webhook faults', () => {
  it('500 then 200: delivered exactly once, exit 0', async () => {
    receiver.enqueue({ status: 500, body: 'oops' });

    const result = await runWith({});

    expect(result.code).toBe(0);
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 200]);
    expect(firingLabels()).toEqual([{ __name__: metric, job: 'api', instance: 'c' }]);
    expect(result.summary).toMatchObject({ ok: true, alerts_sent: 1, failures: 0, pending: 0 });
  });

  it('429 with Retry-After: waits as told, then delivers once', async () => {
    receiver.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: 'slow down' });

    const result = await runWith({});

    expect(result.code).toBe(0);
    expect(receiver.requests.map((r) => r.status)).toEqual([429, 200]);
    const waitedMs = receiver.requests[1]!.receivedAtMs - receiver.requests[0]!.receivedAtMs;
    expect(waitedMs).toBeGreaterThanOrEqual(950);
    expect(result.summary).toMatchObject({ ok: true, alerts_sent: 1 });
  });

  it('400 is not retried, is reported, and the run exits 1', async () => {
    receiver.setDefault({ status: 400, body: 'invalid_payload' });

    const result = await runWith({});

    expect(result.code).toBe(1);
    expect(receiver.requests).toHaveLength(1);
    const failure = result.diagnostics.find((d) => d.msg === 'delivery failed; kept pending for the next run');
    expect(failure).toMatchObject({ sink: 'hook', retryable: false, series: { instance: 'c' } });
    expect(failure!.reason).toMatch(/HTTP 400: invalid_payload/);
    expect(result.summary).toMatchObject({ ok: false, alerts_sent: 0, failures: 1 });
  });

  it('a webhook URL from a file that is not a URL fails with a clear, secret-free reason and stays pending', async () => {
    const hookFile = join(dir, 'hook-url-not-a-url');
    await writeFile(hookFile, `hooks.example.com/services/${token}\n`);

    const result = await runWith({ hookFile });

    expect(result.code).toBe(1);
    const failure = result.diagnostics.find((d) => d.msg === 'delivery failed; kept pending for the next run');
    expect(failure).toMatchObject({ sink: 'hook', retryable: true, series: { instance: 'c' } });
    expect(failure!.reason).toBe(`sink hook: the webhook URL from file ${hookFile} is not an http:// or https:// URL`);
    expect(result.stderr).not.toMatch(/TypeError/);
    expect(result.summary).toMatchObject({ ok: false, alerts_sent: 0, failures: 1, pending: 1 });
    expect(receiver.requests).toHaveLength(0);
  });

  it('connection refused: the notification stays pending in the state file and goes out once on the next run', async () => {
    const port = await freePort();
    const statePath = join(dir, 'refused-state.json');
    const options: ConfigOptions = { hookUrl: `http://127.0.0.1:${port}/hooks/${token}`, stateStore: `file:${statePath}` };

    const first = await runWith(options);

    expect(first.code).toBe(1);
    expect(first.summary).toMatchObject({ ok: false, alerts_sent: 0, pending: 1, failures: 1 });
    const failure = first.diagnostics.find((d) => d.msg === 'delivery failed; kept pending for the next run');
    expect(failure).toMatchObject({ retryable: true });
    expect(await readFile(statePath, 'utf8')).not.toContain(token);

    // The receiver comes up on that port before the next scheduled run.
    const late = await startWebhookReceiver({ port });
    try {
      const second = await runWith(options, [], at(1));
      expect(second.code).toBe(0);
      expect(second.summary).toMatchObject({ ok: true, alerts_sent: 1, pending: 0 });
      expect(late.requests).toHaveLength(1);
      const [notification] = (JSON.parse(late.requests[0]!.body) as WebhookPayload).notifications;
      expect(notification).toMatchObject({ kind: 'firing', at: at(0), labels: { instance: 'c' } });

      // Another run: the firing notification is not sent again.
      const third = await runWith(options, [], at(1));
      expect(third.summary).toMatchObject({ failures: 0, pending: 0 });
      const firings = late.requests
        .flatMap((r) => (JSON.parse(r.body) as WebhookPayload).notifications)
        .filter((n) => n.kind === 'firing');
      expect(firings).toHaveLength(1);
    } finally {
      await late.close();
    }
  });
});

describe('configuration and flags', () => {
  it('a config with errors exits 2 and lists every problem by path, contacting nothing', async () => {
    const path = join(dir, 'broken.yaml');
    await writeFile(
      path,
      [
        'prometheus:',
        `  url: ${proxy.url}`,
        'detectors:',
        '  - name: latency',
        `    query: ${metric}`,
        '    windowMinutes: -5',
        '  - name: errors',
        '    query: up',
        '    contamination: 0.9',
        '    treees: 50',
        'alerts:',
        '  sinks:',
        '    - type: pagerduty',
        '      url: { env: HOOK_URL }',
        '',
      ].join('\n'),
    );

    const result = await cli(['run', '--config', path], { HOOK_URL: `${receiver.baseUrl}/hooks/${token}` });

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const problems = result.stderr.split('\n').filter((l) => l.trimStart().startsWith('- '));
    expect(problems.map((l) => l.trim().slice(2).split(':')[0]).sort()).toEqual([
      'alerts.sinks[0].type',
      'detectors[0].windowMinutes',
      'detectors[1].contamination',
      'detectors[1].treees',
    ]);
    expect(proxy.requests).toHaveLength(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('ALERT_WEBHOOK that is not a URL: exit 2 naming the variable, never its value, contacting nothing', async () => {
    const env = {
      PROMETHEUS_URL: proxy.url,
      PROM_QUERY: metric,
      ALERT_WEBHOOK: `hooks.slack.com/services/${token}`,
      STATE_STORE: 'memory',
    };

    const result = await cli(['run', '--now', at(0)], env);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('ALERT_WEBHOOK: must be an http:// or https:// URL');
    expect(result.stderr).not.toContain('hooks.slack.com');
    expect(proxy.requests).toHaveLength(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('--dry-run sends nothing and leaves the state file as it was', async () => {
    const statePath = join(dir, 'dry-state.json');
    const options: ConfigOptions = { stateStore: `file:${statePath}` };

    // A dry run where a real run would fire: the verdict is shown, nothing is sent or stored.
    const dry = await runWith(options, ['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.summary).toMatchObject({ dry_run: true, alerts_sent: 0, anomalies: 1 });
    expect(dry.results.find((r) => (r.series as Record<string, string> | undefined)?.instance === 'c')?.alert).toBe('firing');
    expect(receiver.requests).toHaveLength(0);
    await expect(stat(statePath)).rejects.toThrow(/ENOENT/);

    // A real run stores the firing alert; a dry run two minutes later (which would count a
    // normal evaluation) leaves the file byte for byte and time stamp as it was.
    const real = await runWith(options);
    expect(real.summary).toMatchObject({ alerts_sent: 1 });
    const before = await readFile(statePath, 'utf8');
    const beforeStat = await stat(statePath);

    const dryLater = await runWith(options, ['--dry-run'], at(2));
    expect(dryLater.code).toBe(0);
    expect(await readFile(statePath, 'utf8')).toBe(before);
    expect((await stat(statePath)).mtimeMs).toBe(beforeStat.mtimeMs);
    expect(receiver.requests).toHaveLength(1);
  });

  it('--detector runs only the named detector; an unknown name is a failure (exit 1)', async () => {
    const detectors = [{ name: 'other', query: 'other_latency_seconds' }, latency];

    const only = await runWith({ detectors }, ['--detector', 'other']);
    expect(only.code).toBe(0);
    expect(only.summary).toMatchObject({ detectors: 1, series: 1, alerts_sent: 0 });
    expect(proxy.requests.map((r) => r.params.query)).toEqual(['other_latency_seconds']);

    const unknown = await runWith({ detectors }, ['--detector', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.diagnostics.some((d) => d.msg === 'unknown detector requested' && d.detector === 'nope')).toBe(true);
  });
});

describe('leases are wall-clock time, and pending left to another run is not ok (issue 15, defect 6)', () => {
  /** Minute 0 of a history that ends two days before now (the wall clock), whole minutes. */
  const twoDaysAgoS = Math.floor(Date.now() / 60_000) * 60 - 2 * 86_400;
  const replayAt = new Date(twoDaysAgoS * 1000).toISOString();
  let past: RunningPrometheus;

  beforeAll(async () => {
    const series = latencyHistory({ metric, endS: twoDaysAgoS, instances: ['a', 'c'], spiky: 'c', seedBase: 2000, level: (i) => 0.2 + 0.1 * i, lastMinute: 0 });
    past = await startPrometheus({ series });
  });
  afterAll(async () => {
    await past?.stop();
  });

  /** The live run finds no series in its window (the history ended two days ago): that is allowed here. */
  const detectors = [{ ...latency, allowNoSeries: true }];

  it('a replay with --now two days ago still protects the series it claimed from a concurrent run', async () => {
    const statePath = join(dir, 'replay-lease-state.json');
    const config = await writeConfig({ prometheusUrl: past.url, detectors, stateStore: `file:${statePath}`, hookTimeoutMs: 1500 });
    // The replay's delivery hangs (every attempt): it holds its claim while the live run goes.
    receiver.enqueue({ hang: true }, { hang: true }, { hang: true });

    const replay = cli(['run', '--config', config.path, '--now', replayAt], config.env);
    await expect.poll(() => receiver.requests.length, { timeout: 10_000 }).toBe(1);
    const live = await cli(['run', '--config', config.path], config.env);
    const replayed = await replay;

    // The live run left the replay's notification alone, and says it is pending: not ok.
    expect(receiver.requests).toHaveLength(3); // the replay's attempts only
    expect(live.summary).toMatchObject({ ok: false, alerts_sent: 0, failures: 0, pending: 1 });
    expect(live.code).toBe(1);
    expect(live.diagnostics.find((d) => d.msg === 'deliveries left pending: another run holds their lease')).toMatchObject({
      level: 'warn',
      detector: 'latency',
      series: { instance: 'c' },
      pending: 1,
    });
    // The replay timed out delivering: still pending for the next run.
    expect(replayed.code).toBe(1);
    expect(replayed.summary).toMatchObject({ ok: false, alerts_sent: 0, failures: 1, pending: 1 });
  });

  it('a notification leased by a run that died: the next run exits 1, its summary counting it pending', async () => {
    const statePath = join(dir, 'stale-lease-state.json');
    const port = await freePort();
    const options: ConfigOptions = { prometheusUrl: past.url, detectors, stateStore: `file:${statePath}`, hookUrl: `http://127.0.0.1:${port}/hooks/${token}` };
    // A replay whose receiver is down leaves the firing notification pending...
    const first = await runWith(options, [], replayAt);
    expect(first.summary).toMatchObject({ pending: 1, failures: 1 });
    // ...and a run that claimed it then died leaves it under a lease (5 minutes from now).
    const file = JSON.parse(await readFile(statePath, 'utf8')) as { detectors: Record<string, Record<string, Record<string, unknown>>> };
    for (const state of Object.values(file.detectors.latency!)) state.leaseUntilMs = Date.now() + 5 * 60_000;
    await writeFile(statePath, JSON.stringify(file));
    const late = await startWebhookReceiver({ port });
    try {
      // The next scheduled run, at the wall clock, within the dead run's lease.
      const next = await runWith(options, [], new Date().toISOString());

      expect(next.code).toBe(1);
      expect(next.summary).toMatchObject({ ok: false, alerts_sent: 0, failures: 0, pending: 1 });
      expect(late.requests).toHaveLength(0);
    } finally {
      await late.close();
    }
  });
});

