import { describe, expect, it } from 'vitest';
import { createSlackSink, slackLimits, slackMessages } from '../../../lib/sinks/slack.js';
import { describeSinkContract, sampleNotification } from './sink-contract.js';

describeSinkContract('slack', {
  makeSink: (url, { logger, timeoutMs, retries, retry }) =>
    createSlackSink({ name: 'slack:sre', url, timeoutMs, retries, retry }, { logger, random: () => 0.5 }),
});

interface Block {
  type: string;
  text: { type: string; text: string };
}
interface SlackPayload {
  text: string;
  blocks: Block[];
}

describe('slack payload', () => {
  it('has a text fallback and one section per series under a header', () => {
    const batch = [sampleNotification('a:1'), sampleNotification('b:2', 'resolved')];
    const [message] = slackMessages(batch);
    const payload = message!.payload as unknown as SlackPayload;
    expect(payload.text).toContain('1 firing, 1 resolved');
    expect(payload.text).toContain('a:1');
    expect(payload.blocks[0]!.type).toBe('header');
    expect(payload.blocks.slice(1).map((b) => b.type)).toEqual(['section', 'section']);
    const [firing, resolved] = payload.blocks.slice(1).map((b) => b.text.text);
    expect(firing).toContain('FIRING');
    expect(firing).toContain('0.83');
    expect(firing).toContain('0.61');
    expect(firing).toContain('<http://prom.example:9090/graph?g0.expr=http_latency_seconds&g0.tab=0|Graph in Prometheus>');
    expect(resolved).toContain('RESOLVED');
    expect(resolved).not.toContain('FIRING');
  });

  it('splits 120 series into messages of at most 50 blocks, every series exactly once', () => {
    const batch = Array.from({ length: 120 }, (_, i) => sampleNotification(`host-${i}:9100`));
    const messages = slackMessages(batch);
    expect(messages).toHaveLength(3);
    for (const m of messages) {
      expect((m.payload as unknown as SlackPayload).blocks.length).toBeLessThanOrEqual(slackLimits.blocksPerMessage);
    }
    expect(messages.flatMap((m) => m.ids)).toEqual(batch.map((n) => n.id));
  });

  it('keeps a section under 3,000 characters with huge labels, link intact', () => {
    const n = { ...sampleNotification('x:1'), labels: { job: 'api', blob: 'y'.repeat(10_000) } };
    const payload = slackMessages([n])[0]!.payload as unknown as SlackPayload;
    const text = payload.blocks[1]!.text.text;
    expect(text.length).toBeLessThanOrEqual(slackLimits.sectionTextChars);
    expect(text.endsWith('|Graph in Prometheus>')).toBe(true);
    expect(payload.blocks[0]!.text.text.length).toBeLessThanOrEqual(slackLimits.headerTextChars);
  });

  it('escapes Slack control characters in label values', () => {
    const n = { ...sampleNotification('x:1'), labels: { path: '/a?<b>&c' } };
    const text = (slackMessages([n])[0]!.payload as unknown as SlackPayload).blocks[1]!.text.text;
    expect(text).toContain('&lt;b&gt;&amp;c');
    expect(text).not.toContain('<b>');
  });

  it('reports each message of a split batch by its own outcome', async () => {
    const { startWebhookReceiver } = await import('../../support/webhook-receiver.js');
    const receiver = await startWebhookReceiver();
    try {
      receiver.enqueue({ status: 200 }, { status: 400, body: 'invalid_blocks' });
      const sink = createSlackSink({ url: `${receiver.baseUrl}/services/x`, retries: 0 });
      const batch = Array.from({ length: 60 }, (_, i) => sampleNotification(`h-${i}:1`));
      const result = await sink.send(batch);
      expect(result.delivered).toEqual(batch.slice(0, 49).map((n) => n.id));
      expect(result.failed.map((f) => f.id)).toEqual(batch.slice(49).map((n) => n.id));
      expect(result.failed[0]).toMatchObject({ retryable: false });
    } finally {
      await receiver.close();
    }
  });
});
