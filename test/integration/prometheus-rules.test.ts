/**
 * The Prometheus rules in infra/prometheus/ checked and unit-tested by the real promtool
 * (Debian package `prometheus`, /usr/bin/promtool unless PROMTOOL_BIN says otherwise): `promtool check rules` parses every rule,
 * `promtool test rules` evaluates them on input series and compares alerts and samples.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promtoolBinary as promtool } from '../support/prometheus-server.js';

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const rulesDir = join(repo, 'infra/prometheus');
const testsDir = join(rulesDir, 'tests');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

async function promtoolRun(args: string[], cwd = repo): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(promtool, args, { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error(`${promtool} not found: install the Debian package prometheus`);
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

let ruleFiles: string[];
let testFiles: string[];
let scratch: string;

beforeAll(async () => {
  ruleFiles = (await readdir(rulesDir)).filter((name) => name.endsWith('.rules.yml')).sort();
  testFiles = (await readdir(testsDir)).filter((name) => name.endsWith('.test.yml')).sort();
  scratch = await mkdtemp(join(tmpdir(), 'aiops-rules-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function groupsOf(file: string): Promise<RuleGroup[]> {
  return (parse(await readFile(file, 'utf8')) as { groups: RuleGroup[] }).groups;
}

describe('infra/prometheus rules', () => {
  it('has the latency recording rules, the aiops-detector rules and the self-monitoring rules', () => {
    expect(ruleFiles).toEqual(['aiops-detector.rules.yml', 'latency.rules.yml', 'self-monitoring.rules.yml']);
  });

  it('pass promtool check rules', async () => {
    const result = await promtoolRun(['check', 'rules', ...ruleFiles.map((name) => join(rulesDir, name))]);
    expect(result.output).not.toMatch(/FAILED/);
    expect(result.code, result.output).toBe(0);
  });

  it('are caught by promtool check rules when broken (the check is not vacuous)', async () => {
    const broken = join(scratch, 'broken.rules.yml');
    await writeFile(broken, 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: aiops_alert_firing ==\n');
    const result = await promtoolRun(['check', 'rules', broken]);
    expect(result.code).not.toBe(0);
  });

  it('pass their promtool unit tests (input series -> expected alerts and samples)', async () => {
    const result = await promtoolRun(['test', 'rules', ...testFiles.map((name) => join(testsDir, name))]);
    expect(result.code, result.output).toBe(0);
    expect(result.output.match(/SUCCESS/g)).toHaveLength(testFiles.length);
  });

  it('fails the promtool unit test when an alert rule changes (the test is not vacuous)', async () => {
    // Prepare: a copy of the rules with the firing alert's condition inverted, and the tests
    // pointed at the copy.
    const rules = await readFile(join(rulesDir, 'aiops-detector.rules.yml'), 'utf8');
    const mutated = rules.replace('expr: aiops_alert_firing == 1', 'expr: aiops_alert_firing == 0');
    expect(mutated).not.toBe(rules);
    await writeFile(join(scratch, 'aiops-detector.rules.yml'), mutated);
    const test = await readFile(join(testsDir, 'aiops-detector.test.yml'), 'utf8');
    await writeFile(join(scratch, 'aiops-detector.test.yml'), test.replace('../aiops-detector.rules.yml', 'aiops-detector.rules.yml'));

    // Act
    const result = await promtoolRun(['test', 'rules', join(scratch, 'aiops-detector.test.yml')]);

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('AiopsAnomalyFiring');
  });

  it('fails the self-monitoring unit test when a threshold changes (the test is not vacuous)', async () => {
    // Prepare: the failing-runs alert made blind (a ratio can never exceed 1.5)
    const rules = await readFile(join(rulesDir, 'self-monitoring.rules.yml'), 'utf8');
    const mutated = rules.replace(/\n(\s+)> 0\.5\n/, '\n$1> 1.5\n');
    expect(mutated).not.toBe(rules);
    await writeFile(join(scratch, 'self-monitoring.rules.yml'), mutated);
    const test = await readFile(join(testsDir, 'self-monitoring.test.yml'), 'utf8');
    await writeFile(join(scratch, 'self-monitoring.test.yml'), test.replace('../self-monitoring.rules.yml', 'self-monitoring.rules.yml'));

    // Act
    const result = await promtoolRun(['test', 'rules', join(scratch, 'self-monitoring.test.yml')]);

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('AiopsDetectorRunsFailing');
  });

  it('unit-tests every rules file and every alert', async () => {
    const testedFiles = new Set<string>();
    const testedAlerts = new Set<string>();
    for (const name of testFiles) {
      const test = parse(await readFile(join(testsDir, name), 'utf8')) as {
        rule_files: string[];
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      };
      for (const file of test.rule_files) testedFiles.add(resolve(testsDir, file));
      for (const group of test.tests) {
        for (const check of group.alert_rule_test ?? []) {
          // An alert counts as proven only where the test expects it to fire.
          if (check.exp_alerts.length > 0) testedAlerts.add(check.alertname);
        }
      }
    }
    const alerts: string[] = [];
    for (const name of ruleFiles) {
      expect(testedFiles, name).toContain(join(rulesDir, name));
      for (const group of await groupsOf(join(rulesDir, name))) {
        for (const rule of group.rules) if (rule.alert) alerts.push(rule.alert);
      }
    }
    expect(alerts.length).toBeGreaterThan(0);
    expect([...testedAlerts].sort()).toEqual([...new Set(alerts)].sort());
  });

  it('ship as a PrometheusRule for the Prometheus Operator with exactly the same groups', async () => {
    // Prepare
    const resource = parse(await readFile(join(rulesDir, 'prometheus-rule.yaml'), 'utf8')) as {
      apiVersion: string;
      kind: string;
      metadata: { labels: Record<string, string> };
      spec: { groups: RuleGroup[] };
    };
    const expected: RuleGroup[] = [];
    for (const name of ['latency.rules.yml', 'aiops-detector.rules.yml', 'self-monitoring.rules.yml']) {
      expected.push(...(await groupsOf(join(rulesDir, name))));
    }
    // Every rules file is in it (a new file must be added to the PrometheusRule too).
    expect(expected.length).toBe((await Promise.all(ruleFiles.map((name) => groupsOf(join(rulesDir, name))))).flat().length);

    // Assess: same rules, and kube-prometheus-stack's default ruleSelector label.
    expect(resource.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(resource.spec.groups).toEqual(expected);

    // And promtool accepts the spec as a rules file on its own.
    const extracted = join(scratch, 'prometheus-rule-spec.rules.yml');
    await writeFile(extracted, JSON.stringify({ groups: resource.spec.groups }));
    const result = await promtoolRun(['check', 'rules', extracted]);
    expect(result.code, result.output).toBe(0);
  });
});
