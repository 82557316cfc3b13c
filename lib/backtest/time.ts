/**
 * Times of a backtest: `--start`/`--end` and `--step` as people type them, and the RFC 3339 form
 * the output and messages print.
 */
import { parseDuration } from '../config/duration.js';
import { InputError } from '../errors.js';

const rfc3339Pattern = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const unixSecondsPattern = /^\d+(?:\.\d+)?$/;

/**
 * A `--start`/`--end` value in Unix milliseconds: RFC 3339 with a `Z` or an offset (no
 * local-time guessing), Unix seconds (as Prometheus' API takes them), `now`, or `now-<duration>`
 * (`now-7d`, `now-1h30m`). The error names `flag`.
 */
export function parseTimeFlag(text: string, flag: string, nowMs: number): number {
  const value = text.trim();
  const fail = (): never => {
    throw new InputError(
      `backtest: ${flag} '${text}' is not a time: use RFC 3339 (2024-05-01T00:00:00Z), Unix seconds (1714521600), now, or now-7d`,
    );
  };
  if (unixSecondsPattern.test(value)) return Number(value) * 1000;
  const relative = /^now(?:\s*-\s*(\S+))?$/.exec(value);
  if (relative) {
    if (relative[1] === undefined) return nowMs;
    const agoMs = parseDuration(relative[1], 'ms');
    // A bare number after now- would be ambiguous (seconds? minutes?): a unit is required.
    if (agoMs === undefined || /^\d+(?:\.\d+)?$/.test(relative[1])) return fail();
    return nowMs - agoMs;
  }
  const match = rfc3339Pattern.exec(value);
  if (!match) return fail();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // Date.parse rolls 2024-02-30 over into March; RFC 3339 says it is no date at all.
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return fail();
  }
  const ms = Date.parse(value.replace(' ', 'T').toUpperCase());
  return Number.isNaN(ms) ? fail() : ms;
}

/** The `--step` value in seconds: a number of seconds or a duration (`30s`, `5m`). */
export function parseStepSeconds(text: string): number {
  const seconds = parseDuration(text, 's');
  if (seconds === undefined || !(seconds > 0)) {
    throw new InputError(`backtest: --step '${text}' is not a duration: use seconds (60) or a duration such as 30s, 5m, 1h`);
  }
  return seconds;
}

/** RFC 3339 in UTC, without the milliseconds when they are zero (Prometheus' grid never has them). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
