/**
 * The `selfMetrics` configuration block: its defaults (in the schema only), its checks, and the
 * start-up line naming where the figures go.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, parseConfig } from '../../../lib/config/index.js';

const detectors = [{ name: 'latency', query: 'latency_seconds' }];

function problems(input: unknown): string[] {
  try {
    parseConfig(input, { source: 't' });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('selfMetrics configuration', () => {
  it('remote-writes nothing by default; the job label defaults to aiops-detector', () => {
    expect(parseConfig({ detectors }, { source: 't' }).selfMetrics).toEqual({ remoteWrite: false, job: 'aiops-detector' });
    expect(parseConfig({ detectors, selfMetrics: { remoteWrite: true } }, { source: 't' }).selfMetrics).toEqual({
      remoteWrite: true,
      job: 'aiops-detector',
    });
  });

  it('reports typos and wrong types by path', () => {
    expect(problems({ detectors, selfMetrics: { remotewrite: true } })).toEqual(['selfMetrics.remotewrite: unknown key']);
    expect(problems({ detectors, selfMetrics: { remoteWrite: 'yes' } })).toEqual(['selfMetrics.remoteWrite: must be true or false']);
    expect(problems({ detectors, selfMetrics: { job: ' ' } })).toEqual(['selfMetrics.job: must not be empty']);
  });

  it('names the target host and the job in the start-up summary', () => {
    const on = parseConfig(
      { detectors, prometheus: { url: 'http://user:pw@prom:9090' }, selfMetrics: { remoteWrite: true, job: 'cron' } },
      { source: 't' },
    );
    expect(describeConfig(on).selfMetrics).toBe('remote write http://prom:9090 (job cron)');
    expect(describeConfig(parseConfig({ detectors }, { source: 't' })).selfMetrics).toBe('off');
  });
});
