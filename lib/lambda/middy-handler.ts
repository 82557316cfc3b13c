/**
 * The Lambda handler: middy around lib/lambda/detect-handler.ts, with the webhook secret from
 * AWS Secrets Manager through @middy/secrets-manager.
 *
 * - `ALERT_WEBHOOK_SECRET_ID` (name or ARN) is fetched with the real SDK client and cached for
 *   `SECRETS_CACHE_EXPIRY_SECONDS` (default 300; 0 = every invocation) across warm
 *   invocations; the first invocation after the expiry fetches it again, so a rotated secret
 *   is used within that time, without a redeploy.
 * - A fetch that fails does not stop the invocation: detection still runs, and the webhook's
 *   notifications stay pending (the sink fails them as retryable) until a later run can read
 *   the secret. The error names the secret id and AWS' reason, never a value.
 * - On Lambda the secret is prefetched while the module loads (overlapping the cold start).
 *   Elsewhere (`serverless invoke local`, tests, the benchmark's one-shot processes) it is
 *   not: a failed prefetch outside an invocation is an unhandled rejection that kills the
 *   process. One-shot processes clear middy's cache when done.
 * - middy's own background refresh timer is cancelled after every fetch: expiry is checked at
 *   the next invocation instead. A timer would keep a one-shot process alive, and a refresh
 *   failing between invocations would reject a promise nobody awaits (unhandled rejection).
 * - Each run's own figures go to CloudWatch as EMF lines (lib/lambda/emf-metrics.ts), through
 *   one Powertools Metrics instance per container.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy, { type MiddlewareObj } from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import { clearCache, getCache } from '@middy/util';
import type { Context } from 'aws-lambda';
import { isSet, type Env } from '../config/env-config.js';
import { ConfigError } from '../config/errors.js';
import { createDetectHandler, type DetectHandlerDeps, type DetectResult } from './detect-handler.js';
import { createEmfMetrics, publishEmf } from './emf-metrics.js';
import type { WebhookSecretFetch } from './webhook-secret.js';

/** The context as the handler sees it: Lambda's plus what the secret middleware adds. */
export type DetectContext = Context & { aiopsWebhookSecret?: WebhookSecretFetch };

/** How the process runs: a Lambda container (warm reuse) or a one-shot process. */
export interface LambdaMode {
  /** Fetch the secret while the module loads. */
  prefetch: boolean;
  /** Clear middy's cache after each invocation so nothing outlives it. */
  oneShot: boolean;
}

/**
 * A real Lambda runtime sets `AWS_LAMBDA_RUNTIME_API`; `serverless invoke local` sets many of
 * Lambda's variables but also `IS_LOCAL=true`, and runs the handler once in its own process.
 */
export function lambdaModeOf(env: Env): LambdaMode {
  const onLambda = isSet(env, 'AWS_LAMBDA_RUNTIME_API') && env.IS_LOCAL !== 'true';
  return { prefetch: onLambda, oneShot: !onLambda };
}

const defaults = {
  secretsCacheExpirySeconds: 300,
} as const;

/** middy's cache key for this middleware (one secret, one key). */
const cacheKey = 'aiops-webhook-secret';
const internalKey = 'aiopsWebhookSecretValue';

/** `SECRETS_CACHE_EXPIRY_SECONDS` as milliseconds; ConfigError naming it when not a number >= 0. */
export function secretsCacheExpiryMs(env: Env): number {
  const text = (env.SECRETS_CACHE_EXPIRY_SECONDS ?? '').trim();
  if (text === '') return defaults.secretsCacheExpirySeconds * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new ConfigError('environment', [`SECRETS_CACHE_EXPIRY_SECONDS: must be a number of seconds >= 0 (got ${JSON.stringify(text)})`]);
  }
  return Math.round(seconds * 1000);
}

/** Cancels middy's background refresh of the secret (see the module comment). */
function cancelRefreshTimer(): void {
  const cached = getCache(cacheKey) as { refresh?: ReturnType<typeof setTimeout> };
  if (cached.refresh !== undefined) clearTimeout(cached.refresh);
}

/**
 * @middy/secrets-manager for the one webhook secret, made soft: its result or its error goes
 * to `context.aiopsWebhookSecret` and the handler always runs.
 */
function webhookSecretMiddleware(secretId: string, env: Env, mode: LambdaMode): MiddlewareObj<unknown, DetectResult, Error, DetectContext> {
  const inner = secretsManager({
    fetchData: { [internalKey]: secretId },
    cacheKey,
    cacheExpiry: secretsCacheExpiryMs(env),
    disablePrefetch: !mode.prefetch,
    setToContext: true,
  });
  if (mode.prefetch) {
    cancelRefreshTimer();
    // The first invocation awaits this same promise and reports its failure; this only keeps a
    // failure that arrives before that invocation from counting as an unhandled rejection.
    const prefetched = (getCache(cacheKey) as { value?: Record<string, Promise<unknown> | undefined> }).value?.[internalKey];
    prefetched?.catch(() => undefined);
  }
  return {
    before: async (request) => {
      try {
        await inner.before?.(request as never);
        const context = request.context as DetectContext & Record<string, unknown>;
        context.aiopsWebhookSecret = { secretId, value: context[internalKey] };
        // The value stays in middy's cache only; not left on the context for anyone to log.
        delete context[internalKey];
      } catch (error) {
        request.context.aiopsWebhookSecret = { secretId, error };
      } finally {
        cancelRefreshTimer();
      }
    },
  };
}

export interface LambdaHandlerDeps extends Partial<DetectHandlerDeps> {
  mode?: LambdaMode;
  /** The container's Powertools Metrics (default: namespace `aiops-detector`). */
  metrics?: Metrics;
}

/**
 * The middy-wrapped handler for `env` (the function's environment). Create it once per
 * container (functions/lambda.ts does, at import): the DynamoDB client, the Metrics instance
 * and middy's secret cache live as long as it.
 */
export function createLambdaHandler(env: Env, deps: LambdaHandlerDeps = {}) {
  const mode = deps.mode ?? lambdaModeOf(env);
  let dynamoDbClient: DynamoDBClient | undefined;
  const metrics = deps.metrics ?? createEmfMetrics(env);
  const detect = createDetectHandler(
    { env },
    {
      ...deps,
      dynamoDbClient: deps.dynamoDbClient ?? (() => (dynamoDbClient ??= new DynamoDBClient({}))),
      onCycle: deps.onCycle ?? ((figures) => publishEmf(metrics, figures)),
    },
  );
  const secretId = isSet(env, 'ALERT_WEBHOOK_SECRET_ID') ? (env.ALERT_WEBHOOK_SECRET_ID ?? '').trim() : undefined;

  const handler = middy<unknown, DetectResult, Error, DetectContext>();
  if (secretId !== undefined) handler.use(webhookSecretMiddleware(secretId, env, mode));
  return handler.handler(async (event, context, { signal }) => {
    try {
      return await detect(event, context, context.aiopsWebhookSecret, { signal });
    } finally {
      if (mode.oneShot) {
        clearCache();
        // A one-shot process exits when its work is done: the client's sockets must not hold it.
        dynamoDbClient?.destroy();
        dynamoDbClient = undefined;
      }
    }
  });
}
