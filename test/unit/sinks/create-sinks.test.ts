import { describe, expect, it } from 'vitest';
import type { SinkConfig } from '../../../lib/config/config.js';
import { createMemoryLogger } from '../../../lib/log.js';
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

  it('keeps a sink whose secret is missing, failing its deliveries as retryable and naming the env var', async () => {
    // Prepare: one sink with a missing secret beside a console sink that works.
    const sinks: SinkConfig[] = [
      { name: 's', type: 'teams', url: { env: 'TEAMS_URL' }, ...base },
      { name: 'out', type: 'console', ...base },
    ];
    const logger = createMemoryLogger();
    const printed: string[] = [];

    // Act
    const built = await createSinks(
      { sinks, repeatIntervalMinutes: 240 },
      { logger, secrets: { env: {} }, consoleWrite: (line) => printed.push(line) },
    );
    const notification = sampleNotification('api-1');
    const broken = await built.sinks[0]!.send([notification]);
    const working = await built.sinks[1]!.send([notification]);

    // Assess: the broken sink keeps the notification for a later run; the other delivers.
    expect(broken.delivered).toEqual([]);
    expect(broken.failed).toEqual([{ id: notification.id, retryable: true, reason: expect.stringContaining('TEAMS_URL') as string }]);
    expect(working.delivered).toEqual([notification.id]);
    expect(printed.length).toBeGreaterThan(0);
    expect(logger.diagnostics.some((d) => d.level === 'error' && String(d.error).includes('TEAMS_URL'))).toBe(true);
  });

  it('keeps a sink whose URL secret is not an http(s) URL, with a reason naming where it came from, never the value', async () => {
    // Prepare: URLs from a Secrets Manager secret and an env var that are not URLs.
    const sinks: SinkConfig[] = [
      { name: 'from-aws', type: 'webhook', url: { secretsManager: 'aiops/webhook' }, ...base },
      { name: 'from-env', type: 'slack', url: { env: 'SLACK_URL' }, ...base },
    ];
    const logger = createMemoryLogger();
    const providers = {
      secretsManager: (id: string) => ({ description: `secretsManager ${id}`, get: () => Promise.resolve('hooks.example.com/S3CR3T') }),
    };

    // Act
    const built = await createSinks(
      { sinks, repeatIntervalMinutes: 240 },
      { logger, secrets: { env: { SLACK_URL: 'mailto:S3CR3T@example.com' }, providers } },
    );
    const notification = sampleNotification('api-1');
    const results = await Promise.all(built.sinks.map((sink) => sink.send([notification])));

    // Assess: a reason people can act on, the notification kept for a run after the fix.
    expect(results.map((r) => r.failed)).toEqual([
      [{ id: notification.id, retryable: true, reason: 'sink from-aws: the webhook URL from secretsManager aiops/webhook is not an http:// or https:// URL' }],
      [{ id: notification.id, retryable: true, reason: 'sink from-env: the webhook URL from env SLACK_URL is not an http:// or https:// URL' }],
    ]);
    expect(logger.lines.join('\n')).not.toContain('S3CR3T');
  });
});
