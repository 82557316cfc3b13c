/**
 * From a plain object (parsed YAML, or the object built from environment variables) to the
 * frozen {@link Config}: the schema checks each key, then the checks that span keys (unique
 * names, enough points in a window, a SigV4 region), all reported together, by path.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { z } from 'zod';
import type {
  Config,
  PrometheusAuth,
  PrometheusConfig,
  SecretRef,
  SinkConfig,
  StateStoreConfig,
} from './config.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { configDefaults, configSchema, type ParsedConfig } from './schema.js';

export interface ParseConfigOptions {
  /** Where the object came from, for the error message: a file path or `environment`. */
  source: string;
  /**
   * Relative paths in the config (`caFile`, `recording.path`, a file state store, `{ file }`
   * secrets) are resolved against this directory: the config file's own. Left as they are
   * when absent.
   */
  baseDir?: string;
  /** State store when the config names none; `memory` when absent. */
  defaultStateStore?: StateStoreConfig;
  /**
   * Renames paths in problems: the env loader maps `detectors[0].windowMinutes` to
   * `WINDOW_MINUTES` so messages name what the user actually set.
   */
  describePath?: (path: string) => string;
}

/** `aps-workspaces.<region>.amazonaws.com` (and its FIPS / dual-stack variants). */
const apsHostPattern = /^aps-workspaces(?:-fips)?\.([a-z0-9-]+)\.(?:api\.aws|amazonaws\.com(?:\.cn)?)$/i;

