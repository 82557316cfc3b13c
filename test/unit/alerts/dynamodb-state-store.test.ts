/**
 * The DynamoDB StateStore against dynalite (in-memory DynamoDB) with the real
 * @aws-sdk/client-dynamodb; the table is created from serverless.yml's definition.
 */
import { GetItemCommand, PutItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDbStateStore, dynamoDbSortKey } from '../../../lib/alerts/dynamodb-state-store.js';
import { StateStoreError } from '../../../lib/alerts/errors.js';
import type { AlertState, StateStore } from '../../../lib/alerts/state-store.js';
import type { Notification } from '../../../lib/sinks/sink.js';
import { createStateTable, startDynalite, type Dynalite } from '../../support/dynalite.js';
import { describeStateStoreContract, stateFor } from './state-store-contract.js';

const t0 = Date.UTC(2025, 2, 1, 8, 30, 0);
let dynalite: Dynalite;
let tableCount = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.stop();
});

/** A fresh table per test: tests never see each other's items. */
async function freshTable(): Promise<string> {
  tableCount += 1;
  const table = `alert-state-${tableCount}`;
  await createStateTable(dynalite.client, table);
  return table;
}

describeStateStoreContract('dynamodb', async () => {
  const table = await freshTable();
  return {
    store: createDynamoDbStateStore({ table, ttlDays: 30 }, { client: dynalite.client, now: () => t0 }),
    cleanup: () => Promise.resolve(),
  };
});

function okState(detector: string, labels: Record<string, string>): AlertState {
  return stateFor(detector, labels, { lastEvaluatedMs: t0 });
}

function firingNotification(state: AlertState, atMs: number, summary = 'latency is anomalous'): Notification {
  return {
    id: `${state.detector}|${state.seriesKey}|firing|${atMs}`,
    kind: 'firing',
    detector: state.detector,
    seriesKey: state.seriesKey,
    labels: state.labels,
    severity: 'warning',
    extraLabels: {},
    query: 'up',
    score: 0.9,
    threshold: 0.6,
    value: 42,
    startsAtMs: atMs,
    atMs,
    summary,
  };
}

/** A second client: another Lambda instance has its own client and connections. */
function otherClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
}

