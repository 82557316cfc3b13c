/**
 * The parts of serverless.yml that depend on whether a param is set, computed at package time.
 * osls' variable syntax has no `if`, and CloudFormation `Fn::If` would leave disabled parts in
 * the template; this keeps the template to exactly what is deployed:
 *
 *   provider.vpc:                 ${file(./infra/aws/serverless-vars.cjs):vpc}
 *   provider.iam.role.statements: ${file(./infra/aws/serverless-vars.cjs):iamStatements}
 *
 * osls calls each export with `{ resolveVariable }`; params come from `--param key=value` or
 * the `params.default` block of serverless.yml. CommonJS because osls loads it with require.
 */
/* global module */
'use strict';

/** `a, b,,c` -> ['a', 'b', 'c']. */
function splitList(text) {
  return String(text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** A param's value, '' when it is set to nothing (params.default holds '' for optional ones). */
async function param(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}`);
  return value == null ? '' : String(value).trim();
}

/**
 * VpcConfig for a private Prometheus endpoint, or null (no VPC, and then osls adds no ENI
 * policy either). Both lists are needed: a Lambda in a VPC needs subnets and security groups.
 */
async function vpc({ resolveVariable }) {
  const subnetIds = splitList(await param(resolveVariable, 'subnetIds'));
  const securityGroupIds = splitList(await param(resolveVariable, 'securityGroupIds'));
  if (subnetIds.length === 0 && securityGroupIds.length === 0) return null;
  if (subnetIds.length === 0 || securityGroupIds.length === 0) {
    throw new Error(
      'serverless.yml: a VPC needs both params subnetIds and securityGroupIds (comma-separated); ' +
        `got ${subnetIds.length} subnet(s) and ${securityGroupIds.length} security group(s)`,
    );
  }
  return { subnetIds, securityGroupIds };
}

/**
 * The IAM resource of the webhook secret: an ARN as given, or for a name the ARN pattern of
 * that name in this account and region. Secrets Manager appends `-` and six random characters
 * to a secret's ARN; `??????` matches exactly those six, so `team` does not also grant
 * `team-prod` (which a trailing `*` would).
 */
function secretResource(secretId) {
  if (secretId.startsWith('arn:')) return secretId;
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':secretsmanager:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:secret:${secretId}-??????`,
      ],
    ],
  };
}

/** Least-privilege statements: one secret, one table, and the AMP workspace when one is set. */
async function iamStatements({ resolveVariable }) {
  const secretId = await param(resolveVariable, 'alertWebhookSecretId');
  if (secretId === '') throw new Error('serverless.yml: param alertWebhookSecretId (secret name or ARN) is required');
  if (secretId.includes('*')) throw new Error('serverless.yml: param alertWebhookSecretId must not contain "*"');
  const statements = [
    {
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [secretResource(secretId)],
    },
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      Resource: [{ 'Fn::GetAtt': ['AlertStateTable', 'Arn'] }],
    },
    {
      // Detector state (lib/model): object reads, writes and deletes in the one bucket, and
      // listing it (a cold run lists a detector's folder to remove what no series uses).
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['DetectorStateBucket', 'Arn'] }, '/*']] }],
    },
    {
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [{ 'Fn::GetAtt': ['DetectorStateBucket', 'Arn'] }],
    },
  ];
  const workspaceArn = await param(resolveVariable, 'apsWorkspaceArn');
  if (workspaceArn !== '') {
    if (!workspaceArn.startsWith('arn:') || workspaceArn.includes('*')) {
      throw new Error('serverless.yml: param apsWorkspaceArn must be a workspace ARN (arn:aws:aps:REGION:ACCOUNT:workspace/ws-...)');
    }
    const actions = ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'];
    // Write-back (scores into the workspace) needs RemoteWrite; only when asked for.
    if ((await param(resolveVariable, 'apsRemoteWrite')) === 'true') actions.push('aps:RemoteWrite');
    statements.push({ Effect: 'Allow', Action: actions, Resource: [workspaceArn] });
  }
  return statements;
}

/**
 * The detector state bucket's name: param stateBucketName, or service-stage-region-detector-state.
 * S3 names are global across accounts, so a taken default is changed with the param (no account
 * id in the default: resolving it would need AWS credentials at package time).
 */
async function stateBucketName({ resolveVariable }) {
  const name = await param(resolveVariable, 'stateBucketName');
  if (name !== '') return name;
  const [service, stage, region] = await Promise.all([
    resolveVariable('self:service'),
    resolveVariable('sls:stage'),
    param(resolveVariable, 'region'),
  ]);
  return `${service}-${stage}-${region}-detector-state`.toLowerCase();
}

module.exports = { vpc, iamStatements, stateBucketName, splitList, secretResource };
