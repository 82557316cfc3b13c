/**
 * No-data alerts (`notifyAbsent: true`) end to end, as a user runs them: `aiops-detector run`
 * (in-process) with a file state store, a real webhook receiver, and a real Prometheus
 * (history backfilled with promtool) behind a proxy (test/support/fake-prometheus.ts) that can
 * drop a series from the answers or answer with no series at all, as a target that went away
 * or a whole job that stopped being scraped would.
 *
 * Checked: a firing series that stops reporting ends with an `absent` notification (status
 * `resolved`) instead of `resolved`; the query returning no series after it returned some sends
 * one detector-level `absent` notification (status `firing`), nothing more while it stays empty,
 * and a `resolved` when series are back. Without the key, the same story resolves silently.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../lib/sinks/webhook.js';
import { jsonLines, runCli } from '../support/cli.js';
import { matrixBody, startFakePrometheus, type FakePrometheus, type RecordedRequest } from '../support/fake-prometheus.js';
import { latencyHistory } from '../support/latency-history.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const spikeEndS = Date.UTC(2025, 0, 15, 12, 0, 0) / 1000;
const at = (minutes: number): string => new Date((spikeEndS + minutes * 60) * 1000).toISOString();
const token = 'nodataTOKEN-5e4d3c2b1a09f8e7';
const metric = 'app_latency_seconds';

let prometheus: RunningPrometheus;
let proxy: FakePrometheus;
let receiver: WebhookReceiver;
let dir: string;

/** What the proxy answers: everything Prometheus has, all but `instance="c"`, or no series. */
let answer: 'all' | 'without-c' | 'none' = 'all';

async function forward(request: RecordedRequest) {
  if (answer === 'none') return { body: matrixBody([]) };
  const response = await fetch(`${prometheus.url}${request.path}?${new URLSearchParams(request.params).toString()}`);
  const body = (await response.json()) as { data: { result: { metric: Record<string, string> }[] } };
  if (answer === 'without-c') body.data.result = body.data.result.filter((s) => s.metric.instance !== 'c');
  return { status: response.status, body };
}

beforeAll(async () => {
  const series = latencyHistory({ metric, endS: spikeEndS, instances: ['a', 'c'], spiky: 'c', seedBase: 2000, level: (i) => 0.2 + 0.1 * i, lastMinute: 10 });
  prometheus = await startPrometheus({ series });
  proxy = await startFakePrometheus();
  proxy.handle(forward);
  receiver = await startWebhookReceiver();
  dir = await mkdtemp(join(tmpdir(), 'aiops-no-data-'));
});
afterAll(async () => {
  await receiver?.close();
  await proxy?.stop();
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  receiver.reset();
  answer = 'all';
});

/** A config with one detector `latency` and a generic webhook; `notifyAbsent` as given. */
async function config(name: string, notifyAbsent: boolean): Promise<string> {
  const path = join(dir, `${name}.yaml`);
  await writeFile(
    path,
    [
      'prometheus:',
      `  url: ${proxy.url}`,
      'detectors:',
      '  - name: latency',
      `    query: ${metric}`,
      `    notifyAbsent: ${notifyAbsent}`,
      // The proxy drops a series from every answer, its past included, which Prometheus never
      // does (a series that stops is returned with its older points until they leave the
      // window). Detector state keeps points already read, as Prometheus would return them, so it
      // is off here: these runs read the proxy's whole answer every time.
      'state:',
      '  enabled: false',
      'alerts:',
      `  stateStore: file:${join(dir, `${name}-state.json`)}`,
      '  sinks:',
      '    - type: webhook',
      '      name: hook',
      '      url: { env: HOOK_URL }',
      '      retries: 0',
      '',
    ].join('\n'),
  );
  return path;
}

async function run(configPath: string, minutes: number) {
  const { code, stdout, stderr } = await runCli(['run', '--config', configPath, '--now', at(minutes)], {
    cwd: dir,
    env: { HOOK_URL: `${receiver.baseUrl}/hooks/${token}` },
  });
  expect(stdout + stderr).not.toContain(token);
  const results = jsonLines(stdout);
  return { code, results, summary: results.find((r) => r.summary === true)!, diagnostics: jsonLines(stderr, { strict: true }) };
}

