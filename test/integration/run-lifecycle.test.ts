/**
 * The detection run end to end, as a user runs it: `aiops-detector run` (in-process, with
 * captured output) against a real Prometheus whose history was backfilled with promtool, and a
 * real local webhook receiver. Four latency series; `instance="c"` spikes in its newest two
 * points. Every detector setting is the default (lib/config/schema.ts `configDefaults`): the
 * data is what makes the spike fire and the others stay quiet.
 *
 * Lifecycle checked: one firing notification, nothing new on the next runs while it stays
 * anomalous, one resolved notification after `resolveAfter` (2) normal evaluations, with a
 * file state store in a temp dir that persists across runs (separate CLI invocations).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonLines, runCli } from '../support/cli.js';
import type { WebhookPayload } from '../../lib/sinks/webhook.js';
import { startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { latencyHistory } from '../support/latency-history.js';
import { defaultDetector } from '../../lib/config/defaults.js';
import { envDetectorName } from '../../lib/config/env-config.js';
import { windowPoints } from '../../lib/detect/window.js';

/** Newest point of the spike (a whole minute, so step-aligned). */
const spikeEndS = Date.UTC(2025, 0, 15, 12, 0, 0) / 1000;
const minuteS = 60;
const at = (minutes: number): string => new Date((spikeEndS + minutes * minuteS) * 1000).toISOString();
/** Looks like a Slack/Teams webhook credential; must never show up in any output. */
const token = 'T0KEN-9f8e7d6c5b4a39281716a5b4c3d2e1f0';
const metric = 'app_latency_seconds';
const instances = ['a', 'b', 'c', 'd'] as const;
const spiky = 'c';
/** The documented result line (DESIGN.md "Log line"): exactly these keys. */
const resultKeys = ['alert', 'detector', 'has_anomaly', 'last', 'num_anomalies', 'points', 'score', 'series', 'threshold'];

/**
 * Two hours of history before the spike and ten normal minutes after it, one sample a minute.
 * Healthy series: ±5 % noise, calmer (±0.5 %) in the minutes the test evaluates, so their
 * newest points are typical values. The spiky series: the same, plus 4x then 10x its level in
 * the two newest minutes of the first evaluation, then back to normal.
 */
function history(): SeriesInput[] {
  return latencyHistory({
    metric,
    endS: spikeEndS,
    instances,
    spiky,
    seedBase: 1000,
    level: (index) => 0.2 + 0.05 * index,
    lastMinute: 10,
  });
}

const data = history();
const valueAt = (instance: string, minutes: number): number =>
  data.find((s) => s.labels.instance === instance)!.samples.find(([t]) => t === spikeEndS + minutes * minuteS)![1];

interface CliResult {
  code: number;
  /** Every stdout line parsed (result lines and the summary). */
  results: Record<string, unknown>[];
  diagnostics: Record<string, unknown>[];
  summary: Record<string, unknown>;
  /** Result lines of `instance` (one per run). */
  line(instance: string): Record<string, unknown>;
}

let prometheus: RunningPrometheus;
let receiver: WebhookReceiver;
let dir: string;

