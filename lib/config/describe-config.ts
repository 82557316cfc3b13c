/**
 * A secret-free summary of a configuration for the start-up log line. URLs are reduced to
 * their host, secrets to where they come from (`env ALERT_WEBHOOK`), never their value.
 */
import type { Config, SecretRef } from './config.js';

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '<invalid url>';
  }
}

function whereFrom(ref: SecretRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  if ('env' in ref) return `env ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  if ('secretsManager' in ref) return `secretsManager ${ref.secretsManager}`;
  return 'inline value';
}

/** Plain data for `logger.info('configuration', describeConfig(config))`. */
export function describeConfig(config: Config): Record<string, unknown> {
  const p = config.prometheus;
  const store = config.alerts.stateStore;
  return {
    prometheus: p.recording ? `recording ${p.recording.path}${p.recording.rebase ? ' (rebased)' : ''}` : hostOf(p.url),
    auth: p.auth.type === 'sigv4' ? `sigv4 ${p.auth.service} ${p.auth.region}` : p.auth.type,
    detectors: config.detectors.map((d) => ({
      name: d.name,
      windowMinutes: d.windowMinutes,
      stepSeconds: d.stepSeconds,
      minPoints: d.minPoints,
      contamination: d.contamination,
      minScore: d.minScore,
    })),
    sinks: config.alerts.sinks.map((s) => ({ name: s.name, type: s.type, url: whereFrom(s.url) })),
    stateStore: store.type === 'file' ? `file ${store.path}` : store.type === 'dynamodb' ? `dynamodb ${store.table}` : store.type,
    concurrency: config.concurrency,
    writeBack: config.writeBack?.enabled ? `remote write ${hostOf(p.remoteWriteUrl ?? p.url)}` : 'off',
    selfMetrics: config.selfMetrics.remoteWrite ? `remote write ${hostOf(p.remoteWriteUrl ?? p.url)} (job ${config.selfMetrics.job})` : 'off',
  };
}
