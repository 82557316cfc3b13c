/**
 * From a plain object (parsed YAML, or the object built from environment variables) to the
 * frozen {@link Config}: the schema checks each key, then the checks that span keys (unique
 * names, enough points in a window, a SigV4 region), all reported together, by path.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { z } from 'zod';
import { stateStoreKinds } from '../alerts/state-store-registry.js';
import { apsRegionOf } from '../aws/aps-workspace.js';
import { blobStoreKinds } from '../model/blob-store-registry.js';
import type { Config, DetectorStateStoreConfig, SecretRef, StateStoreConfig } from './config.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { configDefaults, configSchema } from './schema.js';

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
  /** Detector state store (`state.store`) when the config names none; `memory` when absent. */
  defaultDetectorStateStore?: DetectorStateStoreConfig;
  /**
   * Renames paths in problems: the env loader maps `detectors[0].windowMinutes` to
   * `WINDOW_MINUTES` so messages name what the user actually set.
   */
  describePath?: (path: string) => string;
  /**
   * Problems found before the schema, in values that never enter the config (the env loader's
   * `ALERT_WEBHOOK`), listed with the schema's so every problem is reported at once.
   */
  problems?: readonly string[];
}

/**
 * Checks `input` against the schema and the cross-key rules and returns the frozen Config.
 * Throws {@link ConfigError} listing every problem by path.
 */
export function parseConfig(input: unknown, options: ParseConfigOptions): Config {
  const describe = options.describePath ?? ((path: string) => path);
  const completed = withDefaultDetectorStateStore(withDefaultStateStore(input, options.defaultStateStore), options.defaultDetectorStateStore);
  // jitless: a config is parsed once per run, so zod's JIT (a parser generated and compiled
  // per object schema on its first parse) costs more than it saves: ~5 ms of a cold start.
  const result = configSchema.safeParse(completed, { reportInput: true, jitless: true });
  const problems = result.success ? [] : result.error.issues.flatMap(formatIssue);
  // Cross-key rules read the raw input so they are reported even when other keys failed.
  problems.push(...crossKeyProblems(completed));
  if (problems.length > 0 || !result.success || (options.problems ?? []).length > 0) {
    const renamed = problems.map((problem) => {
      const colon = problem.indexOf(': ');
      return colon < 0 ? problem : `${describe(problem.slice(0, colon))}${problem.slice(colon)}`;
    });
    throw new ConfigError(options.source, [...new Set([...renamed, ...(options.problems ?? [])])]);
  }
  return deepFreeze(options.baseDir !== undefined ? resolvePaths(result.data, options.baseDir) : result.data);
}

/** `input` with `alerts.stateStore` set to `store` when it names none (the loader's default differs by entry point). */
function withDefaultStateStore(input: unknown, store: StateStoreConfig | undefined): unknown {
  if (store === undefined || !isRecord(input)) return input;
  const alerts = input.alerts ?? {};
  if (!isRecord(alerts) || alerts.stateStore !== undefined) return input;
  return { ...input, alerts: { ...alerts, stateStore: store } };
}

/** `input` with `state.store` set to `store` when it names none. */
function withDefaultDetectorStateStore(input: unknown, store: DetectorStateStoreConfig | undefined): unknown {
  if (store === undefined || !isRecord(input)) return input;
  const state = input.state ?? {};
  if (!isRecord(state) || state.store !== undefined) return input;
  return { ...input, state: { ...state, store } };
}

/**
 * Relative paths in the config (`caFile`, `recording.path`, a file state store, `{ file }`
 * secrets) resolved against `baseDir`, the config file's own folder.
 */
function resolvePaths(config: Config, baseDir: string): Config {
  const path = (p: string): string => (isAbsolute(p) ? p : resolvePath(baseDir, p));
  const secret = <Ref extends SecretRef | undefined>(ref: Ref): Ref => (ref !== undefined && 'file' in ref ? { file: path(ref.file) } : ref) as Ref;
  const { prometheus, alerts } = config;
  const auth = prometheus.auth;
  const store = alerts.stateStore;
  const storeKind = stateStoreKinds.find((kind) => kind.type === store.type);
  const storePaths = Object.fromEntries(
    (storeKind?.pathKeys ?? []).map((key) => [key, path((store as Record<string, unknown>)[key] as string)]),
  );
  const modelStore = config.state.store;
  const modelStoreKind = blobStoreKinds.find((kind) => kind.type === modelStore.type);
  const modelStorePaths = Object.fromEntries(
    (modelStoreKind?.pathKeys ?? []).map((key: string) => [key, path((modelStore as Record<string, unknown>)[key] as string)]),
  );
  return {
    ...config,
    prometheus: {
      ...prometheus,
      auth: auth.type === 'bearer' ? { ...auth, token: secret(auth.token) } : auth.type === 'basic' ? { ...auth, password: secret(auth.password) } : auth,
      ...(prometheus.caFile !== undefined ? { caFile: path(prometheus.caFile) } : {}),
      ...(prometheus.recording ? { recording: { ...prometheus.recording, path: path(prometheus.recording.path) } } : {}),
    },
    state: { ...config.state, store: { ...modelStore, ...modelStorePaths } },
    alerts: {
      ...alerts,
      stateStore: { ...store, ...storePaths },
      sinks: alerts.sinks.map((sink) => ({
        ...sink,
        ...('url' in sink ? { url: secret(sink.url) } : {}),
        ...('signingSecret' in sink && sink.signingSecret !== undefined ? { signingSecret: secret(sink.signingSecret) } : {}),
      })),
    },
  };
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
