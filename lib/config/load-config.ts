/**
 * Where a configuration comes from, in order:
 * 1. `--config FILE`, else `CONFIG_FILE`: a YAML file. The file is then the whole
 *    configuration; the seed's variables (PROMETHEUS_URL, PROM_QUERY, ...) are ignored, with a
 *    warning naming them, so two sources never silently mix. Only LOG_LEVEL still applies.
 * 2. Otherwise the seed's environment variables, which make one detector named after its query
 *    (`default-<8 hex>`, env-config.ts `envDetectorName`).
 * Neither: a ConfigError saying how to give one.
 */
import { dirname, join, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Config, DetectorStateStoreConfig, StateStoreConfig } from './config.js';
import { configObjectFromEnv, envValueProblems, envVarForPath, isSet, seedEnvVars, type Env } from './env-config.js';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse-config.js';
import { errorMessage } from '../errors.js';

export interface LoadConfigOptions {
  /** `--config FILE` from the command line; wins over `CONFIG_FILE`. */
  argvConfigPath?: string;
  env: Env;
  readFile: (path: string) => Promise<string>;
  /** The OS temp dir (`os.tmpdir`), for the default file state store. */
  tmpdir: () => string;
  /** Relative config paths resolve against this; default `process.cwd()`. */
  cwd?: string;
  /** Told about ignored variables (a logger's warn). */
  warn?: (message: string, fields?: Record<string, unknown>) => void;
}

/** The CLI's state store when none is configured: survives between runs, needs no setup. */
export function defaultStateStore(tmpdir: () => string): StateStoreConfig {
  return { type: 'file', path: join(tmpdir(), 'aiops-detector', 'state.json') };
}

/** The CLI's detector state store when none is configured: a folder beside the alert state. */
export function defaultDetectorStateStore(tmpdir: () => string): DetectorStateStoreConfig {
  return { type: 'file', directory: join(tmpdir(), 'aiops-detector', 'detector-state') };
}

/**
 * Loads, checks and freezes the configuration. Throws {@link ConfigError} listing every
 * problem (by key path, or by variable name for the environment).
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const { env } = options;
  const cwd = options.cwd ?? process.cwd();
  const fromArgv = options.argvConfigPath?.trim();
  const fromEnv = isSet(env, 'CONFIG_FILE') ? (env.CONFIG_FILE ?? '').trim() : undefined;
  const file = fromArgv !== undefined && fromArgv !== '' ? fromArgv : fromEnv;
  const logLevel = isSet(env, 'LOG_LEVEL') ? (env.LOG_LEVEL ?? '').trim().toLowerCase() : undefined;

  if (file === undefined) {
    if (!isSet(env, 'PROM_QUERY')) {
      throw new ConfigError('environment', [
        'no configuration: pass --config FILE, set CONFIG_FILE, or set PROM_QUERY (and PROMETHEUS_URL) for a single detector',
      ]);
    }
    return parseConfig(configObjectFromEnv(env), {
      source: 'environment',
      defaultStateStore: defaultStateStore(options.tmpdir),
      defaultDetectorStateStore: defaultDetectorStateStore(options.tmpdir),
      describePath: envVarForPath,
      problems: envValueProblems(env),
    });
  }

  const path = resolvePath(cwd, file);
  let text: string;
  try {
    text = await options.readFile(path);
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${errorMessage(error)}`], { cause: error });
  }
  const object = parseYaml(text, path);

  const ignored = seedEnvVars.filter((name) => isSet(env, name));
  if (ignored.length > 0) {
    options.warn?.(`config file ${path} is used; environment variables ${ignored.join(', ')} are ignored`, {
      configFile: path,
      ignored,
    });
  }
  const overridden = logLevel !== undefined && isRecord(object) ? { ...object, logLevel } : object;
  return parseConfig(overridden, {
    source: path,
    baseDir: dirname(path),
    defaultStateStore: defaultStateStore(options.tmpdir),
    defaultDetectorStateStore: defaultDetectorStateStore(options.tmpdir),
    describePath: (p) => (p === 'logLevel' && logLevel !== undefined ? 'LOG_LEVEL' : p),
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** YAML text -> plain object; syntax errors (all of them) as a ConfigError with line and column. */
export function parseYaml(text: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      document.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        const where = `line ${at.line}, column ${at.col}`;
        return `${where}: ${error.message.split('\n')[0] ?? error.code}`;
      }),
    );
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) throw new ConfigError(source, ['the file is empty']);
  if (!isRecord(value)) throw new ConfigError(source, ['(top level): must be a mapping of keys (prometheus, detectors, alerts, ...)']);
  return value;
}
