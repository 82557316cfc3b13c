/**
 * dynalite (an in-memory DynamoDB on LevelDB) on 127.0.0.1 with an ephemeral port, plus the
 * real `@aws-sdk/client-dynamodb` pointed at it, and the alert-state table created from the
 * definition in serverless.yml (one source of truth for keys and billing mode).
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  type AttributeDefinition,
  type BillingMode,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';

// dynalite is CommonJS without type declarations: type the one factory we call.
type DynaliteFactory = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
const dynaliteFactory = createRequire(import.meta.url)('dynalite') as DynaliteFactory;

export interface Dynalite {
  endpoint: string;
  /** A real DynamoDB client with fake credentials, pointed at this dynalite. */
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Starts dynalite (tables are ACTIVE at once) and returns a client for it. */
export async function startDynalite(): Promise<Dynalite> {
  const server = dynaliteFactory({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    // A failed test should fail fast, not back off through the SDK's default 3 attempts.
    maxAttempts: 1,
  });
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The `AWS::DynamoDB::Table` resource of the alert state, as serverless.yml declares it. */
export interface StateTableDefinition {
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  BillingMode: BillingMode;
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
}

const serverlessYml = fileURLToPath(new URL('../../serverless.yml', import.meta.url));

/** Reads the state table's properties from serverless.yml (written without YAML short tags). */
export function stateTableDefinition(): StateTableDefinition {
  const doc = parse(readFileSync(serverlessYml, 'utf8')) as {
    resources?: { Resources?: Record<string, { Type?: string; Properties?: StateTableDefinition }> };
  };
  const tables = Object.values(doc.resources?.Resources ?? {}).filter((r) => r.Type === 'AWS::DynamoDB::Table');
  const properties = tables[0]?.Properties;
  if (tables.length !== 1 || !properties) {
    throw new Error(`serverless.yml must declare exactly one AWS::DynamoDB::Table, found ${tables.length}`);
  }
  return properties;
}

/**
 * Creates a table named `tableName` with serverless.yml's keys and billing mode. dynalite has
 * no UpdateTimeToLive, so the TTL setting is checked on the template instead
 * (test/integration/serverless-package.test.ts).
 */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const table = stateTableDefinition();
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: table.KeySchema,
      AttributeDefinitions: table.AttributeDefinitions,
      BillingMode: table.BillingMode,
    }),
  );
}