describe('DynamoDB state store', () => {
  let table: string;
  let store: StateStore;

  beforeEach(async () => {
    table = await freshTable();
    store = createDynamoDbStateStore({ table, ttlDays: 7 }, { client: dynalite.client, now: () => t0 });
  });

  it('lets exactly one of 20 overlapping runs claim the firing notification', async () => {
    // Prepare: the series is known and ok; 20 runs (each its own client, like separate Lambda
    // instances) all see it turn anomalous at the same evaluation.
    const base = (await store.put(okState('latency', { job: 'api' })))!;
    const clients = Array.from({ length: 20 }, () => otherClient());
    const claims: number[] = [];

    const run = async (runId: number, client: DynamoDBClient): Promise<void> => {
      const runStore = createDynamoDbStateStore({ table, ttlDays: 7 }, { client, now: () => t0 });
      for (let attempt = 0; attempt < 3; attempt++) {
        const [current] = await runStore.list('latency');
        if (!current) throw new Error('state vanished');
        // Another run already made the transition (or holds the delivery lease): nothing to send.
        if (current.status === 'firing' || (current.leaseUntilMs ?? 0) > t0) return;
        const next: AlertState = {
          ...current,
          status: 'firing',
          anomalousStreak: 1,
          firingSinceMs: t0,
          leaseUntilMs: t0 + 60_000,
          pending: [{ sink: 'slack', notification: firingNotification(current, t0, `claimed by run ${runId}`), attempts: 0 }],
        };
        if (await runStore.put(next)) {
          claims.push(runId);
          return;
        }
      }
    };

    // Act
    try {
      await Promise.all(clients.map((client, i) => run(i, client)));
    } finally {
      for (const client of clients) client.destroy();
    }

    // Assess: one claim, and the stored state is that run's, with exactly one pending notification.
    expect(claims).toHaveLength(1);
    const [stored] = await store.list('latency');
    expect(stored!.status).toBe('firing');
    expect(stored!.version).toBe(base.version + 1);
    expect(stored!.pending).toHaveLength(1);
    expect(stored!.pending[0]!.notification.summary).toBe(`claimed by run ${claims[0]}`);
  });

  it('writes a TTL of now + ttlDays in epoch seconds, refreshed on every write', async () => {
    // Prepare
    let nowMs = t0;
    const clockStore = createDynamoDbStateStore({ table, ttlDays: 7 }, { client: dynalite.client, now: () => nowMs });
    const state = okState('latency', { job: 'api' });
    const readTtl = async (): Promise<number> => {
      const { Item } = await dynalite.client.send(
        new GetItemCommand({ TableName: table, Key: { detector: { S: 'latency' }, seriesKey: { S: state.seriesKey } } }),
      );
      return Number(Item?.ttl?.N);
    };

    // Act
    const v1 = (await clockStore.put(state))!;
    const ttlAfterCreate = await readTtl();
    nowMs = t0 + 3 * 86_400_000;
    await clockStore.put({ ...v1, anomalousStreak: 1 });
    const ttlAfterUpdate = await readTtl();

    // Assess
    expect(ttlAfterCreate).toBe(t0 / 1000 + 7 * 86_400);
    expect(ttlAfterUpdate).toBe(t0 / 1000 + 10 * 86_400);
  });

  it('lists every state of a detector across Query pages (1 MB each)', async () => {
    // Prepare: 30 states of about 40 KB each is more than one 1 MB Query page.
    const big = 'x'.repeat(40_000);
    const keys: string[] = [];
    for (let i = 0; i < 30; i++) {
      const state = okState('big', { instance: `host-${i}` });
      const stored = await store.put({
        ...state,
        pending: [{ sink: 'slack', notification: firingNotification(state, t0, big), attempts: 0 }],
      });
      keys.push(stored!.seriesKey);
    }

    // Act
    const listed = await store.list('big');

    // Assess
    expect(listed.map((s) => s.seriesKey).sort()).toEqual([...keys].sort());
    expect(listed.every((s) => s.pending[0]!.notification.summary === big)).toBe(true);
  });

  it('stores a series key longer than DynamoDB allows for a sort key under its hash, CAS intact', async () => {
    // Prepare: label values of 1.5 KB push the key past the 1024-byte sort key limit.
    const labels = { job: 'api', path: '/'.padEnd(1500, 'a') };
    const state = okState('long', labels);
    expect(Buffer.byteLength(state.seriesKey)).toBeGreaterThan(1024);

    // Act
    const v1 = await store.put(state);
    const second = await store.put(state);
    const [listed] = await store.list('long');
    const deleted = await store.delete({ detector: 'long', seriesKey: state.seriesKey, version: v1!.version });

    // Assess
    expect(v1).toBeDefined();
    expect(second).toBeUndefined();
    expect(listed!.seriesKey).toBe(state.seriesKey);
    expect(listed!.labels).toEqual(labels);
    expect(dynamoDbSortKey(state.seriesKey)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(deleted).toBe(true);
  });

  it('fails with a StateStoreError naming the table when the table does not exist', async () => {
    // Prepare
    const missing = createDynamoDbStateStore({ table: 'no-such-table', ttlDays: 7 }, { client: dynalite.client });

    // Act
    const error: unknown = await missing.list('latency').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toContain('no-such-table');
    expect((error as Error).message).toContain('latency');
    expect((error as Error).cause).toBeDefined();
  });

  it('fails clearly on an item this adapter did not write, instead of returning garbage', async () => {
    // Prepare: someone wrote an item by hand in the console.
    await dynalite.client.send(
      new PutItemCommand({
        TableName: table,
        Item: { detector: { S: 'latency' }, seriesKey: { S: '{job="api"}' }, state: { S: '{not json' }, version: { N: '1' } },
      }),
    );

    // Act
    const error: unknown = await store.list('latency').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toContain('{job="api"}');
    expect((error as Error).message).toContain('not JSON');
  });

  it('rejects a non-positive ttlDays when created', () => {
    expect(() => createDynamoDbStateStore({ table, ttlDays: 0 }, { client: dynalite.client })).toThrow(StateStoreError);
  });
});
