import { describe, expect, it } from 'vitest';
import type { SinkConfig } from '../../../lib/config/config.js';
import { createMemoryLogger } from '../../../lib/log.js';
import { SecretError } from '../../../lib/secrets/errors.js';
import { createSinks } from '../../../lib/sinks/create-sinks.js';
import { startWebhookReceiver } from '../../support/webhook-receiver.js';
import { sampleNotification } from './sink-contract.js';

const base = { timeoutMs: 2_000, retries: 0 };

describe('createSinks', () => {
  it('resolves URLs and signing secrets from env and builds each sink type', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const sinks: SinkConfig[] = [
        { name: 'team-slack', type: 'slack', url: { env: 'SLACK_URL' }, ...base },
        { name: 'signed', type: 'webhook', url: { env: 'HOOK_URL' }, signingSecret: { env: 'HOOK_KEY' }, ...base },
        { name: 'stdout', type: 'console', ...base },
      ];
      const env = { SLACK_URL: `${receiver.baseUrl}/slack/T1/B2/abc`, HOOK_URL: `${receiver.baseUrl}/hook`, HOOK_KEY: 'k3y-value' };
      const lines: string[] = [];
      const built = await createSinks(
        { sinks, repeatIntervalMinutes: 240 },
        { logger: createMemoryLogger(), secrets: { env }, consoleWrite: (l) => lines.push(l) },
      );
      expect(built.sinks.map((s) => s.name)).toEqual(['team-slack', 'signed', 'stdout']);
      expect(built.secrets).toEqual([env.SLACK_URL, env.HOOK_URL, 'k3y-value']);
      for (const sink of built.sinks) await sink.send([sampleNotification('a:1')]);
      expect(receiver.requests.map((r) => r.path)).toEqual(['/slack/T1/B2/abc', '/hook']);
      expect(receiver.requests[1]!.headers['x-signature-256']).toMatch(/^sha256=/);
      expect(lines).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it('fails naming the missing env var, not any value', async () => {
    const sinks: SinkConfig[] = [{ name: 's', type: 'teams', url: { env: 'TEAMS_URL' }, ...base }];
    const error = await createSinks({ sinks, repeatIntervalMinutes: 240 }, { logger: createMemoryLogger(), secrets: { env: {} } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SecretError);
    expect((error as Error).message).toContain('TEAMS_URL');
  });
});
