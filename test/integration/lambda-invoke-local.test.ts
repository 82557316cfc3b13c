/**
 * The Lambda end to end, the way a user tries it before deploying: `serverless invoke local -f
 * detect` (osls + serverless-esbuild build the .mjs bundle; the mjs-invoke-local plugin loads
 * it), with every AWS service it talks to replaced by a local server that the real SDK clients
 * reach through the per-service endpoint variables:
 *
 * - Secrets Manager: test/support/secrets-manager-server.ts (AWS_ENDPOINT_URL_SECRETS_MANAGER),
 *   holding the webhook secret as JSON {"url", "signingSecret"};
 * - DynamoDB: dynalite (AWS_ENDPOINT_URL_DYNAMODB) with serverless.yml's state table;
 * - Prometheus: a real one, backfilled with one series that spikes at the present minute;
 * - Amazon Managed Prometheus: a local endpoint that checks each request's SigV4 signature with
 *   `aws4` (not the SDK signer the product uses) and then proxies it to that Prometheus.
 *
 * Each invoke is a fresh osls process, as for a user: two invokes share only the servers.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateTable, startDynalite, type Dynalite } from '../support/dynalite.js';
import { startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { emfObjects, emfProblems } from '../support/emf.js';
import { seededRandom } from '../support/random.js';
import { readBody, verifySigV4, type SigV4Verdict } from '../support/sigv4-verifier.js';
import { offlineSlsEnv, repoDir, slsBin } from '../support/serverless.js';

const region = 'us-east-1';
const secretName = 'aiops-detector/e2e-webhook';
const signingSecret = 'whsec-e2e-3c1f9a7b5d';
/** The table serverless.yml names for the default stage. */
const tableName = 'aiops-detector-dev-alert-state';
const credentials = { accessKeyId: 'AKIDLAMBDAE2E', secretAccessKey: 'lambda-e2e-secret-access-key' };
const metric = 'checkout_latency_seconds';

/**
 * Two calm series for the last two hours up to a few minutes ahead; `instance="spiky"` jumps
 * in the minute the test starts and climbs from there, so whichever minute the first invoke
 * evaluates (it starts seconds later), its newest point is the highest yet.
 */
function history(nowS: number): SeriesInput[] {
  const startMinuteS = Math.floor(nowS / 60) * 60;
  return ['calm', 'spiky'].map((instance, index) => {
    const random = seededRandom(42 + index);
    const samples: [number, number][] = [];
    for (let m = -120; m <= 5; m++) {
      let value = 0.25 * (1 + 0.05 * (random() - 0.5));
      if (instance === 'spiky' && m >= 0) value = 0.25 * (6 + 4 * m);
      samples.push([startMinuteS + m * 60, Number(value.toFixed(5))]);
    }
    return { labels: { __name__: metric, job: 'checkout', instance }, samples };
  });
}

/**
 * Stands in for an Amazon Managed Prometheus workspace: recomputes each request's signature
 * with aws4 from exactly what arrived, answers 403 when it does not match, and otherwise
 * forwards the query (path prefix `/workspaces/ws-e2e` removed) to the real Prometheus.
 */
