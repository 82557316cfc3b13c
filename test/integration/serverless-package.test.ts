/**
 * `serverless package` (osls + serverless-esbuild) offline, into temporary folders, and what
 * the resulting CloudFormation template and zip would deploy: schedule, runtime, IAM (least
 * privilege, no `*` resource), the state table, log retention, VPC, and a small ESM bundle.
 * osls makes no AWS call while packaging, as long as serverless.yml does not use `${aws:...}`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readZip } from '../support/zip.js';
import { offlineSlsEnv, repoDir, slsBin } from '../support/serverless.js';


type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Template {
  Resources: Record<string, { Type: string; Properties: JsonObject; Condition?: string }>;
}
interface Packaged {
  template: Template;
  zip: Buffer;
  zipName: string;
  durationMs: number;
}

/** Runs `serverless package --package DIR` with its own esbuild work folder; rejects with its output. */
async function slsPackage(params: Record<string, string>, extraArgs: string[] = []): Promise<Packaged> {
  const outDir = await mkdtemp(join(tmpdir(), 'aiops-sls-package-'));
  // Inside the (gitignored) .esbuild folder, one per build: parallel test runs do not clash.
  const workFolder = join('.esbuild', `test-${process.pid}-${Math.floor(performance.now() * 1000)}`);
  await rm(join(repoDir, workFolder), { recursive: true, force: true });
  const args = [slsBin, 'package', '--package', outDir, ...extraArgs];
  for (const [key, value] of Object.entries(params)) args.push('--param', `${key}=${value}`);
  const started = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        args,
        {
          cwd: repoDir,
          timeout: 60_000,
          env: offlineSlsEnv(workFolder, { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test-secret' }),
        },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`serverless package failed: ${error.message}\n${stdout}\n${stderr}`));
          else resolve();
        },
      );
    });
    const durationMs = performance.now() - started;
    const files = await readdir(outDir);
    const zipName = files.find((f) => f.endsWith('.zip'));
    if (!zipName) throw new Error(`no zip in ${outDir}: ${files.join(', ')}`);
    return {
      template: JSON.parse(await readFile(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template,
      zip: await readFile(join(outDir, zipName)),
      zipName,
      durationMs,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
    await rm(join(repoDir, workFolder), { recursive: true, force: true });
  }
}

/** Resolves the intrinsics this template uses for ARNs, with example pseudo parameters. */
function resolveArn(value: Json, region: string): Json {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::AccountId': '123456789012',
  };
  if (Array.isArray(value)) return value.map((v) => resolveArn(v, region));
  if (value === null || typeof value !== 'object') return value;
  if ('Ref' in value && typeof value.Ref === 'string' && pseudo[value.Ref]) return pseudo[value.Ref]!;
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map((p) => text(resolveArn(p, region))).join(separator);
  }
  if ('Fn::Sub' in value && typeof value['Fn::Sub'] === 'string') {
    return value['Fn::Sub'].replace(/\$\{(AWS::\w+)\}/g, (_m, name: string) => pseudo[name] ?? `\${${name}}`);
  }
  return value;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
}

/** Every statement of every inline policy of every role and policy in the template. */
function allStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  for (const resource of Object.values(template.Resources)) {
    const docs: Json[] = [];
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of (resource.Properties.Policies ?? []) as JsonObject[]) docs.push(policy.PolicyDocument!);
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      docs.push(resource.Properties.PolicyDocument!);
    }
    for (const doc of docs) statements.push(...(doc as unknown as { Statement: Statement[] }).Statement);
  }
  return statements;
}

/** A template value that must be a string (fails the test otherwise). */
function text(value: Json | undefined): string {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}

const asList = (value: Json | string | string[]): Json[] => (Array.isArray(value) ? value : [value]);

function statementFor(template: Template, actionPrefix: string): Statement[] {
  return allStatements(template).filter((s) => asList(s.Action).some((a) => text(a).startsWith(actionPrefix)));
}

