/**
 * Alertmanager's API v2: `POST <base>/api/v2/alerts` with an array of alerts. Alertmanager then
 * groups, silences, inhibits and routes them like alerts from Prometheus.
 *
 * `endsAt`: Alertmanager treats an alert without `endsAt` as resolved `resolve_timeout` (5 min by
 * default) after it last received it, because Prometheus re-sends active alerts every minute.
 * This detector notifies on firing and then only every `repeatIntervalMinutes` (240 by
 * default), so a firing alert carries `endsAt = atMs + activeForMs`, which must outlast the
 * repeat interval: the repeat refreshes it before it expires. A resolved alert carries its
 * resolve time, which is in the past when Alertmanager reads it, so it is resolved at once.
 * If the detector stops running, Alertmanager resolves the alert by itself at `endsAt`.
 */
import { InputError } from '../errors.js';
import { iso } from './format.js';
import { createHttpPoster, deliverMessages, type HttpSinkDeps, type HttpSinkOptions } from './http-delivery.js';
import { isQueryNotification, type AlertSink, type Notification } from './sink.js';

export interface AlertmanagerSinkOptions extends HttpSinkOptions {
  /**
   * How long a firing alert stays active without a repeat: the repeat interval plus a margin
   * (the sink registry derives it from `alerts.repeatIntervalMinutes`).
   */
  activeForMs: number;
}
export type AlertmanagerSinkDeps = HttpSinkDeps;

/** The alert name of every series' alert. */
export const alertName = 'AnomalyDetected';

/**
 * The alert name of a detector's no-data alert (`notifyAbsent`: its query returned no series
 * after it returned some). Its labels are the detector's, without series labels.
 */
export const noDataAlertName = 'AnomalyDetectorNoData';

/** `<base>/api/v2/alerts`; a URL already ending in `/api/v2/alerts` is used as it is. */
export function alertmanagerAlertsUrl(base: string): string {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/api/v2/alerts')) url.pathname = `${path}/api/v2/alerts`;
  return url.toString();
}

/**
 * A valid Alertmanager 0.25 label name (`[a-zA-Z_][a-zA-Z0-9_]*`): other characters become `_`,
 * a leading digit gets a `_` prefix. `__name__` becomes `metric` (names starting with `__` are
 * reserved for Prometheus' internal use).
 */
export function sanitizeLabelName(name: string): string {
  if (name === '__name__') return 'metric';
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^__+/, '');
  if (cleaned === '') return 'label';
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/**
 * Labels of one alert: series labels (sanitised), then the detector's extra labels, then
 * `alertname`, `detector` and `severity`, which always win. Two series labels that sanitise to
 * the same name keep the first in name order.
 */
export function alertmanagerLabels(n: Notification): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const name of Object.keys(n.labels).sort()) {
    const clean = sanitizeLabelName(name);
    if (!(clean in labels)) labels[clean] = n.labels[name] ?? '';
  }
  for (const name of Object.keys(n.extraLabels).sort()) labels[sanitizeLabelName(name)] = n.extraLabels[name] ?? '';
  labels.alertname = isQueryNotification(n) ? noDataAlertName : alertName;
  labels.detector = n.detector;
  labels.severity = n.severity;
  // Alertmanager drops labels with empty values; say so explicitly by leaving them out.
  for (const name of Object.keys(labels)) if (labels[name] === '') delete labels[name];
  return labels;
}

/**
 * The API v2 alert for one notification. A notification that ends its alert (resolved, a
 * series' no data) carries its end as `endsAt`; one that starts or repeats it (firing, repeat,
 * the query's no data) stays active for `activeForMs`. Numbers a notification does not have
 * (the query as a whole has no score) are left out of the annotations.
 */
export function alertmanagerAlert(n: Notification, activeForMs: number): Record<string, unknown> {
  const annotations: Record<string, string> = { summary: n.summary };
  for (const key of ['score', 'threshold', 'value'] as const) {
    const number = n[key];
    if (number !== null) annotations[key] = String(number);
  }
  annotations.query = n.query;
  const endsAtMs = n.endsAtMs ?? (n.kind === 'resolved' ? n.atMs : n.atMs + activeForMs);
  const alert: Record<string, unknown> = {
    labels: alertmanagerLabels(n),
    annotations,
    startsAt: iso(n.startsAtMs),
    endsAt: iso(endsAtMs),
  };
  if (n.generatorUrl !== undefined) alert.generatorURL = n.generatorUrl;
  return alert;
}

/** An AlertSink posting to Alertmanager's API v2. One request carries the whole batch. */
export function createAlertmanagerSink(options: AlertmanagerSinkOptions, deps: AlertmanagerSinkDeps = {}): AlertSink {
  const name = options.name ?? 'alertmanager';
  let url: string;
  try {
    url = alertmanagerAlertsUrl(options.url);
  } catch {
    // The URL is a secret: neither it nor the parser's error (which quotes it) goes further.
    throw new InputError(`Sink ${name}: the Alertmanager URL is not a valid URL`);
  }
  const poster = createHttpPoster(name, { ...options, url }, deps);
  return {
    name,
    send: (notifications, sendOptions) => {
      if (notifications.length === 0) return Promise.resolve({ delivered: [], failed: [] });
      const body = JSON.stringify(notifications.map((n) => alertmanagerAlert(n, options.activeForMs)));
      return deliverMessages(poster, [{ ids: notifications.map((n) => n.id), body }], sendOptions?.signal);
    },
  };
}
