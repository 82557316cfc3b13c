/**
 * Axis ticks for the backtest report: round time steps (5 min, 1 h, 1 day, ...) labelled in
 * UTC, and "nice" numeric steps (1, 2, 5 x 10^k) for values.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Candidate spacings of time ticks, smallest first. */
const TIME_STEPS_MS: readonly number[] = [
  1000,
  5000,
  15_000,
  30_000,
  MINUTE_MS,
  5 * MINUTE_MS,
  15 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  3 * HOUR_MS,
  6 * HOUR_MS,
  12 * HOUR_MS,
  DAY_MS,
  2 * DAY_MS,
  7 * DAY_MS,
  14 * DAY_MS,
  30 * DAY_MS,
  91 * DAY_MS,
  365 * DAY_MS,
];

export interface Tick {
  readonly at: number;
  readonly label: string;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2014-04-10`, `04-10 07:15` or `07:15:30` (UTC), depending on the tick spacing. */
export function formatTimeTick(ms: number, stepMs: number): string {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  if (stepMs >= DAY_MS) return date;
  if (stepMs < MINUTE_MS) return `${time}:${pad2(d.getUTCSeconds())}`;
  return `${date.slice(5)} ${time}`;
}

/** About `target` time ticks on round UTC boundaries inside [fromMs, toMs]. */
export function timeTicks(fromMs: number, toMs: number, target = 7): Tick[] {
  const span = Math.max(toMs - fromMs, 1);
  const step = TIME_STEPS_MS.find((s) => span / s <= target) ?? 365 * DAY_MS;
  const ticks: Tick[] = [];
  for (let at = Math.ceil(fromMs / step) * step; at <= toMs; at += step) {
    ticks.push({ at, label: formatTimeTick(at, step) });
  }
  return ticks;
}

/** A 1, 2 or 5 x 10^k step giving about `target` intervals over `span`. */
export function niceStep(span: number, target = 4): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** A number for an axis label: compact for large magnitudes, enough decimals for the step. */
export function formatNumber(value: number, step: number): string {
  if (Math.abs(value) >= 10_000) {
    return new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 4 }).format(value);
  }
  const decimals = step > 0 && step < 1 ? Math.min(6, Math.ceil(-Math.log10(step))) : 0;
  return value.toFixed(decimals);
}

/** Numeric ticks covering [min, max], and the rounded range they span. */
export function valueTicks(min: number, max: number, target = 4): { ticks: Tick[]; low: number; high: number } {
  let lo = min;
  let hi = max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) {
    const pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, target);
  const low = Math.floor(lo / step) * step;
  const high = Math.ceil(hi / step) * step;
  const ticks: Tick[] = [];
  // Index-based so floating-point steps do not drift (0.1 + 0.2 ...).
  for (let k = 0; low + k * step <= high + step * 1e-9; k += 1) {
    const at = low + k * step;
    ticks.push({ at, label: formatNumber(at, step) });
  }
  return { ticks, low, high };
}
