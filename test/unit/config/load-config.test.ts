import { describe, expect, it } from 'vitest';
import { describeConfig } from '../../../lib/config/describe-config.js';
import { parseDuration } from '../../../lib/config/duration.js';
import { envDetectorName } from '../../../lib/config/env-config.js';
import { ConfigError } from '../../../lib/config/errors.js';
import { loadConfig } from '../../../lib/config/load-config.js';
import { parseConfig } from '../../../lib/config/parse-config.js';
import { inferSinkType } from '../../../lib/sinks/registry.js';
import { AiopsError } from '../../../lib/errors.js';

const slackUrl = 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX';

function files(map: Record<string, string>) {
  return (path: string): Promise<string> =>
    path in map ? Promise.resolve(map[path] as string) : Promise.reject(new Error(`ENOENT: no such file, open '${path}'`));
}

function load(env: Record<string, string>, fileMap: Record<string, string> = {}, argvConfigPath?: string) {
  const warnings: string[] = [];
  const promise = loadConfig({
    env,
    readFile: files(fileMap),
    tmpdir: () => '/tmp/test-tmp',
    cwd: '/srv/app',
    warn: (message) => warnings.push(message),
    ...(argvConfigPath !== undefined ? { argvConfigPath } : {}),
  });
  return { promise, warnings };
}

async function problemsOf(promise: Promise<unknown>): Promise<readonly string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect(error).toBeInstanceOf(AiopsError);
  return (error as ConfigError).problems;
}

