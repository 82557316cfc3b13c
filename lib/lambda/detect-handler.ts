/**
 * The Lambda's work for one invocation, free of middy: from the event, the context and the
 * webhook secret middy fetched, to one detection run with the CLI's log lines, DynamoDB alert
 * state and a deadline. lib/lambda/middy-handler.ts wraps it; functions/lambda.ts exports that.
 *
 * Deadline: the run gets an AbortSignal that fires `abortMarginMs` (5 s, at most a quarter of
 * the time left) before the Lambda timeout. runDetection() then starts no further detector,
 * in-flight queries and deliveries are cancelled, undelivered notifications stay pending in the
 * state table, and the summary lists the detectors it skipped, in time to write all that down.
 *
 * Outcome: the summary (without per-series results, which are in the log) is returned when the
 * run fully succeeded. Otherwise a RunFailedError is thrown after the summary line: the
 * invocation counts as failed (`Errors` metric, the on-failure queue), while what could not be
 * delivered is retried by the next scheduled run, not by Lambda (serverless.yml sets
 * `maximumRetryAttempts: 0`: an async retry would only overlap that run).
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbStateStore } from '../alerts/dynamodb-state-store.js';
import type { Env } from '../config/env-config.js';
import { errorMessage } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { redactSecrets } from '../redact.js';
import type { RunSummary } from '../run.js';
import type { RuntimeDeps } from '../runtime.js';
import type { CycleObserver } from '../self-metrics/cycle-figures.js';
import { start, type Started } from '../start.js';
import type { SecretProvider } from '../secrets/secret-provider.js';
import { RunFailedError } from './errors.js';
import { loadLambdaConfig } from './lambda-config.js';
import { parseLambdaInput, type LambdaInput } from './lambda-input.js';
import { readWebhookSecret, webhookSecretProviders, type WebhookSecretFetch, type WebhookSecretRead } from './webhook-secret.js';

/** The part of Lambda's context this handler reads (invoke local and tests provide the same). */
export interface LambdaContextLike {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

/** What an invocation returns: the run summary without its per-series results (logged already). */
export type DetectResult = Omit<RunSummary, 'results'>;

export interface DetectHandlerOptions {
  /** The function's environment (CONFIG_FILE, PROMETHEUS_URL, STATE_TABLE, ...). */
  env: Env;
  /** Stop the run this long before the Lambda timeout (capped at a quarter of the time left). */
  abortMarginMs?: number;
}

export interface DetectHandlerDeps {
  /** The container's DynamoDB client (created once, reused by warm invocations). */
  dynamoDbClient: () => DynamoDBClient;
  /** Secrets Manager secrets other than the webhook secret (a config file's own refs). */
  otherSecret?: (secretId: string) => SecretProvider;
  readFile?: (path: string) => Promise<string>;
  /** Relative CONFIG_FILE paths resolve against this (default: the process' cwd, /var/task). */
  cwd?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
  now?: () => Date;
  /** Source and sink overrides (tests shorten retry waits). */
  runtime?: Pick<RuntimeDeps, 'source' | 'sink'>;
  /** Receives each run's own figures (the middy handler publishes them as CloudWatch EMF). */
  onCycle?: CycleObserver;
}

export type DetectHandler = (
  event: unknown,
  context: LambdaContextLike,
  webhook: WebhookSecretFetch | undefined,
  options?: { signal?: AbortSignal },
) => Promise<DetectResult>;

const defaults = {
  abortMarginMs: 5_000,
} as const;

/**
 * Adds the request id to a result line (`{...}` from JSON.stringify): diagnostics carry it
 * through logger.child, results are the seed's lines plus this one key.
 */
function withRequestId(line: string, requestId: string): string {
  if (!line.startsWith('{') || !line.endsWith('}')) return line;
  const tail = `"requestId":${JSON.stringify(requestId)}}`;
  return line === '{}' ? `{${tail}` : `${line.slice(0, -1)},${tail}`;
}

/** "a: no detector named 'a'; b: skipped: run aborted" from the failed outcomes. */
function failureText(summary: RunSummary): string {
  const failed = summary.outcomes.filter((o) => !o.ok).map((o) => `${o.name}: ${o.error ?? 'failed'}`);
  const pending = summary.pending > 0 ? `; ${summary.pending} notification(s) pending for the next run` : '';
  return `detection run failed (${summary.failures} failure(s)${summary.skipped.length > 0 ? `, skipped ${summary.skipped.join(', ')}` : ''}): ${failed.join('; ')}${pending}`;
}

/** A signal that fires `marginMs` before the deadline the context reports; none without one. */
function deadlineSignal(
  context: LambdaContextLike,
  marginMs: number,
  logger: Logger,
): { signal?: AbortSignal; clear: () => void } {
  const remainingMs = context.getRemainingTimeInMillis?.();
  if (remainingMs === undefined || !Number.isFinite(remainingMs)) return { clear: () => undefined };
  const budgetMs = Math.max(0, remainingMs - Math.min(marginMs, remainingMs / 4));
  const controller = new AbortController();
  const timer = setTimeout(() => {
    logger.warn('stopping the run before the Lambda timeout; undelivered notifications stay pending', {
      remainingMs: context.getRemainingTimeInMillis?.(),
      budgetMs: Math.round(budgetMs),
    });
    controller.abort(new Error(`run stopped ${Math.round(remainingMs - budgetMs)} ms before the Lambda timeout`));
  }, budgetMs);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** Builds the per-invocation handler. Nothing is contacted until it is called. */
export function createDetectHandler(options: DetectHandlerOptions, deps: DetectHandlerDeps): DetectHandler {
  const { env, abortMarginMs } = { ...defaults, ...options };
  const readFile = deps.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  const now = deps.now ?? (() => new Date());

  return async (event, context, webhook, handlerOptions = {}) => {
    const requestId = context.awsRequestId ?? 'local';
    // Filled as secrets are read; every logger below redacts them from every line.
    const secrets: string[] = [];
    const out = (line: string): void => (deps.out ?? ((l) => process.stdout.write(`${l}\n`)))(withRequestId(line, requestId));
    const err = deps.err ?? ((line: string) => process.stderr.write(`${line}\n`));
    let read: WebhookSecretRead | undefined;
    if (webhook) {
      read = readWebhookSecret(webhook);
      if ('secret' in read) secrets.push(read.secret.url, ...(read.secret.signingSecret ? [read.secret.signingSecret] : []));
    }
    const secretProviders = read
      ? webhookSecretProviders(read, deps.otherSecret)
      : deps.otherSecret
        ? { secretsManager: deps.otherSecret }
        : undefined;

    let input: LambdaInput;
    let started: Started;
    try {
      input = parseLambdaInput(event);
      started = await start({
        loadConfig: (warn) =>
          loadLambdaConfig({
            env,
            readFile,
            ...(deps.cwd !== undefined ? { cwd: deps.cwd } : {}),
            ...(read && 'secret' in read ? { webhook: read.secret } : {}),
            warn,
          }),
        out,
        err,
        logFields: { requestId },
        secrets,
        ...(deps.onCycle ? { onCycle: deps.onCycle } : {}),
        runtime: {
          env,
          readFile,
          ...(secretProviders ? { secretProviders } : {}),
          storeAdapters: {
            // The container's client unless the config names another region for the table.
            dynamodb: (store) =>
              createDynamoDbStateStore(
                store,
                store.region === undefined || store.region === env.AWS_REGION ? { client: deps.dynamoDbClient() } : {},
              ),
          },
          ...deps.runtime,
        },
      });
    } catch (error) {
      createLogger({ out, err, secrets })
        .child({ requestId })
        .error('invocation cannot run', { error: redactSecrets(errorMessage(error), secrets) });
      throw error;
    }

    const deadline = deadlineSignal(context, abortMarginMs, started.logger);
    const signals = [deadline.signal, handlerOptions.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    let summary: RunSummary;
    try {
      summary = await started.runCycle({ now: now(), signal, dryRun: input.dryRun, ...(input.detectors ? { detectors: input.detectors } : {}) });
    } finally {
      deadline.clear();
      await started.close();
    }
    if (!summary.ok) throw new RunFailedError(redactSecrets(failureText(summary), secrets));
    const { results: _results, ...result } = summary;
    return result;
  };
}
