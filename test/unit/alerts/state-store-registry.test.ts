import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStateStore } from '../../../lib/alerts/state-store-registry.js';
import { InputError } from '../../../lib/errors.js';

describe('createStateStore', () => {
  it('builds memory and file stores from config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aiops-css-'));
    try {
      expect(createStateStore({ type: 'memory' }).description).toBe('memory');
      const path = join(dir, 'state.json');
      expect(createStateStore({ type: 'file', path }).description).toBe(`file ${path}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('needs an injected adapter for dynamodb and prometheus', () => {
    expect(() => createStateStore({ type: 'dynamodb', table: 't', ttlDays: 30 })).toThrow(InputError);
    expect(() => createStateStore({ type: 'prometheus' })).toThrow(/Prometheus adapter/);
  });
});
