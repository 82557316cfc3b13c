/**
 * The one label formatter. A label pair is always `name="value"` with the value quoted and
 * escaped as a JSON string, which is also a valid PromQL string literal; the three forms below
 * differ only in what they put around the pairs.
 */
import type { Labels } from './series.js';

/** `name="value"` for every label, sorted by name; `__name__` left out when `withName` is false. */
function labelPairs(labels: Labels, withName: boolean): string[] {
  return Object.keys(labels)
    .filter((name) => withName || name !== '__name__')
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
}

/**
 * Identity of a series across runs and stores: `{__name__="http_latency",job="api"}`, every
 * label sorted by name. Stored in state files and notification ids, so its form never changes.
 */
export function seriesKey(labels: Labels): string {
  return `{${labelPairs(labels, true).join(',')}}`;
}

/**
 * A series as Prometheus prints it: `name{a="b",c="d"}`; `{a="b"}` when the query dropped the
 * metric name (sum by, rate), the bare name when it has no other label, `{}` for no labels.
 */
export function seriesName(labels: Labels): string {
  const name = labels.__name__ ?? '';
  const pairs = labelPairs(labels, false);
  return pairs.length === 0 && name !== '' ? name : `${name}{${pairs.join(',')}}`;
}

/** `instance="a:9100", job="api"` for people to read; `(no labels)` when empty. */
export function labelList(labels: Labels): string {
  const pairs = labelPairs(labels, true);
  return pairs.length === 0 ? '(no labels)' : pairs.join(', ');
}
