/**
 * The Lambda's configuration: the detector file bundled into the package (`CONFIG_FILE`, or
 * the seed's variables when there is none), completed by what the deployment decides, from the
 * function's environment (serverless.yml params):
 *
 * | variable                 | becomes                                                     |
 * |--------------------------|-------------------------------------------------------------|
 * | `PROMETHEUS_URL`         | `prometheus.url` (wins over the file's; empty = unset)      |
 * | `STATE_TABLE`            | `alerts.stateStore: { type: dynamodb, table }`              |
 * | `STATE_TTL_DAYS`         | its `ttlDays`                                               |
 * | `DETECTOR_STATE`         | `state.store` (`s3:BUCKET[/PREFIX]`; wins over the file's)  |
 * | `ALERT_WEBHOOK_SECRET_ID`| the sink `alert-webhook`, when the file lists no sinks      |
 * | `WEBHOOK_FORMAT`         | that sink's payload (else guessed from the secret's URL)    |
 * | `LOG_LEVEL`              | `logLevel`                                                  |
 *
 * Unlike `aiops-detector run --config`, where a file is the whole configuration, these apply on
 * top of the file: the file says what to detect, the deployment where to read and write. The
 * webhook sink keeps one name whatever its format, because pending deliveries are keyed by
 * sink name: a run whose secret could not be read keeps them for the run that can.
 */
import { dirname, resolve as resolvePath } from 'node:path';
import type { Config } from '../config/config.js';
import { configObjectFromEnv, envValueProblems, envVarForPath, isSet, seedEnvVars, webhookFormatOf, type Env } from '../config/env-config.js';
import { ConfigError } from '../config/errors.js';
import { parseYaml } from '../config/load-config.js';
import { parseConfig } from '../config/parse-config.js';
import { inferSinkType, type SinkType } from '../sinks/registry.js';
import { errorMessage } from '../errors.js';
import type { WebhookSecret } from '../secrets/aws-secrets-manager.js';

/** Name of the sink built from `ALERT_WEBHOOK_SECRET_ID` (stable: pending deliveries use it). */
export const webhookSinkName = 'alert-webhook';

/**
 * `{ secretsManager: "<id>#signingSecret" }` is the `signingSecret` field of the JSON webhook
 * secret `<id>` (Secrets Manager names cannot contain `#`, so this never names a real secret).
 */
export const signingSecretSuffix = '#signingSecret';

