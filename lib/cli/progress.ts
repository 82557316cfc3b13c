/**
 * A one-line progress bar for long CLI jobs (the backtest): rows done / total, percent, rate and
 * ETA, rewritten in place with `\r` on standard error and cleared when the job ends. Drawn only
 * when standard error is a terminal: a redirected stderr (a CI log, a file) gets nothing at all,
 * so logs never fill with carriage-return noise.
 */

export interface ProgressBarOptions {
  /** Where the line goes (standard error). */
  write: (text: string) => void;
  /** Whether `write` reaches a terminal; when false the bar is a no-op. */
  isTty: boolean;
  /** Clock in milliseconds (tests inject one); default `performance.now`. */
  nowMs?: () => number;
  /**
   * Least time between two redraws, and before the first one, so a short job draws nothing and
   * a long one costs a few writes per second. Default 100 ms.
   */
  intervalMs?: number;
  /** Text before the counts, e.g. `backtest`. */
  label?: string;
  /** Width of the bar itself in characters. Default 24. */
  barWidth?: number;
}

export interface ProgressBar {
  /** Reports progress; redraws at most once per interval. `detail` is shown after the counts. */
  update(done: number, total: number, detail?: string): void;
  /** Erases the line (if one was drawn). Call once at the end, on success and on failure. */
  clear(): void;
}

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `42s`, `3m05s`, `1h02m`: short enough for one terminal line. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Creates a progress bar; see {@link ProgressBarOptions}. */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  if (!options.isTty) return { update: () => undefined, clear: () => undefined };
  const nowMs = options.nowMs ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 100;
  const barWidth = options.barWidth ?? 24;
  const label = options.label === undefined ? '' : `${options.label} `;
  const startedMs = nowMs();
  let lastDrawMs = startedMs;
  let drawnWidth = 0;

  const draw = (done: number, total: number, detail: string | undefined, atMs: number): void => {
    const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
    const filled = Math.round(fraction * barWidth);
    const elapsedSeconds = (atMs - startedMs) / 1000;
    const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
    const eta = rate > 0 ? formatEta((total - done) / rate) : '?';
    const line =
      `${label}[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ` +
      `${integerFormat.format(done)}/${integerFormat.format(total)} rows ${Math.floor(fraction * 100)}% ` +
      `${integerFormat.format(rate)} rows/s ETA ${eta}${detail === undefined ? '' : ` ${detail}`}`;
    // Pad over the previous line's tail: it may have been longer.
    options.write(`\r${line.padEnd(drawnWidth)}`);
    drawnWidth = line.length;
  };

  return {
    update(done, total, detail) {
      const at = nowMs();
      if (at - lastDrawMs < intervalMs) return;
      lastDrawMs = at;
      draw(done, total, detail, at);
    },
    clear() {
      if (drawnWidth === 0) return;
      options.write(`\r${' '.repeat(drawnWidth)}\r`);
      drawnWidth = 0;
    },
  };
}
