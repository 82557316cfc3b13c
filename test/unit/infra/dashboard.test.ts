/**
 * infra/grafana/dashboard.json: valid dashboard JSON whose queries use only the metrics
 * aiops-detector writes back (lib/remote-write/score-samples.ts), its own metrics
 * (lib/self-metrics/metric-names.ts) and those the rules in infra/prometheus/aiops-detector.rules.yml
 * record. The demo's latency panel lives in examples/grafana/demo-latency.json, checked the same
 * way against the demo's recording rules. No Grafana runs here; the structure Grafana relies on
 * is checked.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scoreMetricNames } from '../../../lib/remote-write/score-samples.js';
import { selfMetrics, type SelfMetric } from '../../../lib/self-metrics/metric-names.js';

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
  description?: string;
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

/** The series names of the self-metrics as queried: histograms as _bucket, _sum and _count. */
const selfSeries = new Map<string, SelfMetric>(
  Object.values<SelfMetric>(selfMetrics).flatMap((def): [string, SelfMetric][] =>
    def.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => [`${def.name}${suffix}`, def]) : [[def.name, def]],
  ),
);

/** Recording rules of a rules file under infra/prometheus. */
async function recordedIn(file: string): Promise<string[]> {
  const rules = parse(await readFile(join(repo, 'infra/prometheus', file), 'utf8')) as { groups: { rules: { record?: string }[] }[] };
  return rules.groups.flatMap((group) => group.rules.flatMap((rule) => (rule.record ? [rule.record] : [])));
}

/** Whether a series carries the `detector` label (and so must follow the $detector variable). */
function hasDetectorLabel(name: string): boolean {
  const self = selfSeries.get(name);
  return self ? self.labelNames.includes('detector') : name.startsWith('aiops_') || name.startsWith('detector:');
}

let dashboard: Dashboard;
let demo: Dashboard;
let knownMetrics: Set<string>;
let demoMetrics: Set<string>;

beforeAll(async () => {
  dashboard = JSON.parse(await readFile(join(repo, 'infra/grafana/dashboard.json'), 'utf8')) as Dashboard;
  demo = JSON.parse(await readFile(join(repo, 'examples/grafana/demo-latency.json'), 'utf8')) as Dashboard;
  knownMetrics = new Set<string>([...Object.values(scoreMetricNames), ...selfSeries.keys(), ...(await recordedIn('aiops-detector.rules.yml'))]);
  demoMetrics = new Set(await recordedIn('latency.rules.yml'));
});

const targetsOf = (board: Dashboard) => board.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
const targets = () => targetsOf(dashboard);
/** Panels that query; a row only groups the panels below it. */
const queryPanels = (board: Dashboard) => board.panels.filter((panel) => panel.type !== 'row');

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
    for (const panel of queryPanels(dashboard)) {
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
      // Series without a detector label (runs, durations, last success) cannot be filtered.
      if (names.some(hasDetectorLabel)) {
        expect(target.expr, panel.title).toContain('detector=~"$detector"');
      }
    }
    expect(unknown).toEqual([]);
  });

  it('leaves the demo\'s latency recording out: it is in examples/grafana/demo-latency.json', () => {
    const shown = new Set(targets().flatMap(({ target }) => metricNamesIn(target.expr)));
    expect([...demoMetrics].filter((name) => shown.has(name))).toEqual([]);
    expect(dashboard.panels.map((p) => p.title)).not.toContain('p95 latency per service');
  });

  it('has a row "aiops-detector health" with a panel on every self-metric, below the score panels', () => {
    // Prepare
    const row = dashboard.panels.find((p) => p.type === 'row')!;
    const below = queryPanels(dashboard).filter((p) => p.gridPos.y > row.gridPos.y);
    const above = queryPanels(dashboard).filter((p) => p.gridPos.y < row.gridPos.y);
    const namesIn = (panels: Panel[]) => new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNamesIn(t.expr))));

    // Assess
    expect(row).toMatchObject({ title: 'aiops-detector health', collapsed: false, gridPos: { x: 0, w: 24 } });
    const shown = namesIn(below);
    for (const def of Object.values<SelfMetric>(selfMetrics)) {
      expect(shown, def.name).toContain(def.type === 'histogram' ? `${def.name}_bucket` : def.name);
    }
    expect([...shown].every((name) => selfSeries.has(name))).toBe(true);
    expect([...namesIn(above)].some((name) => selfSeries.has(name))).toBe(false);
    // Each health panel names the metric it shows, for whoever reads it.
    for (const panel of below) expect(panel.description, panel.title).toMatch(/aiops_detector_/);
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

describe('the demo dashboard (examples/grafana/demo-latency.json)', () => {
  it('is a dashboard of its own, with the datasource variable', () => {
    expect(demo.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(demo.uid).not.toBe(dashboard.uid);
    expect(demo.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(demo.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
  });

  it('shows the p95 latency per service from the demo\'s recording rule, through the datasource variable', () => {
    expect(demo.panels.map((p) => p.title)).toEqual(['p95 latency per service']);
    const names = targetsOf(demo).flatMap(({ panel, target }) => {
      expect(panel.datasource?.uid).toBe('${datasource}');
      return metricNamesIn(target.expr);
    });
    expect(names).toEqual(['service:http_request_duration_seconds:p95_5m']);
    expect(demoMetrics).toContain(names[0]);
  });
});