function resourceOfType(template: Template, type: string): { Properties: JsonObject; Condition?: string } {
  const found = Object.values(template.Resources).filter((r) => r.Type === type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0]!;
}

const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/hook-AbCdEf';
const workspaceArn = 'arn:aws:aps:eu-west-1:123456789012:workspace/ws-0123abcd-4567-89ef-0123-456789abcdef';

let plain: Packaged;
let private_: Packaged;

beforeAll(async () => {
  plain = await slsPackage({});
  private_ = await slsPackage(
    {
      region: 'eu-west-1',
      alertWebhookSecretId: secretArn,
      apsWorkspaceArn: workspaceArn,
      subnetIds: 'subnet-0aa, subnet-0bb',
      securityGroupIds: 'sg-0cc',
      schedule: 'rate(5 minutes)',
      scheduleInput: JSON.stringify({ detectors: ['http-latency', 'queue-depth'] }),
      memorySize: '512',
      timeoutSeconds: '120',
      logRetentionInDays: '14',
    },
    ['--stage', 'prod'],
  );
  // The CI budget: one package takes a few seconds here (see the report / README).
  console.info(`serverless package: ${Math.round(plain.durationMs)} ms, ${Math.round(private_.durationMs)} ms`);
}, 120_000);

describe('serverless package: defaults', () => {
  it('schedules the function every minute with no input', () => {
    const rule = resourceOfType(plain.template, 'AWS::Events::Rule');
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.State).toBe('ENABLED');
    const [target] = rule.Properties.Targets as JsonObject[];
    expect(target!.Arn).toEqual({ 'Fn::GetAtt': ['DetectLambdaFunction', 'Arn'] });
    expect(target!.Input).toBeUndefined();
    const permission = resourceOfType(plain.template, 'AWS::Lambda::Permission');
    expect(permission.Properties.Principal).toBe('events.amazonaws.com');
  });

  it('runs the .mjs ESM bundle on Node.js 22 or newer, arm64, with the configured environment', () => {
    const fn = resourceOfType(plain.template, 'AWS::Lambda::Function').Properties;
    expect(fn.Handler).toBe('functions/lambda.handler');
    expect(text(fn.Runtime)).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.MemorySize).toBe(1024);
    expect(fn.Timeout).toBeLessThan(60);
    expect(fn.VpcConfig).toBeUndefined();
    const env = (fn.Environment as { Variables: JsonObject }).Variables;
    expect(env.ALERT_WEBHOOK_SECRET_ID).toBe('aiops-detector/webhook');
    // A plain name (invoke local cannot resolve a Ref offline), the table's own.
    expect(env.STATE_TABLE).toBe(resourceOfType(plain.template, 'AWS::DynamoDB::Table').Properties.TableName);
    expect(Number(env.STATE_TTL_DAYS)).toBe(30);
    // '' = guess the payload from the secret's URL (lib/lambda/lambda-config.ts).
    expect(env.WEBHOOK_FORMAT).toBe('');
    expect(Number(env.SECRETS_CACHE_EXPIRY_SECONDS)).toBeGreaterThan(0);
    // Powertools Metrics (EMF): the stage in the `service` dimension, on unless the param turns it off.
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('aiops-detector-dev');
    expect(env.POWERTOOLS_METRICS_DISABLED).toBe('false');
    expect(readZip(plain.zip).has(text(env.CONFIG_FILE))).toBe(true);
  });

  it('grants GetSecretValue on exactly the named secret (its ARN suffix, not a prefix)', () => {
    const statements = statementFor(plain.template, 'secretsmanager:');
    expect(statements).toHaveLength(1);
    expect(asList(statements[0]!.Action)).toEqual(['secretsmanager:GetSecretValue']);
    expect(asList(statements[0]!.Resource).map((r) => resolveArn(r, 'us-east-1'))).toEqual([
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:aiops-detector/webhook-??????',
    ]);
  });

  it('grants item access on the state table only, and no Prometheus or VPC permission', () => {
    const [dynamo, ...more] = statementFor(plain.template, 'dynamodb:');
    expect(more).toEqual([]);
    expect([...asList(dynamo!.Action)].sort()).toEqual(
      ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
    );
    expect(asList(dynamo!.Resource)).toEqual([{ 'Fn::GetAtt': ['AlertStateTable', 'Arn'] }]);
    expect(statementFor(plain.template, 'aps:')).toEqual([]);
    const role = resourceOfType(plain.template, 'AWS::IAM::Role');
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('has no "*" resource in any statement, and none at all in its own statements', () => {
    const statements = allStatements(plain.template);
    expect(statements.length).toBeGreaterThan(3);
    for (const statement of statements) {
      const actions = asList(statement.Action).map(text);
      if (actions.every((a) => ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'].includes(a))) {
        // Object actions name objects: the detector state bucket's own, and no other bucket's.
        expect(statement.Resource).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['DetectorStateBucket', 'Arn'] }, '/*']] }]);
        continue;
      }
      if (actions.includes('s3:ListBucket')) {
        expect(statement.Resource).toEqual([{ 'Fn::GetAtt': ['DetectorStateBucket', 'Arn'] }]);
        continue;
      }
      const resources = asList(statement.Resource).map((r) => resolveArn(r, 'us-east-1'));
      expect(resources, JSON.stringify(statement)).not.toContain('*');
      if (actions.every((a) => a.startsWith('logs:'))) {
        // osls' own log statements: this function's log group (streams need a wildcard).
        for (const r of resources) expect(text(r)).toMatch(/:log-group:\/aws\/lambda\/aiops-detector-dev\*:\*/);
      } else {
        expect(JSON.stringify(resources), JSON.stringify(statement)).not.toContain('*');
      }
    }
  });

  it('creates the state table on demand, keyed by detector and series, with TTL on "ttl"', () => {
    const table = resourceOfType(plain.template, 'AWS::DynamoDB::Table').Properties;
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.KeySchema).toEqual([
      { AttributeName: 'detector', KeyType: 'HASH' },
      { AttributeName: 'seriesKey', KeyType: 'RANGE' },
    ]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('keeps logs 30 days and sends failed runs to a queue without async retries', () => {
    expect(resourceOfType(plain.template, 'AWS::Logs::LogGroup').Properties.RetentionInDays).toBe(30);
    const invokeConfig = resourceOfType(plain.template, 'AWS::Lambda::EventInvokeConfig').Properties;
    expect(invokeConfig.MaximumRetryAttempts).toBe(0);
    expect(invokeConfig.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': ['FailedInvocationsQueue', 'Arn'] } },
    });
    const [send] = statementFor(plain.template, 'sqs:');
    expect(asList(send!.Action)).toEqual(['sqs:SendMessage']);
    expect(asList(send!.Resource)).toEqual([{ 'Fn::GetAtt': ['FailedInvocationsQueue', 'Arn'] }]);
  });

  it('zips a minified ESM bundle under 1 MB: no source maps, no TypeScript, no local-invoke shim', () => {
    const entries = [...readZip(plain.zip).keys()];
    expect(plain.zip.length).toBeLessThan(1024 * 1024);
    expect(entries).toContain('functions/lambda.mjs');
    expect(entries).toContain('infra/aws/detectors.yaml');
    expect(entries.filter((e) => /\.(map|cjs|ts)$/.test(e) || e.startsWith('node_modules/'))).toEqual([]);
  });

  it("bundles a handler that Node imports as ESM from the extracted zip, without loading Node's fetch (undici)", async () => {
    // Prepare: unzip the bundle alone, without any package.json, as Lambda's /var/task has none.
    const dir = await mkdtemp(join(tmpdir(), 'aiops-sls-bundle-'));
    const bundle = join(dir, 'functions', 'lambda.mjs');
    await mkdir(dirname(bundle), { recursive: true });
    await writeFile(bundle, readZip(plain.zip).get('functions/lambda.mjs')!);

    // Act: a separate process, so nothing of this test's module graph helps the import.
    // process.moduleLoadList (undocumented, but long-standing) names the built-ins loaded.
    const script = [
      `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
      'const builtins = process.moduleLoadList ?? [];',
      "console.log(JSON.stringify({ handler: typeof m.handler, builtins: builtins.length, undici: builtins.filter((b) => b.includes('undici')) }));",
    ].join('\n');
    const loaded = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { cwd: dir, timeout: 20_000, env: { PATH: process.env.PATH, AWS_EC2_METADATA_DISABLED: 'true' } },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim())),
      );
    }).finally(() => rm(dir, { recursive: true, force: true }));

    // Assess: undici costs about 25 ms of CPU per cold start (infra/aws/esbuild/plugins.cjs).
    const { handler, builtins, undici } = JSON.parse(loaded) as { handler: string; builtins: number; undici: string[] };
    expect(handler).toBe('function');
    expect(builtins).toBeGreaterThan(0);
    expect(undici).toEqual([]);
  });
});

describe('serverless package: VPC, Amazon Managed Prometheus, subset input', () => {
  it('puts the function in the given subnets and security groups, with the ENI policy', () => {
    const fn = resourceOfType(private_.template, 'AWS::Lambda::Function').Properties;
    expect(fn.VpcConfig).toMatchObject({ SubnetIds: ['subnet-0aa', 'subnet-0bb'], SecurityGroupIds: ['sg-0cc'] });
    const role = resourceOfType(private_.template, 'AWS::IAM::Role');
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('AWSLambdaVPCAccessExecutionRole');
  });

  it('grants the four query actions on the one workspace', () => {
    const statements = statementFor(private_.template, 'aps:');
    expect(statements).toHaveLength(1);
    expect([...asList(statements[0]!.Action)].sort()).toEqual(
      ['aps:GetLabels', 'aps:GetMetricMetadata', 'aps:GetSeries', 'aps:QueryMetrics'].sort(),
    );
    expect(asList(statements[0]!.Resource)).toEqual([workspaceArn]);
  });

  it('grants GetSecretValue on a secret given by ARN exactly as given', () => {
    const [statement] = statementFor(private_.template, 'secretsmanager:');
    expect(asList(statement!.Resource)).toEqual([secretArn]);
  });

  it('passes the schedule, its input and the sizing params through', () => {
    const rule = resourceOfType(private_.template, 'AWS::Events::Rule').Properties;
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    const [target] = rule.Targets as JsonObject[];
    expect(JSON.parse(text(target!.Input))).toEqual({ detectors: ['http-latency', 'queue-depth'] });
    const fn = resourceOfType(private_.template, 'AWS::Lambda::Function').Properties;
    expect(fn.MemorySize).toBe(512);
    expect(fn.Timeout).toBe(120);
    expect(fn.FunctionName).toBe('aiops-detector-prod-detect');
    expect(resourceOfType(private_.template, 'AWS::Logs::LogGroup').Properties.RetentionInDays).toBe(14);
    expect(resourceOfType(private_.template, 'AWS::DynamoDB::Table').Properties.TableName).toBe(
      'aiops-detector-prod-alert-state',
    );
  });

  it('refuses a VPC with subnets but no security group, naming both params', async () => {
    const error = await slsPackage({ subnetIds: 'subnet-0aa' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain('subnetIds');
    expect(error?.message).toContain('securityGroupIds');
  });
});

afterAll(async () => {
  // Nothing of a build may stay behind in the repo besides osls' cache in .sls-home.
  const leftovers = await readdir(join(repoDir, '.esbuild')).catch(() => [] as string[]);
  expect(leftovers.filter((name) => name.startsWith(`test-${process.pid}-`))).toEqual([]);
});
