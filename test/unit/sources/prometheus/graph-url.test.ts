import { describe, expect, it } from 'vitest';
import { prometheusGraphUrl } from '../../../../lib/sources/prometheus/graph-url.js';

describe('prometheusGraphUrl', () => {
  it('links to the graph page under the base path, query encoded, without user info', () => {
    // Act
    const url = prometheusGraphUrl('https://user:pw@prom.example.com/prometheus/', 'rate(x{job="a b"}[5m]) > 1')!;

    // Assess
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe('https://prom.example.com/prometheus/graph');
    expect(parsed.searchParams.get('g0.expr')).toBe('rate(x{job="a b"}[5m]) > 1');
    expect(parsed.searchParams.get('g0.tab')).toBe('0');
    expect(url).not.toContain('pw');
  });

  it('strips credentials and query from the base and encodes the PromQL', () => {
    const url = prometheusGraphUrl('https://user:pw@prom.example/prometheus/?token=abc', 'rate(x{a="b"}[5m])');
    expect(url).toBe('https://prom.example/prometheus/graph?g0.expr=rate(x%7Ba%3D%22b%22%7D%5B5m%5D)&g0.tab=0');
    expect(url).not.toContain('pw');
    expect(url).not.toContain('abc');
  });

  it('gives no link for a missing or non-http base', () => {
    expect(prometheusGraphUrl(undefined, 'up')).toBeUndefined();
    expect(prometheusGraphUrl('file:///tmp/x', 'up')).toBeUndefined();
  });
});
