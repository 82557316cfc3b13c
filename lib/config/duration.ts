/**
 * Durations in configuration: a plain number in the unit the key names (`windowMinutes: 60`,
 * `stepSeconds: 60`) or a Prometheus-style duration string (`90s`, `1m`, `1h30m`, `500ms`).
 */

export type DurationUnit = 'ms' | 's' | 'min';

const unitMs: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const targetMs: Record<DurationUnit, number> = { ms: 1, s: 1_000, min: 60_000 };

const durationPattern = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const partPattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const plainNumberPattern = /^\d+(?:\.\d+)?$/;

/**
 * `value` converted to `unit`, or undefined when it is neither a number nor a duration.
 * A bare numeric string (`"60"`, as environment variables are) counts as already in `unit`.
 */
export function parseDuration(value: unknown, unit: DurationUnit): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (plainNumberPattern.test(text)) return Number(text);
  if (!durationPattern.test(text)) return undefined;
  let totalMs = 0;
  for (const match of text.matchAll(partPattern)) {
    totalMs += Number(match[1]) * (unitMs[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(totalMs) ? totalMs / targetMs[unit] : undefined;
}
