/**
 * The `dynamodb` adapter of the StateStore port: alert state of the Lambda deployment, in the
 * table serverless.yml creates (partition key `detector`, sort key `seriesKey`, on demand,
 * TTL on `ttl`).
 *
 * One item per series: the state as one JSON string attribute `state`, plus `version` (N) for
 * compare-and-set and `ttl` (N, epoch seconds) so series that stop being evaluated age out.
 * Every write is conditional (`attribute_not_exists` for version 0, `version = :expected`
 * otherwise); a failed condition means another run won and is reported as `undefined`/`false`,
 * never as an error. Reads are strongly consistent, so a run sees the newest winner's state.
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { errorMessage } from '../errors.js';
import { StateStoreError } from './errors.js';
import type { AlertState, StateStore } from './state-store.js';

export interface DynamoDbStateStoreOptions {
  /** Table name (serverless.yml passes it to the Lambda as `STATE_TABLE`). */
  table: string;
  /** Region of the table; the SDK's default chain (AWS_REGION) when absent. */
  region?: string;
  /** Days after its last write that a state is deleted by DynamoDB's TTL. */
  ttlDays: number;
}

export interface DynamoDbStateStoreDeps {
  /** The DynamoDB client; tests point one at dynalite. Not destroyed by `close()` when given. */
  client?: DynamoDBClient;
  /** Clock for the TTL attribute (Unix ms). */
  now?: () => number;
}

/** Sort keys are limited to 1024 bytes; longer series keys are stored under their hash. */
const maxSortKeyBytes = 1024;

/**
 * The sort key of a series: the series key itself (readable in the console) when it fits,
 * otherwise `sha256:<hex>` of it. The full key is always inside the `state` JSON.
 */
export function dynamoDbSortKey(seriesKey: string): string {
  if (Buffer.byteLength(seriesKey, 'utf8') <= maxSortKeyBytes) return seriesKey;
  return `sha256:${createHash('sha256').update(seriesKey, 'utf8').digest('hex')}`;
}

/** A StateStore on one DynamoDB table. */
export function createDynamoDbStateStore(
  options: DynamoDbStateStoreOptions,
  deps: DynamoDbStateStoreDeps = {},
): StateStore {
  if (!Number.isFinite(options.ttlDays) || options.ttlDays <= 0) {
    throw new StateStoreError(`Alert state dynamodb ${options.table}: ttlDays must be a positive number, got ${options.ttlDays}`);
  }
  const ownsClient = deps.client === undefined;
  const client = deps.client ?? new DynamoDBClient(options.region ? { region: options.region } : {});
  const now = deps.now ?? Date.now;
  const table = options.table;
  const description = `dynamodb ${table}`;

  const fail = (operation: string, where: string, error: unknown): StateStoreError =>
    // AWS error messages name the table and the problem, never credentials.
    new StateStoreError(`Alert state ${description}: ${operation} ${where} failed: ${errorMessage(error)}`, {
      cause: error,
    });

  return {
    description,

    async list(detector) {
      const states: AlertState[] = [];
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: '#detector = :detector',
              ExpressionAttributeNames: { '#detector': 'detector' },
              ExpressionAttributeValues: { ':detector': { S: detector } },
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
            }),
          );
        } catch (error) {
          throw fail('Query', `of detector "${detector}"`, error);
        }
        for (const item of page.Items ?? []) states.push(fromItem(item, description));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return states;
    },

    async put(state) {
      const nextVersion = state.version + 1;
      const ttlSeconds = Math.floor(now() / 1000) + Math.round(options.ttlDays * 86_400);
      const { version: _version, ...body } = state;
      const json = JSON.stringify(body);
      const condition: Pick<
        PutItemCommandInput,
        'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
      > =
        state.version === 0
          ? { ConditionExpression: 'attribute_not_exists(#detector)', ExpressionAttributeNames: { '#detector': 'detector' } }
          : {
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': { N: String(state.version) } },
            };
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              detector: { S: state.detector },
              seriesKey: { S: dynamoDbSortKey(state.seriesKey) },
              state: { S: json },
              version: { N: String(nextVersion) },
              ttl: { N: String(ttlSeconds) },
            },
            ...condition,
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw fail('PutItem', `of detector "${state.detector}" series ${state.seriesKey}`, error);
      }
      // What a later list() returns: a copy, so callers cannot change stored state through it.
      return { ...(JSON.parse(json) as Omit<AlertState, 'version'>), version: nextVersion };
    },

    async delete(state) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: { detector: { S: state.detector }, seriesKey: { S: dynamoDbSortKey(state.seriesKey) } },
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(state.version) } },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw fail('DeleteItem', `of detector "${state.detector}" series ${state.seriesKey}`, error);
      }
      return true;
    },

    close() {
      if (ownsClient) client.destroy();
      return Promise.resolve();
    },
  };
}

/** An item back to a state; an item this adapter did not write is a clear error, not a crash later. */
function fromItem(item: Record<string, AttributeValue>, description: string): AlertState {
  const detector = item.detector?.S;
  const sortKey = item.seriesKey?.S;
  const json = item.state?.S;
  const version = Number(item.version?.N);
  const where = `item (${detector ?? '?'}, ${sortKey ?? '?'})`;
  if (detector === undefined || json === undefined || !Number.isInteger(version) || version < 1) {
    throw new StateStoreError(
      `Alert state ${description}: ${where} lacks the string attribute "state" or a positive integer "version"`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch (error) {
    throw new StateStoreError(`Alert state ${description}: ${where} has a "state" that is not JSON`, { cause: error });
  }
  if (typeof body !== 'object' || body === null || typeof (body as { seriesKey?: unknown }).seriesKey !== 'string') {
    throw new StateStoreError(`Alert state ${description}: ${where} has a "state" without a seriesKey`);
  }
  return { ...(body as Omit<AlertState, 'version'>), detector, version };
}
