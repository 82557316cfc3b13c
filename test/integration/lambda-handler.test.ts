/**
 * The middy handler in-process (lib/lambda/middy-handler.ts, as functions/lambda.ts builds it),
 * across warm invocations of one container, against real servers: the local Secrets Manager
 * through the real SDK client (AWS_ENDPOINT_URL_SECRETS_MANAGER, read when middy creates its
 * client), dynalite with the real DynamoDB client, a webhook receiver, and a fake Prometheus
 * whose answers follow each request's own time grid (so the spike is always the newest point,
 * whatever the clock says).
 *
 * What a user of the deployed function would notice: a missing secret keeps the notification
 * pending and the next run after the secret exists sends it; a rotated secret is used after the
 * cache expiry without a redeploy; a run about to hit the Lambda timeout stops cleanly and says
 * what it skipped; each run's own figures reach standard output as CloudWatch EMF lines.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearCache } from '@middy/util';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunFailedError } from '../../lib/lambda/errors.js';
import { createLambdaHandler } from '../../lib/lambda/middy-handler.js';
import { createStateTable, startDynalite, type Dynalite } from '../support/dynalite.js';
import { emfObjects, emfProblems } from '../support/emf.js';
import { matrixBody, startFakePrometheus, type FakePrometheus, type RecordedRequest } from '../support/fake-prometheus.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const region = 'us-east-1';
const secretName = 'aiops-detector/handler-webhook';
const savedEnv = { ...process.env };

let prometheus: FakePrometheus;
let secrets: SecretsManagerServer;
let dynalite: Dynalite;
let receiver: WebhookReceiver;
let dir: string;
let tableCount = 0;

/** Calm noise on the request's grid, ten times the level at its newest point. */
function spikeAtNewest(request: RecordedRequest) {
  const start = Number(request.params.start);
  const end = Number(request.params.end);
  const step = Number(request.params.step);
  const values: [number, string][] = [];
  for (let t = start, i = 0; t <= end + 1e-9; t += step, i++) {
    values.push([t, String(t + step > end + 1e-9 ? 2 : 0.2 + 0.004 * ((i * 7) % 5))]);
  }
  return { body: matrixBody([{ labels: { __name__: 'queue_depth', job: 'worker', instance: 'w1' }, values }]) };
}

/** A Lambda context whose deadline is `remainingMs` from now. */
function lambdaContext(requestId: string, remainingMs = 55_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as Context;
}

interface Container {
  handler: ReturnType<typeof createLambdaHandler>;
  output: string[];
}

/**
 * One "container": a handler with its own state table and captured log lines. Its EMF lines
 * (standard output, as on Lambda) only with `emf`, so that other tests print none.
 */
async function container(env: Record<string, string>, detectorNames: string[], extraConfig = '', emf = false): Promise<Container> {
  const table = `handler-test-${++tableCount}`;
  await createStateTable(dynalite.client, table);
  const configFile = join(dir, `${table}.yaml`);
  await writeFile(
    configFile,
    `${extraConfig}detectors:\n${detectorNames.map((name) => `  - name: ${name}\n    query: queue_depth\n`).join('')}`,
  );
  const output: string[] = [];
  const handler = createLambdaHandler(
    {
      ALERT_WEBHOOK_SECRET_ID: secretName,
      SECRETS_CACHE_EXPIRY_SECONDS: '300',
      PROMETHEUS_URL: prometheus.url,
      CONFIG_FILE: configFile,
      STATE_TABLE: table,
      AWS_REGION: region,
      ...env,
    },
    {
      // A warm container: the secret cache lives across invocations (no prefetch, as in tests).
      mode: { prefetch: false, oneShot: false },
      dynamoDbClient: () => dynalite.client,
      out: (line) => output.push(line),
      err: (line) => output.push(line),
      runtime: { sink: { random: () => 0 }, source: { retry: { baseDelayMs: 1, maxDelayMs: 5 } } },
      ...(emf ? {} : { onCycle: () => undefined }),
    },
  );
  return { handler, output };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-lambda-handler-'));
  [prometheus, secrets, dynalite, receiver] = await Promise.all([
    startFakePrometheus(),
    startSecretsManagerServer({ region }),
    startDynalite(),
    startWebhookReceiver(),
  ]);
  prometheus.handle(spikeAtNewest);
  // Read by the SDK when middy creates its Secrets Manager client (first invocation).
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'AKIDHANDLER',
    AWS_SECRET_ACCESS_KEY: 'handler-secret-access-key',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
});

