/**
 * The pager's view of a detector on the NAB files: what the people it pages would see. NAB's
 * score rewards early detections and charges false positives by the row; a person counts pages.
 * The method (issue 16, "The pager's view"):
 *
 * - a page is a row whose `alert` is `firing` (ours), or, for a detector that only publishes
 *   scores, a row whose score reaches the threshold after a row below it;
 * - a page within {@link incidentRows} rows of the previous page of the same file is the same
 *   incident and is not counted again;
 * - the first 15% of each file's rows are skipped (NAB's probation fraction; unlike the
 *   scorer's `probationRows`, not capped at 750 rows, as the method says);
 * - a false page is a counted page outside every labelled window; a window is caught when a
 *   counted page falls inside it;
 * - false pages are reported per series-day: the days each file spans after probation, summed.
 */
import { PROBATION_FRACTION } from './scorer.js';

/** Pages closer than this many rows to the previous page are one incident. */
export const incidentRows = 12;

const dayMs = 86_400_000;

/** One file as the pager's view needs it. */
export interface PagerFile {
  readonly name: string;
  readonly timestampsMs: ArrayLike<number>;
  readonly windows: readonly (readonly [number, number])[];
  /** 1 where a page went out (see {@link pagesFromAlerts}, {@link pagesFromScores}). */
  readonly pages: ArrayLike<number>;
}

export interface PagerView {
  readonly falsePages: number;
  readonly seriesDays: number;
  /** False pages per series-day. */
  readonly falsePagesPerDay: number;
  readonly windowsCaught: number;
  readonly windows: number;
}

/** Pages of a detector that pages by rising edges of its score at `threshold`. */
export function pagesFromScores(scores: ArrayLike<number>, threshold: number): Uint8Array {
  const pages = new Uint8Array(scores.length);
  let below = true;
  for (let i = 0; i < scores.length; i += 1) {
    const above = (scores[i] as number) >= threshold;
    if (above && below) pages[i] = 1;
    below = !above;
  }
  return pages;
}

/** The pager's view over `files`. */
export function pagerView(files: readonly PagerFile[]): PagerView {
  let falsePages = 0;
  let seriesDays = 0;
  let windowsCaught = 0;
  let windows = 0;
  for (const file of files) {
    const rows = file.timestampsMs.length;
    const first = Math.floor(PROBATION_FRACTION * rows);
    windows += file.windows.length;
    if (first >= rows) continue;
    seriesDays += ((file.timestampsMs[rows - 1] as number) - (file.timestampsMs[first] as number)) / dayMs;
    const caught = new Set<number>();
    let previousPage = -Infinity;
    for (let i = first; i < rows; i += 1) {
      if (file.pages[i] !== 1) continue;
      const sameIncident = i - previousPage <= incidentRows;
      previousPage = i;
      if (sameIncident) continue;
      const t = file.timestampsMs[i] as number;
      const window = file.windows.findIndex(([start, end]) => t >= start && t <= end);
      if (window < 0) falsePages += 1;
      else caught.add(window);
    }
    windowsCaught += caught.size;
  }
  return { falsePages, seriesDays, falsePagesPerDay: seriesDays > 0 ? falsePages / seriesDays : 0, windowsCaught, windows };
}
