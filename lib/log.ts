/**
 * Structured logging: one JSON object per line. Results (one line per series, the summary)
 * go to `out`; diagnostics (warnings, errors) to `err`. Callers pass plain objects; the
 * logger adds `level` and `time` and nothing else, so the seed's line format is kept.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  /** A result line (per-series verdict, run summary): always written, to `out`. */
  result(record: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose diagnostic lines all carry `fields` too (request id, detector). */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Secrets that must never appear in a line; replaced before writing. */
  secrets?: readonly string[];
  now?: () => Date;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A JSON-lines logger. Every line passes through secret redaction as a last line of defence. */
export function createLogger(options: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  const {
    level = 'info',
    out = (line) => process.stdout.write(line + '\n'),
    err = (line) => process.stderr.write(line + '\n'),
    secrets = [],
    now = () => new Date(),
  } = options;
  const scrub = (line: string): string => {
    let text = line;
    for (const secret of secrets) if (secret.length >= 4) text = text.split(secret).join('<redacted>');
    return text;
  };
  const diagnostic = (lvl: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (levelRank[lvl] < levelRank[level]) return;
    err(scrub(JSON.stringify({ level: lvl, time: now().toISOString(), msg: message, ...bound, ...fields })));
  };
  return {
    result: (record) => out(scrub(JSON.stringify(record))),
    debug: (m, f) => diagnostic('debug', m, f),
    info: (m, f) => diagnostic('info', m, f),
    warn: (m, f) => diagnostic('warn', m, f),
    error: (m, f) => diagnostic('error', m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that keeps every line in memory: for tests that assert on logs. */
export function createMemoryLogger(options: Omit<LoggerOptions, 'out' | 'err'> = {}): Logger & {
  lines: string[];
  results: Record<string, unknown>[];
  diagnostics: Record<string, unknown>[];
} {
  const lines: string[] = [];
  const results: Record<string, unknown>[] = [];
  const diagnostics: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    ...options,
    out: (line) => {
      lines.push(line);
      results.push(JSON.parse(line) as Record<string, unknown>);
    },
    err: (line) => {
      lines.push(line);
      diagnostics.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return Object.assign(logger, { lines, results, diagnostics });
}