async function startSigV4Proxy(target: string): Promise<{ url: string; checks: SigV4Verdict[]; stop: () => Promise<void> }> {
  const checks: SigV4Verdict[] = [];
  const server: Server = createServer((request, response) => {
    void readBody(request).then(async (body) => {
      const check = verifySigV4(request, body, { service: 'aps', region, credentials });
      const url = new URL(request.url ?? '/', 'http://proxy');
      checks.push(check);
      if (!check.valid) {
        response.writeHead(403, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'The request signature we calculated does not match the signature you provided.' }));
        return;
      }
      const forwarded = await fetch(`${target}${url.pathname.replace(/^\/workspaces\/ws-e2e/, '')}${url.search}`, {
        method: request.method,
        ...(body !== '' ? { body, headers: { 'content-type': String(request.headers['content-type']) } } : {}),
      });
      response.writeHead(forwarded.status, { 'content-type': 'application/json' });
      response.end(await forwarded.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/workspaces/ws-e2e`,
    checks,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Invocation {
  code: number | null;
  stdout: string;
  stderr: string;
  /** JSON lines the handler wrote (results and the summary on stdout, diagnostics on stderr). */
  lines: Record<string, unknown>[];
  summary: Record<string, unknown> | undefined;
  durationMs: number;
}

let prometheus: RunningPrometheus;
let secrets: SecretsManagerServer;
let dynalite: Dynalite;
let receiver: WebhookReceiver;
let proxy: Awaited<ReturnType<typeof startSigV4Proxy>>;
let dir: string;
let webhookUrl: string;

/** `serverless invoke local -f detect` in a fresh process; resolves with whatever it printed. */
async function invokeLocal(params: Record<string, string>, data: unknown): Promise<Invocation> {
  const workFolder = join('.esbuild', `invoke-${process.pid}-${Math.floor(performance.now() * 1000)}`);
  // Always --data: without it osls reads the event from standard input and waits for its end.
  const args = [slsBin, 'invoke', 'local', '-f', 'detect', '--data', JSON.stringify(data)];
  for (const [key, value] of Object.entries(params)) args.push('--param', `${key}=${value}`);
  const started = performance.now();
  try {
    return await new Promise<Invocation>((resolve) => {
      execFile(
        process.execPath,
        args,
        {
          cwd: repoDir,
          timeout: 45_000,
          maxBuffer: 16 * 1024 * 1024,
          env: offlineSlsEnv(workFolder, {
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            // Per service, so osls' own AWS calls (none for invoke local) would not follow them.
            AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
            AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
          }),
        },
        (error, stdout, stderr) => {
          const lines = `${stdout}\n${stderr}`
            .split('\n')
            .filter((l) => l.startsWith('{"'))
            .map((l) => JSON.parse(l) as Record<string, unknown>);
          resolve({
            code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
            stdout,
            stderr,
            lines,
            summary: lines.find((l) => l.summary === true),
            durationMs: performance.now() - started,
          });
        },
      );
    });
  } finally {
    await rm(join(repoDir, workFolder), { recursive: true, force: true });
  }
}

/** What EventBridge hands the function when its schedule has no `input`. */
function scheduledEvent(): Record<string, unknown> {
  return {
    version: '0',
    id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:events:${region}:123456789012:rule/aiops-detector-dev-DetectEventsRuleSchedule1`],
    detail: {},
  };
}

async function writeConfig(name: string, prometheusYaml: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    `${prometheusYaml}detectors:\n  - name: checkout-latency\n    query: ${metric}\n    windowMinutes: 60\n    stepSeconds: 60\n    minPoints: 30\n`,
  );
  return path;
}

/** No secret in anything a user or a log pipeline would see. */
function expectNoSecret(invocation: Invocation): void {
  const output = invocation.stdout + invocation.stderr;
  expect(output).not.toContain(webhookUrl);
  expect(output).not.toContain(signingSecret);
  expect(output).not.toContain(credentials.secretAccessKey);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-lambda-invoke-'));
  [prometheus, secrets, dynalite, receiver] = await Promise.all([
    startPrometheus({ series: history(Date.now() / 1000) }),
    startSecretsManagerServer({ region }),
    startDynalite(),
    startWebhookReceiver(),
  ]);
  proxy = await startSigV4Proxy(prometheus.url);
  await createStateTable(dynalite.client, tableName);
  webhookUrl = `${receiver.baseUrl}/hooks/e2e-7f3a9c`;
  secrets.setSecret(secretName, JSON.stringify({ url: webhookUrl, signingSecret }));
});

