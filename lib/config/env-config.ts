/**
 * The seed's environment variables, which still work on their own and make one detector:
 * PROMETHEUS_URL, PROM_QUERY, WINDOW_MINUTES, STEP, CONTAMINATION, MIN_POINTS, ALERT_WEBHOOK,
 * plus WEBHOOK_FORMAT, STATE_STORE and LOG_LEVEL. They become the same plain object a YAML file
 * would hold, so one schema checks both.
 */
import { ConfigError } from './errors.js';
import { httpUrlMessage, isHttpUrl } from './fields.js';
import { fnv1a32 } from '../series/index.js';
import { inferSinkType, sinkTypeOfFormat, webhookFormatNames, type SinkType } from '../sinks/registry.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The variables that configure detection (not CONFIG_FILE, LOG_LEVEL, or secrets by name). */
export const seedEnvVars = [
  'PROMETHEUS_URL',
  'PROM_QUERY',
  'WINDOW_MINUTES',
  'STEP',
  'CONTAMINATION',
  'MIN_POINTS',
  'ALERT_WEBHOOK',
  'WEBHOOK_FORMAT',
  'STATE_STORE',
  'DETECTOR_STATE',
] as const;

/**
 * Name of the single detector the environment makes: `default-` and 8 hex digits of a hash of
 * PROM_QUERY (without surrounding blanks), e.g. `default-3b1f0c2a`. The detector name keys the
 * alert state in every store, the notification ids and Alertmanager's `detector` label, and
 * seeds the forests: two seed-style configs with different queries on one host (sharing the
 * default state file, or a table) must never see each other's series as vanished and resolve
 * them. The same query always gives the same name, so its state survives between runs.
 */
export function envDetectorName(query: string): string {
  return `default-${fnv1a32(query.trim()).toString(16).padStart(8, '0')}`;
}

/** Config path -> variable, so problems name what the user set. */
const envVarOfPath: Record<string, string> = {
  'prometheus.url': 'PROMETHEUS_URL',
  'detectors[0].query': 'PROM_QUERY',
  'detectors[0].windowMinutes': 'WINDOW_MINUTES',
  'detectors[0].stepSeconds': 'STEP',
  'detectors[0].contamination': 'CONTAMINATION',
  'detectors[0].minPoints': 'MIN_POINTS',
  'detectors[0]': 'WINDOW_MINUTES/STEP/MIN_POINTS',
  'alerts.stateStore': 'STATE_STORE',
  'state.store': 'DETECTOR_STATE',
  logLevel: 'LOG_LEVEL',
};

/** `detectors[0].windowMinutes` -> `WINDOW_MINUTES`; other paths unchanged. */
export function envVarForPath(path: string): string {
  return envVarOfPath[path] ?? path;
}

/** True when a variable is set to something other than blanks. */
export function isSet(env: Env, name: string): boolean {
  return (env[name] ?? '').trim() !== '';
}

/** A numeric string as a number; anything else as it is, for the schema to reject by name. */
function numberOrText(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

/**
 * The sink type `WEBHOOK_FORMAT` chooses (slack, teams, alertmanager, generic: the sink
 * registry's formats); undefined when it is not set. Throws {@link ConfigError} naming the
 * variable for an unknown value.
 */
export function webhookFormatOf(env: Env): SinkType | undefined {
  const format = isSet(env, 'WEBHOOK_FORMAT') ? (env.WEBHOOK_FORMAT ?? '').trim().toLowerCase() : undefined;
  if (format === undefined) return undefined;
  const type = sinkTypeOfFormat(format);
  if (type === undefined) {
    throw new ConfigError('environment', [
      `WEBHOOK_FORMAT: must be one of ${webhookFormatNames.join(', ')} (got ${JSON.stringify(format)})`,
    ]);
  }
  return type;
}

/**
 * Problems of variables whose values never enter the config object, to be listed with the
 * schema's: `ALERT_WEBHOOK` must be an http(s) URL. The message names the variable, never the
 * value (a webhook URL carries its credential).
 */
export function envValueProblems(env: Env): string[] {
  const webhook = isSet(env, 'ALERT_WEBHOOK') ? (env.ALERT_WEBHOOK ?? '').trim() : undefined;
  return webhook !== undefined && !isHttpUrl(webhook) ? [`ALERT_WEBHOOK: ${httpUrlMessage}`] : [];
}

/**
 * The config object the environment describes. The webhook URL itself never enters it: the
 * sink gets `{ env: 'ALERT_WEBHOOK' }`, resolved when sending. Throws {@link ConfigError} for
 * an unknown WEBHOOK_FORMAT (the one variable checked here, as it chooses the sink type).
 */
export function configObjectFromEnv(env: Env): Record<string, unknown> {
  const get = (name: string): string | undefined => (isSet(env, name) ? (env[name] ?? '').trim() : undefined);

  const query = get('PROM_QUERY');
  // Without PROM_QUERY the schema reports it missing; the name is then never used.
  const detector: Record<string, unknown> = { name: envDetectorName(query ?? ''), query };
  const window = get('WINDOW_MINUTES');
  if (window !== undefined) detector.windowMinutes = window;
  const step = get('STEP');
  if (step !== undefined) detector.stepSeconds = step;
  const contamination = get('CONTAMINATION');
  if (contamination !== undefined) detector.contamination = contamination === 'auto' ? 'auto' : numberOrText(contamination);
  const minPoints = get('MIN_POINTS');
  if (minPoints !== undefined) detector.minPoints = numberOrText(minPoints);

  const alerts: Record<string, unknown> = {};
  const stateStore = get('STATE_STORE');
  if (stateStore !== undefined) alerts.stateStore = stateStore;
  const webhook = get('ALERT_WEBHOOK');
  const format = webhookFormatOf(env);
  if (webhook !== undefined) {
    // The value is read here only to guess its format; it is not kept.
    const type = format ?? inferSinkType(webhook);
    alerts.sinks = [{ name: type, type, url: { env: 'ALERT_WEBHOOK' } }];
  } else if (format !== undefined) {
    throw new ConfigError('environment', ['WEBHOOK_FORMAT: is set but ALERT_WEBHOOK is not; set the webhook URL too']);
  }

  const object: Record<string, unknown> = { detectors: [detector], alerts };
  const url = get('PROMETHEUS_URL');
  if (url !== undefined) object.prometheus = { url };
  const detectorState = get('DETECTOR_STATE');
  if (detectorState !== undefined) object.state = { store: detectorState };
  const logLevel = get('LOG_LEVEL');
  if (logLevel !== undefined) object.logLevel = logLevel.toLowerCase();
  return object;
}
