/**
 * The Lambda's configuration: the bundled detector file (infra/aws/detectors.yaml, checked
 * against the real schema here) completed from the environment serverless.yml gives the
 * function.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envDetectorName } from '../../../lib/config/env-config.js';
import { ConfigError } from '../../../lib/config/errors.js';
import { loadLambdaConfig, webhookSinkName } from '../../../lib/lambda/lambda-config.js';

const repoDir = fileURLToPath(new URL('../../..', import.meta.url));
const read = (path: string): Promise<string> => readFile(path, 'utf8');

/** The function's environment as serverless.yml declares it, with its default params. */
async function deployedEnv(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const doc = parse(await read(`${repoDir}/serverless.yml`)) as {
    params: { default: Record<string, string | number> };
    provider: { environment: Record<string, string> };
  };
  const params = doc.params.default;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(doc.provider.environment)) {
    env[name] = value
      .replace(/\$\{param:(\w+)\}/g, (_m, key: string) => String(params[key] ?? ''))
      .replace('${self:custom.stateTableName}', 'aiops-detector-dev-alert-state')
      .replace('${self:custom.detectorStateBucketName}', 'aiops-detector-dev-us-east-1-detector-state');
  }
  return { ...env, ...overrides };
}

async function problems(promise: Promise<unknown>): Promise<readonly string[]> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
}

describe('loadLambdaConfig', () => {
  it('loads the bundled detectors.yaml with the deployed environment', async () => {
    // Prepare: serverless.yml's defaults (PROMETHEUS_URL and WEBHOOK_FORMAT are '', i.e. unset)
    const env = await deployedEnv();
    expect(env.PROMETHEUS_URL).toBe('');

    // Act
    const config = await loadLambdaConfig({ env, readFile: read, cwd: repoDir });

    // Assess
    expect(config.detectors.map((d) => d.name)).toEqual(['http-latency']);
    expect(config.prometheus.url).toBe('http://localhost:9090');
    expect(config.alerts.stateStore).toEqual({ type: 'dynamodb', table: 'aiops-detector-dev-alert-state', ttlDays: 30 });
    expect(config.state).toMatchObject({ enabled: true, store: { type: 's3', bucket: 'aiops-detector-dev-us-east-1-detector-state' } });
    expect(config.alerts.sinks).toEqual([
      expect.objectContaining({ name: webhookSinkName, type: 'webhook', url: { secretsManager: 'aiops-detector/webhook' } }),
    ]);
  });

  it('takes PROMETHEUS_URL over the file, and signs for an Amazon Managed Prometheus URL', async () => {
    const url = 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234';
    const config = await loadLambdaConfig({ env: await deployedEnv({ PROMETHEUS_URL: url }), readFile: read, cwd: repoDir });
    expect(config.prometheus.url).toBe(url);
    expect(config.prometheus.auth).toEqual({ type: 'sigv4', region: 'eu-west-1', service: 'aps' });
  });

  it('picks the payload from the secret URL or WEBHOOK_FORMAT, under one sink name either way', async () => {
    const slack = { url: 'https://hooks.slack.com/services/T0/B0/abc' };
    const guessed = await loadLambdaConfig({ env: await deployedEnv(), readFile: read, cwd: repoDir, webhook: slack });
    const told = await loadLambdaConfig({
      env: await deployedEnv({ WEBHOOK_FORMAT: 'teams' }),
      readFile: read,
      cwd: repoDir,
      webhook: slack,
    });
    expect(guessed.alerts.sinks[0]).toMatchObject({ name: webhookSinkName, type: 'slack' });
    expect(told.alerts.sinks[0]).toMatchObject({ name: webhookSinkName, type: 'teams' });
  });

  it('signs generic webhooks when the secret has a signingSecret', async () => {
    const config = await loadLambdaConfig({
      env: await deployedEnv(),
      readFile: read,
      cwd: repoDir,
      webhook: { url: 'https://example.com/hook', signingSecret: 'k' },
    });
    expect(config.alerts.sinks[0]?.signingSecret).toEqual({ secretsManager: 'aiops-detector/webhook#signingSecret' });
  });

  it('names the variable that is wrong', async () => {
    expect(await problems(loadLambdaConfig({ env: await deployedEnv({ STATE_TTL_DAYS: 'a month' }), readFile: read, cwd: repoDir }))).toEqual([
      expect.stringMatching(/^STATE_TTL_DAYS: /),
    ]);
    expect(await problems(loadLambdaConfig({ env: await deployedEnv({ PROMETHEUS_URL: 'prometheus:9090' }), readFile: read, cwd: repoDir }))).toEqual([
      expect.stringMatching(/^PROMETHEUS_URL: must be an http/),
    ]);
    expect(await problems(loadLambdaConfig({ env: await deployedEnv({ WEBHOOK_FORMAT: 'discord' }), readFile: read, cwd: repoDir }))).toEqual([
      expect.stringMatching(/^WEBHOOK_FORMAT: /),
    ]);
  });

  it('names a detector made from PROM_QUERY (no CONFIG_FILE) after its query, as the CLI does', async () => {
    const { CONFIG_FILE: _file, ...noFile } = await deployedEnv();
    const config = await loadLambdaConfig({ env: { ...noFile, PROM_QUERY: 'up{job="api"}' }, readFile: read, cwd: repoDir });
    expect(config.detectors.map((d) => d.name)).toEqual([envDetectorName('up{job="api"}')]);
    expect(config.detectors[0]!.name).toMatch(/^default-[0-9a-f]{8}$/);
  });

  it('names ALERT_WEBHOOK when the env-only config has one that is not a URL, never its value', async () => {
    const { CONFIG_FILE: _file, ...noFile } = await deployedEnv();
    const env = { ...noFile, PROM_QUERY: 'up', ALERT_WEBHOOK: 'hooks.slack.com/services/S3CR3T' };
    const found = await problems(loadLambdaConfig({ env, readFile: read, cwd: repoDir }));
    expect(found).toEqual(['ALERT_WEBHOOK: must be an http:// or https:// URL']);
  });

  it('refuses to run without lasting alert state or without a config', async () => {
    const { STATE_TABLE: _table, ...noTable } = await deployedEnv();
    expect((await problems(loadLambdaConfig({ env: noTable, readFile: read, cwd: repoDir })))[0]).toMatch(/STATE_TABLE is not set/);
    const { CONFIG_FILE: _file, ...noFile } = await deployedEnv();
    expect((await problems(loadLambdaConfig({ env: noFile, readFile: read, cwd: repoDir })))[0]).toMatch(/^CONFIG_FILE: is not set/);
  });
});