beforeAll(async () => {
  prometheus = await startPrometheus({ series: data });
  receiver = await startWebhookReceiver();
  dir = await mkdtemp(join(tmpdir(), 'aiops-run-lifecycle-'));
});
afterAll(async () => {
  await receiver?.close();
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => receiver.reset());

/** Runs `aiops-detector <argv>` in-process; checks no output line carries the token. */
async function cli(argv: string[], env: Record<string, string>): Promise<CliResult> {
  const { code, stdout, stderr } = await runCli(argv, { cwd: dir, env });
  expect(stdout + stderr).not.toContain(token);
  const results = jsonLines(stdout, { strict: true });
  const summaries = results.filter((r) => r.summary === true);
  expect(summaries, `one summary line, last:\n${stdout}\n${stderr}`).toHaveLength(1);
  expect(results.at(-1)).toBe(summaries[0]);
  return {
    code,
    results,
    diagnostics: jsonLines(stderr, { strict: true }),
    summary: summaries[0]!,
    line: (instance) => {
      const lines = results.filter((r) => (r.series as Record<string, string> | undefined)?.instance === instance);
      expect(lines, `one line for instance ${instance}`).toHaveLength(1);
      return lines[0]!;
    },
  };
}

function payloads(): WebhookPayload[] {
  return receiver.requests.map((r) => JSON.parse(r.body) as WebhookPayload);
}

describe('aiops-detector run against a real Prometheus, generic webhook, file state store', () => {
  const statePath = (): string => join(dir, 'generic-state.json');
  const configPath = (): string => join(dir, 'generic.yaml');
  const env = (): Record<string, string> => ({ HOOK_URL: `${receiver.baseUrl}/hooks/${token}` });

  beforeAll(async () => {
    // Only name and query: every detector and alert setting is the default.
    await writeFile(
      configPath(),
      [
        'prometheus:',
        `  url: ${prometheus.url}`,
        'detectors:',
        '  - name: latency',
        `    query: ${metric}`,
        'alerts:',
        '  stateStore:',
        '    type: file',
        `    path: ${statePath()}`,
        '  sinks:',
        '    - type: webhook',
        '      url: { env: HOOK_URL }',
        '',
      ].join('\n'),
    );
  });

  const run = (minutes: number) => cli(['run', '--config', configPath(), '--now', at(minutes)], env());

  it('fires once for the spiking series, sends nothing new on the next run, and resolves once after two normal runs', async () => {
    // Run 1: the window ends on the spike.
    const first = await run(0);

    expect(first.code).toBe(0);
    const perSeries = first.results.filter((r) => r.summary !== true);
    expect(perSeries).toHaveLength(instances.length);
    for (const line of perSeries) {
      expect(Object.keys(line).sort()).toEqual(resultKeys);
      const instance = (line.series as Record<string, string>).instance!;
      expect(line).toMatchObject({
        detector: 'latency',
        series: { __name__: metric, job: 'api', instance },
        // The default window, or the 121 points (2 hours at 60 s, both ends) Prometheus holds.
        points: Math.min(windowPoints(defaultDetector()), 121),
        last: valueAt(instance, 0),
        alert: instance === spiky ? 'firing' : 'none',
      });
      expect(typeof line.has_anomaly).toBe('boolean');
      expect(line.num_anomalies).toBeGreaterThanOrEqual(0);
      if (instance === spiky) expect(line.score as number).toBeGreaterThanOrEqual(line.threshold as number);
      else expect(line.score as number).toBeLessThan(line.threshold as number);
    }
    expect(first.summary).toMatchObject({
      summary: true,
      ok: true,
      dry_run: false,
      detectors: 1,
      series: 4,
      anomalies: 1,
      alerts_sent: 1,
      failures: 0,
      pending: 0,
    });
    expect(first.summary.duration_ms).toBeGreaterThan(0);
    expect(Object.keys(first.summary.timings_ms as object).sort()).toEqual(['deliver', 'query', 'score']);

    expect(receiver.requests).toHaveLength(1);
    const [firing] = payloads();
    expect(firing!.notifications).toHaveLength(1);
    expect(firing!.notifications[0]).toMatchObject({
      kind: 'firing',
      status: 'firing',
      detector: 'latency',
      labels: { __name__: metric, job: 'api', instance: spiky },
      value: valueAt(spiky, 0),
      startsAt: at(0),
      at: at(0),
      endsAt: null,
      query: metric,
    });
    expect(firing!.notifications[0]!.generatorUrl).toContain(`${prometheus.url}/graph?g0.expr=${metric}`);

    // Run 2, same time (a retried schedule): nothing new.
    const again = await run(0);
    expect(again.code).toBe(0);
    expect(again.line(spiky).alert).toBe('none');
    expect(again.summary).toMatchObject({ alerts_sent: 0, anomalies: 1 });

    // Runs 3 and 4: windows whose newest points are all normal again (the score averages the
    // newest 3 points, so the spike at minute 0 still counts at minutes 1 and 2): minutes 3 and 4.
    // The first normal evaluation keeps the alert; the second (resolveAfter: 2) resolves it.
    const normal1 = await run(3);
    expect(normal1.code).toBe(0);
    expect(normal1.line(spiky).score as number).toBeLessThan(normal1.line(spiky).threshold as number);
    expect(normal1.line(spiky).alert).toBe('none');
    expect(receiver.requests).toHaveLength(1);

    const normal2 = await run(4);
    expect(normal2.code).toBe(0);
    expect(normal2.line(spiky).score as number).toBeLessThan(normal2.line(spiky).threshold as number);
    expect(normal2.line(spiky).alert).toBe('resolved');
    for (const instance of instances.filter((i) => i !== spiky)) expect(normal2.line(instance).alert).toBe('none');
    expect(normal2.summary).toMatchObject({ ok: true, anomalies: 0, alerts_sent: 1 });

    expect(receiver.requests).toHaveLength(2);
    const resolved = payloads()[1]!;
    expect(resolved.notifications).toHaveLength(1);
    expect(resolved.notifications[0]).toMatchObject({
      kind: 'resolved',
      status: 'resolved',
      labels: { __name__: metric, job: 'api', instance: spiky },
      startsAt: at(0),
      endsAt: at(4),
    });

    // Run 5: back to nothing at all.
    const after = await run(5);
    expect(after.code).toBe(0);
    expect(after.results.filter((r) => r.summary !== true).map((r) => r.alert)).toEqual(['none', 'none', 'none', 'none']);
    expect(receiver.requests).toHaveLength(2);
  });
});

describe('aiops-detector run configured by the seed environment variables only, Slack format', () => {
  it('posts one Block Kit message naming the spiking series, and nothing on the next run', async () => {
    const env = {
      PROMETHEUS_URL: prometheus.url,
      PROM_QUERY: metric,
      ALERT_WEBHOOK: `${receiver.baseUrl}/services/${token}`,
      WEBHOOK_FORMAT: 'slack',
      STATE_STORE: `file:${join(dir, 'slack-state.json')}`,
    };

    const first = await cli(['run', '--now', at(0)], env);

    expect(first.code).toBe(0);
    // The detector the environment makes is named after its query (issue 15, defect 1).
    expect(first.line(spiky)).toMatchObject({ detector: envDetectorName(metric), alert: 'firing' });
    for (const instance of instances.filter((i) => i !== spiky)) expect(first.line(instance).alert).toBe('none');
    expect(receiver.requests).toHaveLength(1);
    const message = JSON.parse(receiver.requests[0]!.body) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(message.text).toContain('1 firing');
    const sections = message.blocks.filter((b) => b.type === 'section').map((b) => b.text!.text);
    expect(sections).toHaveLength(1);
    expect(sections[0]).toContain(`instance="${spiky}"`);
    expect(sections[0]).toContain('job="api"');
    for (const other of instances.filter((i) => i !== spiky)) expect(receiver.requests[0]!.body).not.toContain(`instance=\\"${other}\\"`);

    const second = await cli(['run', '--now', at(0)], env);
    expect(second.code).toBe(0);
    expect(second.summary).toMatchObject({ alerts_sent: 0 });
    expect(receiver.requests).toHaveLength(1);
  });
});

describe('two seed-style configs on one host, without STATE_STORE (issue 15, defect 1)', () => {
  // Without STATE_STORE both use the default state file under the OS temp dir: here the test's
  // own temp dir, as TMPDIR points there.
  beforeEach(() => {
    vi.stubEnv('TMPDIR', join(dir, 'tmp-two-configs'));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const env = (query: string): Record<string, string> => ({
    PROMETHEUS_URL: prometheus.url,
    PROM_QUERY: query,
    ALERT_WEBHOOK: `${receiver.baseUrl}/hooks/${token}`,
  });

  it('do not resolve each other\'s alerts: the second query never sends a resolved for the first one\'s series', async () => {
    const queryC = `${metric}{instance="${spiky}"}`;
    const queryA = `${metric}{instance="a"}`;

    const fires = await cli(['run', '--now', at(0)], env(queryC));
    expect(fires.code).toBe(0);
    expect(fires.line(spiky).alert).toBe('firing');

    // A few minutes on, the other query's detector runs twice (resolveAfter: 2) on the same host.
    const other1 = await cli(['run', '--now', at(3)], env(queryA));
    const other2 = await cli(['run', '--now', at(4)], env(queryA));

    for (const run of [other1, other2]) {
      expect(run.code).toBe(0);
      expect(run.results.filter((r) => r.summary !== true).map((r) => [(r.series as Record<string, string>).instance, r.alert])).toEqual([
        ['a', 'none'],
      ]);
      expect(run.summary).toMatchObject({ alerts_sent: 0 });
    }
    const kinds = payloads().flatMap((p) => p.notifications.map((n) => `${n.kind} ${n.labels.instance}`));
    expect(kinds).toEqual([`firing ${spiky}`]);
    // Each query makes its own detector, named after it.
    const detectorC = fires.line(spiky).detector as string;
    const detectorA = other1.line('a').detector as string;
    expect(detectorC).toMatch(/^default-[0-9a-f]{8}$/);
    expect(detectorA).toMatch(/^default-[0-9a-f]{8}$/);
    expect(detectorA).not.toBe(detectorC);
  });
});
