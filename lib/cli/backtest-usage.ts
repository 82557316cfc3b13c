/**
 * `aiops-detector backtest --help`: both modes, their flags and the exit codes; and the error a
 * flag mistake throws, which shows the same text.
 */
import { InputError } from '../errors.js';

/** The full usage text of `aiops-detector backtest`. */
export const backtestUsage = `Usage:
  aiops-detector backtest --input FILE.csv (--output OUT.csv | --report OUT.html) [options]
  aiops-detector backtest --prometheus URL --query PROMQL --start TIME --end TIME
                          (--output OUT.csv | --report OUT.html) [--step 60s] [options]

Replays history point by point exactly as the scheduled run would have seen it (same detection
code, same settings, same alert lifecycle) and writes, for every point:

  timestamp,value,anomaly_score,alert                  (--input: one row per input row)
  series,timestamp,value,anomaly_score,alert           (--prometheus: rows of every series)

anomaly_score is the run's anomaly score in [0, 1] (a calibrated log-scale likelihood; the run
alerts at minScore, 0.5 by default) of the point as the newest of its window, computed from
points up to its own only, and 0 for suppressPoints points after one reached minScore (one
report per onset); 0 while the window has fewer than minPoints points. alert is what the run
would have logged: none, firing, repeat or resolved.

From a CSV:
  --input FILE      CSV with a header and the columns timestamp and value ('-': standard input).
                    Timestamps: epoch seconds or milliseconds, or date-times (UTC unless an offset
                    is given), in ascending order. The window holds windowMinutes * 60 /
                    stepSeconds + 1 points, measured in the CSV's own median spacing.

From Prometheus (each series the query returns is replayed on its own):
  --prometheus URL  Prometheus base URL (overrides the config's prometheus.url; auth, headers,
                    caFile, timeout and retries come from the config's prometheus section).
                    Optional when --config is given.
  --query PROMQL    The series to replay (default: the detector's query from the config).
  --start TIME      First point to score and write. The window before it is read too, so the
                    first point is scored against a full window, as the run would have.
  --end TIME        Last point (inclusive).
                    TIME: RFC 3339 (2024-05-01T00:00:00Z, or with an offset), Unix seconds
                    (1714521600), now, or now minus a duration (now-7d, now-90m, now-1h30m).
  --step DURATION   Resolution: the run's step (default: the detector's stepSeconds, 60s).
                    A number is seconds; 30s, 5m, 1h also work.
  In the CSV, series is the series' labels as Prometheus prints them (cpu{instance="a:9100"}),
  quoted as CSV needs, and timestamp is RFC 3339 in UTC.

Output (at least one):
  --output FILE     Where to write the CSV ('-': standard output).
  --report FILE     A self-contained HTML page (no network needed to open it) with one chart per
                    series: the value, the anomaly score against the threshold, and where alerts
                    fired and resolved.

Settings:
  --config FILE     Take the detector and alert settings from this config (default: CONFIG_FILE,
                    else the seed's environment variables when PROM_QUERY is set, else the defaults).
  --detector NAME   Which detector of the config (needed when it has several).

A progress bar is drawn on standard error when it is a terminal.

Exit status: 0 done; 1 Prometheus unreachable or failing (after retries), or the query returned no
series in the range; 2 bad usage, an unreadable input, or a query Prometheus rejected (its error
text is shown).
`;

/** A usage mistake (exit code 2), followed by the usage text. */
export function usageError(message: string, cause?: unknown): InputError {
  return new InputError(`backtest: ${message}\n\n${backtestUsage}`, cause === undefined ? undefined : { cause });
}