/** Every notification the receiver accepted, as `kind status seriesKey-or-instance`. */
function received(): string[] {
  return receiver
    .accepted()
    .flatMap((r) => (JSON.parse(r.body) as WebhookPayload).notifications)
    .map((n) => `${n.kind} ${n.status} ${n.seriesKey === '(query)' ? '(query)' : n.labels.instance}`);
}

describe('no-data alerts (notifyAbsent: true) through aiops-detector run', () => {
  it('a firing series that stops reporting ends with "absent"; an empty query fires one detector-level "absent", resolved when series are back', async () => {
    const path = await config('no-data', true);

    // Run 1: c spikes and fires.
    expect((await run(path, 0)).code).toBe(0);
    expect(received()).toEqual(['firing firing c']);

    // Runs 2 and 3: c is gone from the answers; after resolveAfter (2) runs its alert ends as no data.
    answer = 'without-c';
    expect((await run(path, 1)).summary).toMatchObject({ ok: true, alerts_sent: 0 });
    const ended = await run(path, 2);
    expect(ended.code).toBe(0);
    expect(ended.results.find((r) => r.absent === true)).toMatchObject({ series: { instance: 'c' }, alert: 'absent', points: 0 });
    expect(received()).toEqual(['firing firing c', 'absent resolved c']);
    const [absentC] = (JSON.parse(receiver.accepted()[1]!.body) as WebhookPayload).notifications;
    expect(absentC).toMatchObject({ startsAt: at(0), endsAt: at(2), score: expect.any(Number) as number });
    expect(absentC!.summary).toMatch(/^No data: latency .*instance="c".* stopped reporting while firing/);

    // Run 4: the query returns no series at all: one detector-level no-data notification, and the
    // run fails as any empty query does (allowNoSeries is not set).
    answer = 'none';
    const empty = await run(path, 3);
    expect(empty.code).toBe(1);
    expect(empty.summary).toMatchObject({ ok: false, series: 0, alerts_sent: 1, failures: 1 });
    expect(empty.diagnostics.find((d) => d.msg === 'no-data alert')).toMatchObject({ level: 'warn', detector: 'latency', alert: 'absent' });
    expect(empty.diagnostics.find((d) => d.msg === 'query returned no series')).toMatchObject({ level: 'error', detector: 'latency' });
    expect(received().at(-1)).toBe('absent firing (query)');
    const [queryAbsent] = (JSON.parse(receiver.accepted().at(-1)!.body) as WebhookPayload).notifications;
    expect(queryAbsent).toMatchObject({
      id: `latency|(query)|absent|${Date.parse(at(3))}`,
      labels: {},
      score: null,
      threshold: null,
      value: null,
      startsAt: at(3),
      endsAt: null,
      summary: 'No data: latency: the query returned no series',
    });

    // Run 5: still nothing: no second notification.
    expect((await run(path, 4)).summary).toMatchObject({ alerts_sent: 0 });

    // Run 6: series are back: the no-data alert resolves.
    answer = 'all';
    const back = await run(path, 5);
    expect(back.code).toBe(0);
    expect(back.summary).toMatchObject({ ok: true, alerts_sent: 1 });
    expect(received()).toEqual(['firing firing c', 'absent resolved c', 'absent firing (query)', 'resolved resolved (query)']);
  });

  it('without notifyAbsent, the same story resolves the series and says nothing about the empty query', async () => {
    const path = await config('default', false);

    await run(path, 0);
    answer = 'without-c';
    await run(path, 1);
    await run(path, 2);
    answer = 'none';
    const empty = await run(path, 3);
    answer = 'all';
    await run(path, 5);

    expect(received()).toEqual(['firing firing c', 'resolved resolved c']);
    expect(empty.diagnostics.some((d) => d.msg === 'no-data alert')).toBe(false);
  });
});
