/**
 * infra/grafana/dashboard.json: valid dashboard JSON whose queries use only the metrics
 * aiops-detector writes back (lib/remote-write/score-samples.ts) and those the rules in
 * infra/prometheus record. No Grafana runs here; the structure Grafana relies on is checked.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scoreMetricNames } from '../../../lib/remote-write/score-samples.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Target {
  expr: string;
  refId: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Variable {
  name: string;
  type: string;
  query: unknown;
  datasource?: { type: string; uid: string };
  definition?: string;
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: Variable[] };
  panels: Panel[];
}

const promqlWords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * Metric names a PromQL expression selects: identifiers that are not functions, keywords,
 * label matchers or grouping labels. `$detector` and other Grafana variables are ignored.
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping labels
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(match.index + match[0].length).trimStart();
    if (after.startsWith('(')) continue; // a function call
    if (promqlWords.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}

let dashboard: Dashboard;
let knownMetrics: Set<string>;

beforeAll(async () => {
  dashboard = JSON.parse(await readFile(join(repo, 'infra/grafana/dashboard.json'), 'utf8')) as Dashboard;
  knownMetrics = new Set<string>(Object.values(scoreMetricNames));
  for (const file of ['latency.rules.yml', 'aiops-detector.rules.yml']) {
    const rules = parse(await readFile(join(repo, 'infra/prometheus', file), 'utf8')) as { groups: { rules: { record?: string }[] }[] };
    for (const group of rules.groups) for (const rule of group.rules) if (rule.record) knownMetrics.add(rule.record);
  }
});

const targets = () => dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));

describe('Grafana dashboard', () => {
  it('is a current dashboard with a fixed uid', () => {
    expect(dashboard.title).toBe('aiops-detector');
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
  });

  it('has a Prometheus datasource variable and a detector variable from the written scores', () => {
    const byName = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(byName.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const detector = byName.get('detector')!;
    expect(detector.type).toBe('query');
    expect(detector.datasource?.uid).toBe('${datasource}');
    expect(detector.definition).toBe(`label_values(${scoreMetricNames.score}, detector)`);
  });

  it('has unique panel ids and a place on the 24-column grid for every panel, without overlaps', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { gridPos, title } of dashboard.panels) {
      expect(gridPos, title).toBeDefined();
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      expect(gridPos.h, title).toBeGreaterThan(0);
    }
    const overlaps: string[] = [];
    dashboard.panels.forEach((a, i) =>
      dashboard.panels.slice(i + 1).forEach((b) => {
        const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        if (!apart) overlaps.push(`${a.title} / ${b.title}`);
      }),
    );
    expect(overlaps).toEqual([]);
  });

  it('queries through the datasource variable, with unique refIds per panel', () => {
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      const refIds = panel.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });

  it('uses only metrics that aiops-detector writes or the rules record, filtered by $detector', () => {
    const unknown: string[] = [];
    for (const { panel, target } of targets()) {
      const names = metricNamesIn(target.expr);
      expect(names.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
      for (const name of names) if (!knownMetrics.has(name)) unknown.push(`${panel.title}: ${name}`);
      if (names.some((n) => n.startsWith('aiops_') || n.startsWith('detector:'))) {
        expect(target.expr, panel.title).toContain('detector=~"$detector"');
      }
    }
    expect(unknown).toEqual([]);
  });

  it('shows every metric written back: value, score, threshold and firing', () => {
    const shown = new Set(targets().flatMap(({ target }) => metricNamesIn(target.expr)));
    for (const name of Object.values(scoreMetricNames)) expect(shown, name).toContain(name);
  });

  it('would notice a misspelt metric (the name check is not vacuous)', () => {
    expect(metricNamesIn('sum by (detector) (aiops_anomaly_scor{detector=~"$detector"}) > bool 0.5')).toEqual(['aiops_anomaly_scor']);
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))')).toEqual(['x_bucket']);
  });
});