function problemsOfParse(input: unknown): readonly string[] {
  try {
    parseConfig(input, { source: 'test' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('seed environment variables', () => {
  it('name the detector after PROM_QUERY, so two seed-style configs on one host never share alert state', async () => {
    // Act
    const names = await Promise.all(
      ['x{instance="a"}', 'x{instance="b"}', '  x{instance="a"} '].map(async (query) => (await load({ PROM_QUERY: query }).promise).detectors[0]!.name),
    );

    // Assess: default-<8 hex digits of a hash of the query>; blanks around it do not count.
    expect(names[0]).toMatch(/^default-[0-9a-f]{8}$/);
    expect(names[1]).not.toBe(names[0]);
    expect(names[2]).toBe(names[0]);
    expect(envDetectorName('x{instance="a"}')).toBe(names[0]);
  });

  it('make one detector from every seed variable', async () => {
    // Act
    const config = await load({
      PROMETHEUS_URL: 'http://prom:9090/',
      PROM_QUERY: 'rate(http_requests_total[5m])',
      WINDOW_MINUTES: '120',
      STEP: '30s',
      CONTAMINATION: '0.1',
      MIN_POINTS: '50',
    }).promise;

    // Assess
    expect(config.prometheus.url).toBe('http://prom:9090');
    expect(config.prometheus.auth).toEqual({ type: 'none' });
    expect(config.detectors).toHaveLength(1);
    expect(config.detectors[0]).toMatchObject({
      name: 'default-46648a42',
      query: 'rate(http_requests_total[5m])',
      windowMinutes: 120,
      stepSeconds: 30,
      contamination: 0.1,
      minPoints: 50,
    });
  });

  it('fill the documented defaults for everything else', async () => {
    // Act
    const config = await load({ PROM_QUERY: 'up' }).promise;

    // Assess
    expect(config.prometheus).toEqual({
      url: 'http://localhost:9090',
      auth: { type: 'none' },
      headers: {},
      timeoutMs: 10_000,
      retries: 3,
      maxSeries: 10_000,
      maxResponseBytes: 64_000_000,
    });
    expect(config.detectors[0]).toEqual({
      name: 'default-43430b20',
      query: 'up',
      windowMinutes: 1440,
      stepSeconds: 60,
      minPoints: 30,
      contamination: 0.05,
      minScore: 0.5,
      forEvaluations: 1,
      features: ['value', 'diff', 'deviation', 'stddev'],
      trees: 100,
      maxSamples: 256,
      refitEveryPoints: 10,
      smoothPoints: 3,
      suppressPoints: 100,
      severity: 'warning',
      labels: {},
      allowNoSeries: false,
      notifyAbsent: false,
    });
    expect(config.alerts).toEqual({
      repeatIntervalMinutes: 240,
      resolveAfter: 2,
      sendResolved: true,
      stateStore: { type: 'file', path: '/tmp/test-tmp/aiops-detector/state.json' },
      sinks: [{ name: 'console', type: 'console', timeoutMs: 10_000, retries: 0 }],
    });
    expect(config.concurrency).toBe(4);
    expect(config.logLevel).toBe('info');
  });

  it.each([
    ['60', 60],
    ['60s', 60],
    ['1m', 60],
    ['1m30s', 90],
    ['0.5', 0.5],
  ])('read STEP=%s as %d seconds', async (step, seconds) => {
    const config = await load({ PROM_QUERY: 'up', STEP: step, MIN_POINTS: '2' }).promise;
    expect(config.detectors[0]?.stepSeconds).toBe(seconds);
  });

  it("read CONTAMINATION=auto", async () => {
    const config = await load({ PROM_QUERY: 'up', CONTAMINATION: 'auto' }).promise;
    expect(config.detectors[0]?.contamination).toBe('auto');
  });

  it('put a SecretRef to ALERT_WEBHOOK in the config, never the URL itself', async () => {
    // Act
    const config = await load({ PROM_QUERY: 'up', ALERT_WEBHOOK: slackUrl }).promise;

    // Assess
    expect(config.alerts.sinks).toEqual([{ name: 'slack', type: 'slack', url: { env: 'ALERT_WEBHOOK' }, timeoutMs: 10_000, retries: 3 }]);
    expect(JSON.stringify(config)).not.toContain('SECRET');
    expect(JSON.stringify(describeConfig(config))).not.toContain('SECRET');
  });

  it.each([
    ['slack', 'slack'],
    ['teams', 'teams'],
    ['alertmanager', 'alertmanager'],
    ['generic', 'webhook'],
    ['GENERIC', 'webhook'],
  ])('take WEBHOOK_FORMAT=%s as sink type %s, whatever the URL', async (format, type) => {
    const config = await load({ PROM_QUERY: 'up', ALERT_WEBHOOK: slackUrl, WEBHOOK_FORMAT: format }).promise;
    expect(config.alerts.sinks[0]?.type).toBe(type);
  });

  it('reject an unknown WEBHOOK_FORMAT and one without ALERT_WEBHOOK', async () => {
    expect(await problemsOf(load({ PROM_QUERY: 'up', ALERT_WEBHOOK: slackUrl, WEBHOOK_FORMAT: 'discord' }).promise)).toEqual([
      'WEBHOOK_FORMAT: must be one of slack, teams, alertmanager, generic (got "discord")',
    ]);
    expect(await problemsOf(load({ PROM_QUERY: 'up', WEBHOOK_FORMAT: 'slack' }).promise)).toEqual([
      'WEBHOOK_FORMAT: is set but ALERT_WEBHOOK is not; set the webhook URL too',
    ]);
  });

  it.each([
    ['memory', { type: 'memory' }],
    ['file:/var/lib/aiops/state.json', { type: 'file', path: '/var/lib/aiops/state.json' }],
  ])('read STATE_STORE=%s', async (value, expected) => {
    const config = await load({ PROM_QUERY: 'up', STATE_STORE: value }).promise;
    expect(config.alerts.stateStore).toEqual(expected);
  });

  it('read LOG_LEVEL', async () => {
    const config = await load({ PROM_QUERY: 'up', LOG_LEVEL: 'DEBUG' }).promise;
    expect(config.logLevel).toBe('debug');
  });

  it('report every bad variable by its name', async () => {
    // Act
    const problems = await problemsOf(
      load({
        PROMETHEUS_URL: 'prom:9090',
        PROM_QUERY: 'up',
        WINDOW_MINUTES: '0',
        STEP: 'often',
        CONTAMINATION: '0.9',
        MIN_POINTS: 'many',
        STATE_STORE: 'redis',
        LOG_LEVEL: 'loud',
      }).promise,
    );

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'PROMETHEUS_URL: must be an http:// or https:// URL',
        'WINDOW_MINUTES: must be > 0',
        'STEP: must be a number of seconds or a duration such as 60s, 5m, 1h (got "often")',
        "CONTAMINATION: must be 'auto' or a fraction in (0, 0.5]",
        'MIN_POINTS: must be a number',
        'STATE_STORE: must be memory, file:PATH, dynamodb:TABLE, prometheus, or an object with a type',
        'LOG_LEVEL: must be debug, info, warn or error',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('report an ALERT_WEBHOOK that is not an http(s) URL by name, never its value, with the other problems', async () => {
    for (const webhook of ['hooks.slack.com/services/T0/B0/S3CR3T', 'ftp://files.example/S3CR3T', 'not-a-url-S3CR3T']) {
      // Act
      const problems = await problemsOf(load({ PROMETHEUS_URL: 'prom:9090', PROM_QUERY: 'up', ALERT_WEBHOOK: webhook }).promise);

      // Assess
      expect(problems).toEqual(['PROMETHEUS_URL: must be an http:// or https:// URL', 'ALERT_WEBHOOK: must be an http:// or https:// URL']);
      expect(problems.join('\n')).not.toContain('S3CR3T');
    }
  });

  it('say how to configure when nothing is given', async () => {
    const problems = await problemsOf(load({}).promise);
    expect(problems[0]).toMatch(/no configuration: pass --config FILE, set CONFIG_FILE, or set PROM_QUERY/);
  });

  it('report a window too short for MIN_POINTS', async () => {
    const problems = await problemsOf(load({ PROM_QUERY: 'up', WINDOW_MINUTES: '10', STEP: '1m', MIN_POINTS: '30' }).promise);
    expect(problems).toEqual([
      'WINDOW_MINUTES/STEP/MIN_POINTS: a window of 10 min at a step of 60 s gives 10 points, fewer than minPoints 30; lengthen windowMinutes, shorten stepSeconds or lower minPoints',
    ]);
  });
});

const twoDetectors = `
prometheus:
  url: https://prom.example.com
  auth:
    type: bearer
    token: { env: PROM_TOKEN }
  headers:
    X-Scope-OrgID: team-a
  caFile: certs/ca.pem
  timeoutMs: 5s
detectors:
  - name: api-latency
    query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
    windowMinutes: 2h
    stepSeconds: 1m
    minPoints: 60
    contamination: auto
    minScore: 0.7
    forEvaluations: 2
    severity: critical
    labels: { team: sre }
  - name: error-rate
    query: sum(rate(http_requests_total{code=~"5.."}[5m]))
    features: [value]
alerts:
  repeatIntervalMinutes: 1h
  resolveAfter: 3
  sendResolved: false
  stateStore: { type: file, path: state/alerts.json }
  sinks:
    - { name: sre-slack, type: slack, url: { env: SLACK_WEBHOOK_URL } }
    - { type: alertmanager, url: http://alertmanager:9093 }
    - { type: webhook, url: { file: /run/secrets/hook }, signingSecret: { env: HOOK_KEY } }
concurrency: 2
`;

describe('YAML config file', () => {
  it('loads two detectors and three sinks, resolving relative paths against the file', async () => {
    // Act
    const { promise } = load({}, { '/srv/app/conf/aiops.yaml': twoDetectors }, 'conf/aiops.yaml');
    const config = await promise;

    // Assess
    expect(config.prometheus).toEqual({
      url: 'https://prom.example.com',
      auth: { type: 'bearer', token: { env: 'PROM_TOKEN' } },
      headers: { 'X-Scope-OrgID': 'team-a' },
      caFile: '/srv/app/conf/certs/ca.pem',
      timeoutMs: 5_000,
      retries: 3,
      maxSeries: 10_000,
      maxResponseBytes: 64_000_000,
    });
    expect(config.detectors.map((d) => [d.name, d.windowMinutes, d.stepSeconds, d.contamination, d.features])).toEqual([
      ['api-latency', 120, 60, 'auto', ['value', 'diff', 'deviation', 'stddev']],
      ['error-rate', 1440, 60, 0.05, ['value']],
    ]);
    expect(config.detectors[0]).toMatchObject({ minScore: 0.7, forEvaluations: 2, severity: 'critical', labels: { team: 'sre' } });
    expect(config.alerts).toMatchObject({
      repeatIntervalMinutes: 60,
      resolveAfter: 3,
      sendResolved: false,
      stateStore: { type: 'file', path: '/srv/app/conf/state/alerts.json' },
    });
    expect(config.alerts.sinks).toEqual([
      { name: 'sre-slack', type: 'slack', url: { env: 'SLACK_WEBHOOK_URL' }, timeoutMs: 10_000, retries: 3 },
      { name: 'alertmanager', type: 'alertmanager', url: { value: 'http://alertmanager:9093' }, timeoutMs: 10_000, retries: 3 },
      {
        name: 'webhook',
        type: 'webhook',
        url: { file: '/run/secrets/hook' },
        signingSecret: { env: 'HOOK_KEY' },
        timeoutMs: 10_000,
        retries: 3,
      },
    ]);
    expect(config.concurrency).toBe(2);
  });

  it('is frozen all the way down', async () => {
    const config = await load({ CONFIG_FILE: '/c.yaml' }, { '/c.yaml': twoDetectors }).promise;
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.detectors[0]?.labels)).toBe(true);
    expect(Object.isFrozen(config.alerts.sinks[0]?.url)).toBe(true);
  });

  it('wins over the seed variables, which are ignored with a warning naming them; LOG_LEVEL still applies', async () => {
    // Act
    const { promise, warnings } = load(
      { CONFIG_FILE: '/c.yaml', PROM_QUERY: 'ignored', ALERT_WEBHOOK: slackUrl, LOG_LEVEL: 'warn' },
      { '/c.yaml': twoDetectors },
    );
    const config = await promise;

    // Assess
    expect(config.detectors.map((d) => d.name)).toEqual(['api-latency', 'error-rate']);
    expect(config.logLevel).toBe('warn');
    expect(warnings).toEqual(['config file /c.yaml is used; environment variables PROM_QUERY, ALERT_WEBHOOK are ignored']);
    expect(warnings.join()).not.toContain('SECRET');
  });

  it('prefers --config over CONFIG_FILE', async () => {
    const config = await load({ CONFIG_FILE: '/missing.yaml' }, { '/c.yaml': twoDetectors }, '/c.yaml').promise;
    expect(config.detectors).toHaveLength(2);
  });

  it('reports an unreadable file, a YAML syntax error and an empty file', async () => {
    expect(await problemsOf(load({}, {}, '/nope.yaml').promise)).toEqual([
      "cannot read the file: ENOENT: no such file, open '/nope.yaml'",
    ]);
    const syntax = await problemsOf(load({}, { '/bad.yaml': 'detectors:\n  - name: a\n   query: [' }, '/bad.yaml').promise);
    expect(syntax[0]).toMatch(/^line \d+, column \d+: /);
    expect(await problemsOf(load({}, { '/empty.yaml': '# nothing\n' }, '/empty.yaml').promise)).toEqual(['the file is empty']);
  });

  it('names the file in the error message', async () => {
    const error = await load({}, { '/c.yaml': 'detectors: []' }, '/c.yaml').promise.catch((e: unknown) => e);
    expect((error as ConfigError).message).toBe('Invalid configuration (/c.yaml):\n  - detectors: must list at least one detector');
  });
});

describe('validation: every problem, by path', () => {
  it('lists all problems of a config at once', () => {
    // Act
    const problems = problemsOfParse({
      prometheus: { url: 'http://p:9090', timeoutMs: 0, retries: -1, proxy: 'x' },
      detectors: [
        { name: 'a', query: 'up' },
        { name: 'b', query: 'up', windowMinutes: -5, stepSeconds: 0, minPoints: 1.5, contamination: 0 },
        { name: 'a', query: '', minScore: 2, features: ['value', 'value'], trees: 0, maxSamples: 1, refitEveryPoints: 0, smoothPoints: 1.5, suppressPoints: -1, severity: 'page', labels: { 'bad-label': 'x' } },
        { name: 'c', query: 'up', windowMinute: 5 },
      ],
      alerts: {
        resolveAfter: 0,
        repeatIntervalMinutes: 'soon',
        sendResolved: 'yes',
        stateStore: { type: 'dynamodb' },
        sinks: [{ type: 'slack' }, { type: 'pager', url: 'x' }, { type: 'slack', url: { env: 'A' } }, { name: 'x y', type: 'console' }],
      },
      concurrency: 0,
    });

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'prometheus.timeoutMs: must be > 0',
        'prometheus.retries: must be >= 0',
        'prometheus.proxy: unknown key',
        'detectors[1].windowMinutes: must be > 0',
        'detectors[1].stepSeconds: must be > 0',
        'detectors[1].minPoints: must be a whole number',
        "detectors[1].contamination: must be 'auto' or a fraction in (0, 0.5]",
        'detectors[2].query: must not be empty',
        'detectors[2].minScore: must be in [0, 1]',
        'detectors[2].features: must not repeat a feature',
        'detectors[2].trees: must be >= 1',
        'detectors[2].maxSamples: must be >= 2',
        'detectors[2].refitEveryPoints: must be >= 1',
        'detectors[2].smoothPoints: must be a whole number',
        'detectors[2].suppressPoints: must be >= 0',
        'detectors[2].severity: must be info, warning or critical',
        'detectors[2].labels["bad-label"]: label names must match [a-zA-Z_][a-zA-Z0-9_]*',
        'detectors[2].name: "a" is already the name of detectors[0]; names must be unique',
        'detectors[3].windowMinute: unknown key',
        'alerts.resolveAfter: must be >= 1',
        'alerts.repeatIntervalMinutes: must be a number of minutes or a duration such as 60s, 5m, 1h (got "soon")',
        'alerts.sendResolved: must be true or false',
        'alerts.stateStore: must be memory, file:PATH, dynamodb:TABLE, prometheus, or an object with a type',
        'alerts.sinks[0].url: is required',
        'alerts.sinks[1].type: must be one of slack, teams, alertmanager, webhook, console',
        'alerts.sinks[2].name: "slack" is already the name of alerts.sinks[0]; names must be unique (a sink without a name is named after its type)',
        'alerts.sinks[3].name: must contain only letters, digits and _ . : -',
        'concurrency: must be >= 1',
      ]),
    );
  });

  it('requires detectors, and a name and query in each', () => {
    expect(problemsOfParse({})).toEqual(['detectors: is required']);
    expect(problemsOfParse({ detectors: [{}] })).toEqual(['detectors[0].name: is required', 'detectors[0].query: is required']);
  });

  it('rejects unknown top-level keys', () => {
    expect(problemsOfParse({ detectors: [{ name: 'a', query: 'up' }], detector: [] })).toEqual(['detector: unknown key']);
  });

  it('accepts contamination at the top of its range and rejects just above', () => {
    expect(parseConfig({ detectors: [{ name: 'a', query: 'up', contamination: 0.5 }] }, { source: 't' }).detectors[0]?.contamination).toBe(0.5);
    expect(problemsOfParse({ detectors: [{ name: 'a', query: 'up', contamination: 0.51 }] })).toEqual([
      "detectors[0].contamination: must be 'auto' or a fraction in (0, 0.5]",
    ]);
  });

  it('takes the answer limits as whole numbers of at least 1', () => {
    const detectors = [{ name: 'a', query: 'up' }];
    expect(parseConfig({ prometheus: { maxSeries: 50_000, maxResponseBytes: 200_000_000 }, detectors }, { source: 't' }).prometheus).toMatchObject({
      maxSeries: 50_000,
      maxResponseBytes: 200_000_000,
    });
    expect(problemsOfParse({ prometheus: { maxSeries: 0, maxResponseBytes: 1.5 }, detectors })).toEqual([
      'prometheus.maxSeries: must be >= 1',
      'prometheus.maxResponseBytes: must be a whole number',
    ]);
  });

  it('requires a SigV4 region unless the URL is an Amazon Managed Prometheus workspace', () => {
    expect(problemsOfParse({ prometheus: { url: 'http://127.0.0.1:9', auth: { type: 'sigv4' } }, detectors: [{ name: 'a', query: 'up' }] })).toEqual([
      'prometheus.auth.region: is required when prometheus.url is not an aps-workspaces.<region>.amazonaws.com URL',
    ]);
  });
});

describe('Prometheus auth and recordings', () => {
  it('turns SigV4 on for an Amazon Managed Prometheus workspace URL, region from the host', () => {
    // Act
    const config = parseConfig(
      { prometheus: { url: 'https://aps-workspaces.eu-central-1.amazonaws.com/workspaces/ws-1234/' }, detectors: [{ name: 'a', query: 'up' }] },
      { source: 't' },
    );

    // Assess
    expect(config.prometheus.url).toBe('https://aps-workspaces.eu-central-1.amazonaws.com/workspaces/ws-1234');
    expect(config.prometheus.auth).toEqual({ type: 'sigv4', region: 'eu-central-1', service: 'aps' });
  });

  it('leaves a workspace URL unsigned when auth says none', () => {
    const config = parseConfig(
      { prometheus: { url: 'https://aps-workspaces.eu-central-1.amazonaws.com/workspaces/ws-1', auth: { type: 'none' } }, detectors: [{ name: 'a', query: 'up' }] },
      { source: 't' },
    );
    expect(config.prometheus.auth).toEqual({ type: 'none' });
  });

  it('signs any URL with an explicit sigv4 auth', () => {
    const config = parseConfig(
      { prometheus: { url: 'http://127.0.0.1:9090', auth: { type: 'sigv4', region: 'us-east-2' } }, detectors: [{ name: 'a', query: 'up' }] },
      { source: 't' },
    );
    expect(config.prometheus.auth).toEqual({ type: 'sigv4', region: 'us-east-2', service: 'aps' });
  });

  it('takes a recording path relative to the config file, rebased by default', () => {
    const config = parseConfig(
      { prometheus: { recording: { path: 'recording.json' } }, detectors: [{ name: 'a', query: 'up' }] },
      { source: 't', baseDir: '/app/examples/demo' },
    );
    expect(config.prometheus.recording).toEqual({ path: '/app/examples/demo/recording.json', rebase: true });
  });
});

describe('webhook format inference', () => {
  it.each([
    ['https://hooks.slack.com/services/T/B/x', 'slack'],
    ['https://contoso.webhook.office.com/webhookb2/abc', 'teams'],
    ['https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x', 'teams'],
    ['https://default123.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/x', 'teams'],
    ['http://alertmanager:9093/api/v2/alerts', 'alertmanager'],
    ['https://example.com/hooks/aiops', 'webhook'],
    ['not a url', 'webhook'],
  ])('%s -> %s', (url, type) => {
    expect(inferSinkType(url)).toBe(type);
  });
});

describe('durations', () => {
  it.each([
    [60, 's', 60],
    ['60', 's', 60],
    ['1m', 's', 60],
    ['1h30m', 'min', 90],
    ['500ms', 's', 0.5],
    ['2d', 'min', 2880],
    ['10s', 'ms', 10_000],
  ] as const)('%s in %s is %d', (value, unit, expected) => {
    expect(parseDuration(value, unit)).toBe(expected);
  });

  it.each(['', 'm', '1x', '-5s', '1 m', 'abc'])('rejects %j', (value) => {
    expect(parseDuration(value, 's')).toBeUndefined();
  });
});

describe('describeConfig', () => {
  it('summarises without any secret value', () => {
    // Prepare: secrets inline, in env refs and in the Prometheus URL's user info
    const config = parseConfig(
      {
        prometheus: { url: 'https://user:hunter2-password@prom.example.com', auth: { type: 'basic', username: 'u', password: 'inline-password-xyz' } },
        detectors: [{ name: 'a', query: 'up' }],
        alerts: { sinks: [{ type: 'slack', url: slackUrl }, { type: 'teams', url: { env: 'TEAMS_URL' } }] },
      },
      { source: 't' },
    );

    // Act
    const text = JSON.stringify(describeConfig(config));

    // Assess
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('inline-password-xyz');
    expect(text).not.toContain('SECRET');
    expect(text).toContain('https://prom.example.com');
    expect(text).toContain('env TEAMS_URL');
    expect(text).toContain('inline value');
  });
});
