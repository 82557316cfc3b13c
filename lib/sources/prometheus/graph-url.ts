/**
 * Links to Prometheus' graph page, for notifications' `generatorURL` (what Prometheus itself
 * puts in alerts it sends).
 */

/**
 * `http://prom:9090/graph?g0.expr=<query>&g0.tab=0`, under the base URL's path prefix. User
 * info in the base URL is dropped: the link ends up in chat messages.
 */
export function prometheusGraphUrl(baseUrl: string, query: string, options: { rangeMinutes?: number } = {}): string {
  const url = new URL(baseUrl);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/graph`;
  const params = new URLSearchParams({ 'g0.expr': query, 'g0.tab': '0' });
  if (options.rangeMinutes !== undefined) params.set('g0.range_input', `${Math.max(1, Math.round(options.rangeMinutes))}m`);
  return `${url.toString()}?${params.toString()}`;
}