afterAll(async () => {
  clearCache();
  process.env = savedEnv;
  await Promise.all([receiver?.close(), dynalite?.stop(), secrets?.stop(), prometheus?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  // middy's cache is per process; each test is a new container.
  clearCache();
  receiver.reset();
  secrets.deleteSecret(secretName);
});

describe('Lambda handler (middy + Secrets Manager + DynamoDB)', () => {
  it('keeps the notification pending while the secret is missing, and sends it once the secret exists', async () => {
    // Prepare
    const { handler, output } = await container({}, ['queue']);

    // Act 1: no secret yet
    const error = await failure(handler({}, lambdaContext('req-missing')));

    // Assess 1: the run evaluated, delivered nothing, and says which secret is missing
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error.message).toMatch(/1 notification\(s\) pending/);
    const unavailable = output.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'sink unavailable; its notifications stay pending');
    expect(unavailable?.error).toMatch(new RegExp(`${secretName}.*ResourceNotFoundException`));
    expect(unavailable?.requestId).toBe('req-missing');
    expect(receiver.requests).toHaveLength(0);

    // Act 2: the secret is created; the next scheduled run
    const url = `${receiver.baseUrl}/hooks/created-later-5a1b`;
    secrets.setSecret(secretName, url);
    const result = await handler({}, lambdaContext('req-after'));

    // Assess 2: exactly the pending notification went out, and the URL appears in no log line
    expect(result).toMatchObject({ ok: true, alertsSent: 1, pending: 0 });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.path).toBe('/hooks/created-later-5a1b');
    expect(output.join('\n')).not.toContain(url);
  });

  it('reuses the cached secret while warm and reads a rotated one after the expiry', async () => {
    // Prepare: a 1-second cache; two detectors so each run has its own notification to send
    const { handler } = await container({ SECRETS_CACHE_EXPIRY_SECONDS: '1' }, ['first', 'second']);
    secrets.setSecret(secretName, `${receiver.baseUrl}/hooks/before-rotation`);
    const fetchesBefore = secrets.getCount(secretName);

    // Act
    await handler({ detectors: ['first'] }, lambdaContext('req-1'));
    await handler({ detectors: ['first'] }, lambdaContext('req-2'));
    const fetchesWhileWarm = secrets.getCount(secretName) - fetchesBefore;
    secrets.setSecret(secretName, `${receiver.baseUrl}/hooks/after-rotation`);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await handler({ detectors: ['second'] }, lambdaContext('req-3'));

    // Assess
    expect(fetchesWhileWarm).toBe(1);
    expect(secrets.getCount(secretName) - fetchesBefore).toBe(2);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hooks/before-rotation', '/hooks/after-rotation']);
  });

  it('stops before the Lambda timeout and names the detector it skipped', async () => {
    // Prepare: one detector at a time; Prometheus takes 3 s; the function has 1.2 s left
    const { handler, output } = await container({}, ['slow-a', 'slow-b'], 'concurrency: 1\n');
    secrets.setSecret(secretName, `${receiver.baseUrl}/hooks/deadline`);
    prometheus.handle((request) => ({ ...spikeAtNewest(request), delayMs: 3_000 }));

    // Act
    const started = performance.now();
    const error = await failure(handler({}, lambdaContext('req-deadline', 1_200)));
    const elapsedMs = performance.now() - started;
    prometheus.handle(spikeAtNewest);

    // Assess: it gave up at 1.2 s - min(5 s, 1.2 s / 4) = 0.9 s, well before the deadline
    expect(elapsedMs).toBeLessThan(1_200);
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error.message).toContain('skipped slow-b');
    const summary = output.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.summary === true);
    expect(summary).toMatchObject({ ok: false, skipped: ['slow-b'], requestId: 'req-deadline' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('fails the invocation when a query returns no series, naming the detector (issue 15, defect 3)', async () => {
    // Prepare: Prometheus answers with an empty matrix (a misspelt metric)
    const { handler, output } = await container({}, ['typo']);
    secrets.setSecret(secretName, `${receiver.baseUrl}/hooks/no-series`);
    prometheus.handle(() => ({ body: matrixBody([]) }));

    // Act
    const error = await failure(handler({}, lambdaContext('req-empty')));
    prometheus.handle(spikeAtNewest);

    // Assess
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error.message).toContain('typo: query returned no series');
    const lines = output.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'query returned no series')).toMatchObject({ level: 'error', detector: 'typo', query: 'queue_depth' });
    expect(lines.find((l) => l.summary === true)).toMatchObject({ ok: false, failures: 1, series: 0 });
  });

  it('publishes each run\'s own figures as CloudWatch EMF lines on standard output', async () => {
    // Prepare: no CloudWatch can run here, so what Powertools prints is parsed and held against
    // the EMF specification (test/support/emf.ts); CloudWatch Logs would turn it into metrics.
    const { handler } = await container({}, ['queue'], '', true);
    secrets.setSecret(secretName, `${receiver.baseUrl}/hooks/emf`);
    let stdout = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });

    // Act: `queue` fires and sends; the event also names a detector the file does not have
    try {
      await failure(handler({ detectors: ['queue', 'broken'] }, lambdaContext('req-emf')));
    } finally {
      write.mockRestore();
    }

    // Assess: every line is valid EMF in the namespace aiops-detector
    const lines = emfObjects(stdout);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    expect(new Set(lines.flatMap((l) => l._aws.CloudWatchMetrics.map((d) => d.Namespace)))).toEqual(new Set(['aiops-detector']));

    // The run's totals, dimension `service`
    const totals = lines.find((l) => 'Runs' in l)!;
    expect(totals._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(totals).toMatchObject({
      service: 'aiops-detector',
      Runs: 1,
      RunFailures: 1,
      SeriesScored: 1,
      Anomalies: 1,
      NotificationsSent: 1,
      NotificationsFailed: 0,
      NotificationsPending: 0,
    });
    expect(totals._aws.CloudWatchMetrics[0]!.Metrics).toContainEqual({ Name: 'RunDuration', Unit: 'Milliseconds' });

    // One line per detector, dimensions `service` and `detector`
    const perDetector = lines.filter((l) => typeof l.detector === 'string');
    expect(perDetector.map((l) => l._aws.CloudWatchMetrics[0]!.Dimensions)).toEqual([[['service', 'detector']], [['service', 'detector']]]);
    expect(perDetector.map(({ detector, DetectorFailures, NotificationsPending }) => ({ detector, DetectorFailures, NotificationsPending }))).toEqual([
      // The unknown name is reported first (lib/run.ts), and never got to delivering.
      { detector: 'broken', DetectorFailures: 1, NotificationsPending: undefined },
      { detector: 'queue', DetectorFailures: 0, NotificationsPending: 0 },
    ]);

    // State store calls (DynamoDB here), dimensions `service` and `operation`, one value per call
    const store = new Map(lines.filter((l) => typeof l.operation === 'string').map((l) => [l.operation, l.StateStoreDuration]));
    expect([...store.keys()].sort()).toEqual(['list', 'put']);
    expect(store.get('list')).toEqual(expect.any(Number));
    expect(store.get('put')).toEqual([expect.any(Number), expect.any(Number)]);
  });
});
