/**
 * Links to Prometheus' graph page, for notifications' `generatorURL` (what Prometheus itself
 * puts in alerts it sends).
 */

/**
 * The Prometheus graph page for a query: `<base>/graph?g0.expr=<query>&g0.tab=0`, under the base
 * URL's path prefix. User info, query string and fragment of the base are dropped so no
 * credential ends up in a chat message. Undefined when there is no base or it is not an http(s)
 * URL.
 */
export function prometheusGraphUrl(baseUrl: string | undefined, query: string): string | undefined {
  if (baseUrl === undefined) return undefined;
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    // A config the schema let through but that is no URL: a missing link beats a broken one.
    return undefined;
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return undefined;
  const path = base.pathname.replace(/\/+$/, '');
  return `${base.protocol}//${base.host}${path}/graph?g0.expr=${encodeURIComponent(query)}&g0.tab=0`;
}