afterAll(async () => {
  await Promise.all([proxy?.stop(), receiver?.close(), dynalite?.stop(), secrets?.stop(), prometheus?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('serverless invoke local -f detect', () => {
  it('fetches the secret through the SDK, delivers one signed notification, and nothing new on the next invoke', async () => {
    // Prepare
    const configFile = await writeConfig('plain.yaml', '');
    const params = { alertWebhookSecretId: secretName, prometheusUrl: prometheus.url, configFile, region };

    // Act
    const first = await invokeLocal(params, scheduledEvent());
    const second = await invokeLocal(params, { detectors: ['checkout-latency'] });
    console.info(`invoke local: ${Math.round(first.durationMs)} ms, ${Math.round(second.durationMs)} ms`);

    // Assess: the first run fired once, signed with the secret's signing key
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.summary).toMatchObject({ ok: true, alerts_sent: 1, pending: 0, skipped: [] });
    const spiky = first.lines.find((l) => (l.series as Record<string, string> | undefined)?.instance === 'spiky');
    expect(spiky).toMatchObject({ detector: 'checkout-latency', alert: 'firing', has_anomaly: true });
    expect(typeof spiky?.requestId).toBe('string');
    expect(receiver.requests).toHaveLength(1);
    const [delivery] = receiver.requests;
    expect(delivery!.path).toBe('/hooks/e2e-7f3a9c');
    const body = JSON.parse(delivery!.body) as { alerts?: { labels?: Record<string, string> }[] };
    expect(JSON.stringify(body)).toContain('spiky');
    const expectedSignature = `sha256=${createHmac('sha256', signingSecret).update(delivery!.body).digest('hex')}`;
    expect(delivery!.headers['x-signature-256']).toBe(expectedSignature);
    // Once per process: each invoke is a cold start that fetched the secret with the real client.
    expect(secrets.getCount(secretName)).toBe(2);
    expect(secrets.requests.every((r) => r.region === region)).toBe(true);

    // Assess: the bundled handler printed its own figures as CloudWatch EMF (the one place no
    // real CloudWatch can run here; test/support/emf.ts holds the lines to the specification)
    const emf = emfObjects(first.stdout);
    for (const line of emf) expect(emfProblems(line)).toEqual([]);
    expect(emf.find((l) => 'Runs' in l)).toMatchObject({ service: 'aiops-detector-dev', Runs: 1, RunFailures: 0, NotificationsSent: 1 });
    expect(emf.find((l) => l.detector === 'checkout-latency')).toMatchObject({ DetectorFailures: 0, NotificationsPending: 0 });

    // Assess: the second run found the alert in DynamoDB and sent nothing new
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.summary).toMatchObject({ ok: true, alerts_sent: 0, detectors: 1 });
    expect(receiver.requests).toHaveLength(1);
    expectNoSecret(first);
    expectNoSecret(second);
  });

  it('queries Amazon Managed Prometheus with SigV4 signatures an independent verifier accepts', async () => {
    // Prepare: a config that asks for SigV4 (service aps) on a non-AWS host, as for a VPC endpoint
    const configFile = await writeConfig('sigv4.yaml', `prometheus:\n  auth:\n    type: sigv4\n    region: ${region}\n    service: aps\n`);
    const params = { alertWebhookSecretId: secretName, prometheusUrl: proxy.url, configFile, region };
    const before = receiver.requests.length;

    // Act: dry run, so the alert state of the first test plays no part
    const invocation = await invokeLocal(params, { dryRun: true });
    console.info(`invoke local (SigV4): ${Math.round(invocation.durationMs)} ms`);

    // Assess
    expect(invocation.code, invocation.stdout + invocation.stderr).toBe(0);
    expect(proxy.checks.length).toBeGreaterThan(0);
    expect(proxy.checks.every((c) => c.valid && c.region === region && c.service === 'aps')).toBe(true);
    expect(proxy.checks[0]!.path).toBe('/workspaces/ws-e2e/api/v1/query_range');
    // Both series came back through the proxy (whether the spike still stands out by now is the
    // first test's business).
    expect(invocation.summary).toMatchObject({ ok: true, dry_run: true, series: 2, alerts_sent: 0 });
    expect(receiver.requests).toHaveLength(before);
    expectNoSecret(invocation);
  });
});
