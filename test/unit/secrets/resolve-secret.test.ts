import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretError } from '../../../lib/secrets/errors.js';
import { resolveSecret } from '../../../lib/secrets/resolve-secret.js';
import type { SecretProvider } from '../../../lib/secrets/secret-provider.js';
import { rejection } from '../../support/rejection.js';

const secretValue = 'https://hooks.example.test/services/T000/B000/s3cr3tT0ken';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-secrets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveSecret: env', () => {
  it('returns the variable value as is', async () => {
    const value = await resolveSecret({ env: 'ALERT_WEBHOOK' }, { env: { ALERT_WEBHOOK: secretValue } });
    expect(value).toBe(secretValue);
  });

  it('names the missing variable in a SecretError', async () => {
    const error = await rejection(resolveSecret({ env: 'SLACK_URL' }, { env: {} }));
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain('SLACK_URL');
    expect(error.message).toContain('not set');
  });

  it('treats an empty variable as an error', async () => {
    const error = await rejection(resolveSecret({ env: 'SLACK_URL' }, { env: { SLACK_URL: '  ' } }));
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain('empty');
  });
});

describe('resolveSecret: file', () => {
  it('trims the trailing newline a Kubernetes Secret or echo leaves', async () => {
    const path = join(dir, 'webhook');
    await writeFile(path, `${secretValue}\n`);
    expect(await resolveSecret({ file: path })).toBe(secretValue);
  });

  it('keeps inner content intact and trims CRLF endings', async () => {
    const path = join(dir, 'token-crlf');
    await writeFile(path, 'a b\tc\r\n\r\n');
    expect(await resolveSecret({ file: path })).toBe('a b\tc');
  });

  it('names the path of a missing file, not any value', async () => {
    const path = join(dir, 'does-not-exist');
    const error = await rejection(resolveSecret({ file: path }));
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain(path);
    expect(error.message).toContain('ENOENT');
  });

  it('treats a file holding only a newline as empty', async () => {
    const path = join(dir, 'empty');
    await writeFile(path, '\n');
    const error = await rejection(resolveSecret({ file: path }));
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain(path);
    expect(error.message).toContain('empty');
  });
});

describe('resolveSecret: secretsManager and inline', () => {
  it('without an AWS adapter, says Secrets Manager needs it', async () => {
    const error = await rejection(resolveSecret({ secretsManager: 'prod/aiops/slack' }));
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain('prod/aiops/slack');
    expect(error.message).toMatch(/only available with the AWS adapter/);
  });

  it('uses an injected provider for secretsManager refs', async () => {
    const asked: string[] = [];
    const factory = (secretId: string): SecretProvider => {
      asked.push(secretId);
      return { description: `secretsManager ${secretId}`, get: () => Promise.resolve(secretValue) };
    };
    const value = await resolveSecret({ secretsManager: 'prod/aiops/slack' }, { providers: { secretsManager: factory } });
    expect(value).toBe(secretValue);
    expect(asked).toEqual(['prod/aiops/slack']);
  });

  it('rejects an empty value from an injected provider without echoing it', async () => {
    const factory = (id: string): SecretProvider => ({ description: `secretsManager ${id}`, get: () => Promise.resolve('') });
    const error = await rejection(resolveSecret({ secretsManager: 'x/y' }, { providers: { secretsManager: factory } }));
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toContain('x/y');
  });

  it('returns an inline value and rejects an empty one', async () => {
    expect(await resolveSecret({ value: secretValue })).toBe(secretValue);
    expect(await rejection(resolveSecret({ value: '' }))).toBeInstanceOf(SecretError);
  });
});
