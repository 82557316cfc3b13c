import { describe, expect, it } from 'vitest';
import { createTeamsSink, teamsMessages } from '../../../lib/sinks/teams.js';
import { describeSinkContract, sampleNotification } from './sink-contract.js';

describeSinkContract('teams', {
  makeSink: (url, { logger, timeoutMs, retries, retry }) =>
    createTeamsSink({ name: 'teams:ops', url, timeoutMs, retries, retry }, { logger, random: () => 0.5 }),
});

interface Card {
  $schema: string;
  type: string;
  version: string;
  body: { type: string; items?: { type: string; text?: string; facts?: { title: string; value: string }[] }[] }[];
}
interface TeamsPayload {
  type: string;
  attachments: { contentType: string; content: Card }[];
}

describe('teams payload', () => {
  it('is a Workflows message with an Adaptive Card, not a connector MessageCard', () => {
    const payload = teamsMessages([sampleNotification('a:1'), sampleNotification('b:2', 'resolved')])[0]!
      .payload as unknown as TeamsPayload;
    expect(payload.type).toBe('message');
    expect(payload).not.toHaveProperty('@type');
    expect(payload.attachments).toHaveLength(1);
    const { contentType, content } = payload.attachments[0]!;
    expect(contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(content.type).toBe('AdaptiveCard');
    expect(content.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
    expect(['1.4', '1.5']).toContain(content.version);
    const containers = content.body.filter((b) => b.type === 'Container');
    expect(containers).toHaveLength(2);
    expect(containers[0]!.items![0]!.text).toContain('FIRING');
    expect(containers[1]!.items![0]!.text).toContain('RESOLVED');
    const facts = containers[0]!.items!.find((i) => i.type === 'FactSet')!.facts!;
    expect(facts).toContainEqual({ title: 'instance', value: 'a:1' });
    expect(facts.find((f) => f.title === 'score')!.value).toContain('0.83');
  });

  it('splits a large batch into cards under the size limit, every series once', () => {
    const batch = Array.from({ length: 200 }, (_, i) => sampleNotification(`host-${i}.example.internal:9100`));
    const messages = teamsMessages(batch, 24_000);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(Buffer.byteLength(JSON.stringify(m.payload))).toBeLessThanOrEqual(24_000);
    expect(messages.flatMap((m) => m.ids)).toEqual(batch.map((n) => n.id));
  });

  it('cuts one oversized label so a single series still fits', () => {
    const n = { ...sampleNotification('x:1'), labels: { blob: 'z'.repeat(100_000) } };
    const [message] = teamsMessages([n], 24_000);
    expect(Buffer.byteLength(JSON.stringify(message!.payload))).toBeLessThanOrEqual(24_000);
  });

  it('accepts a 202 from the Workflows trigger as delivered', async () => {
    const { startWebhookReceiver } = await import('../../support/webhook-receiver.js');
    const receiver = await startWebhookReceiver({ defaultReply: { status: 202 } });
    try {
      const sink = createTeamsSink({ url: `${receiver.baseUrl}/workflows/abc/triggers/manual/paths/invoke?sig=x` });
      const n = sampleNotification('a:1');
      expect(await sink.send([n])).toEqual({ delivered: [n.id], failed: [] });
    } finally {
      await receiver.close();
    }
  });
});