/** The AWS region of an Amazon Managed Service for Prometheus workspace URL, or undefined. */
export function apsRegionOf(url: string): string | undefined {
  try {
    return apsHostPattern.exec(new URL(url).hostname)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Checks `input` against the schema and the cross-key rules and returns the frozen Config.
 * Throws {@link ConfigError} listing every problem by path.
 */
export function parseConfig(input: unknown, options: ParseConfigOptions): Config {
  const describe = options.describePath ?? ((path: string) => path);
  const result = configSchema.safeParse(input, { reportInput: true });
  const problems = result.success ? [] : result.error.issues.flatMap(formatIssue);
  // Cross-key rules read the raw input so they are reported even when other keys failed.
  problems.push(...crossKeyProblems(input));
  if (problems.length > 0 || !result.success) {
    const renamed = problems.map((problem) => {
      const colon = problem.indexOf(': ');
      return colon < 0 ? problem : `${describe(problem.slice(0, colon))}${problem.slice(colon)}`;
    });
    throw new ConfigError(options.source, [...new Set(renamed)]);
  }
  return deepFreeze(toConfig(result.data, options));
}

function toConfig(parsed: ParsedConfig, options: ParseConfigOptions): Config {
  const path = (p: string): string =>
    options.baseDir !== undefined && !isAbsolute(p) ? resolvePath(options.baseDir, p) : p;
  const secret = (ref: SecretRef): SecretRef => ('file' in ref ? { file: path(ref.file) } : ref);

  const p = parsed.prometheus;
  const url = (p.url ?? configDefaults.prometheusUrl).replace(/\/+$/, '');
  const prometheus: PrometheusConfig = {
    url,
    auth: toAuth(p.auth, url, secret),
    headers: p.headers,
    ...(p.caFile !== undefined ? { caFile: path(p.caFile) } : {}),
    timeoutMs: p.timeoutMs,
    retries: p.retries,
    ...(p.remoteWriteUrl !== undefined ? { remoteWriteUrl: p.remoteWriteUrl } : {}),
    ...(p.recording ? { recording: { path: path(p.recording.path), rebase: p.recording.rebase } } : {}),
  };

  const sinks: SinkConfig[] = parsed.alerts.sinks.map((sink) => ({
    name: sink.name ?? sink.type,
    type: sink.type,
    ...('url' in sink ? { url: secret(sink.url) } : {}),
    ...('signingSecret' in sink && sink.signingSecret ? { signingSecret: secret(sink.signingSecret) } : {}),
    timeoutMs: sink.timeoutMs,
    retries: sink.retries,
  }));
  if (sinks.length === 0) {
    sinks.push({ name: 'console', type: 'console', timeoutMs: configDefaults.sinkTimeoutMs, retries: 0 });
  }

  const store = parsed.alerts.stateStore ?? options.defaultStateStore ?? { type: 'memory' };
  const stateStore: StateStoreConfig = store.type === 'file' ? { type: 'file', path: path(store.path) } : store;

  return {
    prometheus,
    detectors: parsed.detectors,
    alerts: {
      repeatIntervalMinutes: parsed.alerts.repeatIntervalMinutes,
      resolveAfter: parsed.alerts.resolveAfter,
      sendResolved: parsed.alerts.sendResolved,
      stateStore,
      sinks,
    },
    concurrency: parsed.concurrency,
    logLevel: parsed.logLevel,
    ...(parsed.writeBack ? { writeBack: { enabled: parsed.writeBack.enabled } } : {}),
  };
}

function toAuth(
  auth: ParsedConfig['prometheus']['auth'],
  url: string,
  secret: (ref: SecretRef) => SecretRef,
): PrometheusAuth {
  const apsRegion = apsRegionOf(url);
  if (auth === undefined) {
    // An Amazon Managed Prometheus workspace only answers signed requests: sign unless told otherwise.
    return apsRegion !== undefined ? { type: 'sigv4', region: apsRegion, service: 'aps' } : { type: 'none' };
  }
  switch (auth.type) {
    case 'none':
      return auth;
    case 'bearer':
      return { type: 'bearer', token: secret(auth.token) };
    case 'basic':
      return { type: 'basic', username: auth.username, password: secret(auth.password) };
    case 'sigv4':
      // crossKeyProblems reported a missing region already; the fallback is never used.
      return { type: 'sigv4', region: auth.region ?? apsRegion ?? '', service: auth.service };
  }
}

type Issue = z.core.$ZodIssue;

/** `['detectors', 1, 'windowMinutes']` -> `detectors[1].windowMinutes`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === '' ? '(top level)' : out;
}

function formatIssue(issue: Issue): string[] {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return [`${where}: is required`];
  if (issue.code === 'invalid_key') return [`${where}: ${issue.issues[0]?.message ?? issue.message}`];
  return [`${where}: ${issue.message}`];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Rules spanning several keys, read defensively from the raw input. */
function crossKeyProblems(input: unknown): string[] {
  if (!isRecord(input)) return [];
  const problems: string[] = [];

  const detectors = Array.isArray(input.detectors) ? input.detectors : [];
  const seenDetectors = new Map<string, number>();
  detectors.forEach((detector: unknown, index) => {
    if (!isRecord(detector)) return;
    if (typeof detector.name === 'string' && detector.name.trim() !== '') {
      const name = detector.name.trim();
      const first = seenDetectors.get(name);
      if (first !== undefined) {
        problems.push(`detectors[${index}].name: "${name}" is already the name of detectors[${first}]; names must be unique`);
      } else {
        seenDetectors.set(name, index);
      }
    }
    const windowMinutes = parseDuration(detector.windowMinutes ?? configDefaults.windowMinutes, 'min');
    const stepSeconds = parseDuration(detector.stepSeconds ?? configDefaults.stepSeconds, 's');
    const minPoints = detector.minPoints ?? configDefaults.minPoints;
    if (
      windowMinutes !== undefined && windowMinutes > 0 &&
      stepSeconds !== undefined && stepSeconds > 0 &&
      typeof minPoints === 'number'
    ) {
      // The brief's rule, one point stricter than the inclusive count, so a window that lost
      // its newest sample to scrape delay still has enough.
      const points = Math.floor((windowMinutes * 60) / stepSeconds);
      if (points < minPoints) {
        problems.push(
          `detectors[${index}]: a window of ${windowMinutes} min at a step of ${stepSeconds} s gives ${points} points, ` +
            `fewer than minPoints ${minPoints}; lengthen windowMinutes, shorten stepSeconds or lower minPoints`,
        );
      }
    }
  });

  const alerts = isRecord(input.alerts) ? input.alerts : {};
  const sinks = Array.isArray(alerts.sinks) ? alerts.sinks : [];
  const seenSinks = new Map<string, number>();
  sinks.forEach((sink: unknown, index) => {
    if (!isRecord(sink)) return;
    const name = typeof sink.name === 'string' ? sink.name.trim() : typeof sink.type === 'string' ? sink.type : undefined;
    if (name === undefined || name === '') return;
    const first = seenSinks.get(name);
    if (first !== undefined) {
      problems.push(
        `alerts.sinks[${index}].name: "${name}" is already the name of alerts.sinks[${first}]; ` +
          'names must be unique (a sink without a name is named after its type)',
      );
    } else {
      seenSinks.set(name, index);
    }
  });

  const prometheus = isRecord(input.prometheus) ? input.prometheus : {};
  const auth = isRecord(prometheus.auth) ? prometheus.auth : undefined;
  if (auth?.type === 'sigv4' && auth.region === undefined) {
    const url = typeof prometheus.url === 'string' ? prometheus.url : '';
    if (apsRegionOf(url) === undefined) {
      problems.push('prometheus.auth.region: is required when prometheus.url is not an aps-workspaces.<region>.amazonaws.com URL');
    }
  }
  return problems;
}

/** Freezes an object and everything reachable from it (the config is shared by every module). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