export interface LambdaConfigOptions {
  env: Env;
  readFile: (path: string) => Promise<string>;
  /** Relative `CONFIG_FILE` paths resolve against this (Lambda: /var/task); default cwd. */
  cwd?: string;
  /** The webhook secret read this invocation, to pick the sink's payload format by its URL. */
  webhook?: WebhookSecret;
  warn?: (message: string, fields?: Record<string, unknown>) => void;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const get = (env: Env, name: string): string | undefined => (isSet(env, name) ? (env[name] ?? '').trim() : undefined);

/** The config object (file or seed variables) before the deployment's variables are applied. */
async function baseObject(options: LambdaConfigOptions): Promise<{ object: Json; source: string; baseDir?: string; problems?: string[] }> {
  const { env } = options;
  const file = get(env, 'CONFIG_FILE');
  if (file === undefined) {
    if (!isSet(env, 'PROM_QUERY')) {
      throw new ConfigError('environment', [
        'CONFIG_FILE: is not set (serverless.yml param configFile), and neither is PROM_QUERY for a single detector',
      ]);
    }
    return { object: configObjectFromEnv(env), source: 'environment', problems: envValueProblems(env) };
  }
  const path = resolvePath(options.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = await options.readFile(path);
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file (CONFIG_FILE): ${errorMessage(error)}`], { cause: error });
  }
  const object = parseYaml(text, path) as Json;
  const ignored = seedEnvVars.filter((name) => name !== 'PROMETHEUS_URL' && isSet(env, name));
  if (ignored.length > 0) {
    options.warn?.(`config file ${path} is used; environment variables ${ignored.join(', ')} are ignored`, {
      configFile: path,
      ignored,
    });
  }
  return { object, source: path, baseDir: dirname(path) };
}

/** The sink type for the webhook secret: `WEBHOOK_FORMAT`, else guessed from its URL. */
function webhookSinkType(env: Env, webhook: WebhookSecret | undefined): SinkType {
  return webhookFormatOf(env) ?? (webhook ? inferSinkType(webhook.url) : 'webhook');
}

/**
 * Loads and checks the Lambda's configuration. Throws ConfigError listing every problem, by key
 * path or by the variable that set it.
 */
export async function loadLambdaConfig(options: LambdaConfigOptions): Promise<Config> {
  const { env } = options;
  const { object, source, baseDir, problems } = await baseObject(options);
  const fromEnv = new Map<string, string>();

  const prometheusUrl = get(env, 'PROMETHEUS_URL');
  if (prometheusUrl !== undefined) {
    object.prometheus = { ...(isRecord(object.prometheus) ? object.prometheus : {}), url: prometheusUrl };
    fromEnv.set('prometheus.url', 'PROMETHEUS_URL');
  }

  const alerts: Json = isRecord(object.alerts) ? { ...object.alerts } : {};
  object.alerts = alerts;
  const table = get(env, 'STATE_TABLE');
  if (table !== undefined) {
    const ttlText = get(env, 'STATE_TTL_DAYS');
    const ttlDays = Number(ttlText);
    if (ttlText !== undefined && (!Number.isInteger(ttlDays) || ttlDays < 1)) {
      throw new ConfigError('environment', [`STATE_TTL_DAYS: must be a whole number of days >= 1 (got ${JSON.stringify(ttlText)})`]);
    }
    // Without STATE_TTL_DAYS the schema's default applies.
    alerts.stateStore = { type: 'dynamodb', table, ...(ttlText !== undefined ? { ttlDays } : {}) };
    fromEnv.set('alerts.stateStore', 'STATE_TABLE');
  } else if (alerts.stateStore === undefined) {
    // An in-memory store forgets every alert between invocations: each run would notify again.
    throw new ConfigError(source, [
      'alerts.stateStore: none configured and STATE_TABLE is not set; the Lambda needs lasting alert state (serverless.yml sets STATE_TABLE)',
    ]);
  }

  // Where each series' points and model live between invocations (docs/state.md). Without it a
  // warm container keeps state in memory, and every cold start reads whole windows again.
  const detectorState = get(env, 'DETECTOR_STATE');
  if (detectorState !== undefined) {
    object.state = { ...(isRecord(object.state) ? object.state : {}), store: detectorState };
    fromEnv.set('state.store', 'DETECTOR_STATE');
  }

  const secretId = get(env, 'ALERT_WEBHOOK_SECRET_ID');
  const sinks = Array.isArray(alerts.sinks) ? alerts.sinks : [];
  if (secretId !== undefined && sinks.length === 0) {
    const type = webhookSinkType(env, options.webhook);
    const sink: Json = { name: webhookSinkName, type, url: { secretsManager: secretId } };
    if (options.webhook?.signingSecret !== undefined) {
      if (type === 'webhook') sink.signingSecret = { secretsManager: `${secretId}${signingSecretSuffix}` };
      else options.warn?.('the webhook secret has a signingSecret, but only the generic webhook format signs', { sinkType: type });
    }
    alerts.sinks = [sink];
  }

  const logLevel = get(env, 'LOG_LEVEL');
  if (logLevel !== undefined) {
    object.logLevel = logLevel.toLowerCase();
    fromEnv.set('logLevel', 'LOG_LEVEL');
  }

  return parseConfig(object, {
    source,
    ...(baseDir !== undefined ? { baseDir } : {}),
    ...(problems !== undefined ? { problems } : {}),
    describePath: (path) => fromEnv.get(path) ?? (source === 'environment' ? envVarForPath(path) : path),
  });
}
