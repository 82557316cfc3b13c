/**
 * The IAM statements serverless.yml takes from infra/aws/serverless-vars.cjs, computed for given
 * params without packaging (test/integration/serverless-package.test.ts checks the packaged
 * template for the default and a full set of params).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown[];
}
const require = createRequire(import.meta.url);
const vars = require('../../../infra/aws/serverless-vars.cjs') as {
  iamStatements: (options: { resolveVariable: (name: string) => Promise<unknown> }) => Promise<Statement[]>;
};

const workspaceArn = 'arn:aws:aps:eu-west-1:123456789012:workspace/ws-0123abcd';

function resolver(params: Record<string, string>) {
  return { resolveVariable: (name: string) => Promise.resolve(params[name.replace(/^param:/, '')] ?? '') };
}

const apsActions = async (params: Record<string, string>): Promise<string[]> =>
  (await vars.iamStatements(resolver({ alertWebhookSecretId: 'hook', ...params })))
    .filter((s) => s.Action.some((a) => a.startsWith('aps:')))
    .flatMap((s) => s.Action);

describe('IAM for Amazon Managed Prometheus', () => {
  it('grants only the query actions unless write-back is asked for', async () => {
    expect(await apsActions({ apsWorkspaceArn: workspaceArn })).not.toContain('aps:RemoteWrite');
  });

  it('adds aps:RemoteWrite on the same workspace with apsRemoteWrite=true', async () => {
    const statements = await vars.iamStatements(resolver({ alertWebhookSecretId: 'hook', apsWorkspaceArn: workspaceArn, apsRemoteWrite: 'true' }));
    const aps = statements.filter((s) => s.Action.includes('aps:RemoteWrite'));
    expect(aps).toHaveLength(1);
    expect(aps[0]!.Resource).toEqual([workspaceArn]);
  });

  it('grants no aps action at all without a workspace', async () => {
    expect(await apsActions({ apsRemoteWrite: 'true' })).toEqual([]);
  });
});
