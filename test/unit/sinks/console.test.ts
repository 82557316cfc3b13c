import { describe, expect, it } from 'vitest';
import { createConsoleSink } from '../../../lib/sinks/console.js';
import type { Notification } from '../../../lib/sinks/sink.js';
import { sampleNotification } from './sink-contract.js';

describe('console sink', () => {
  it('prints a readable line and a JSON line per notification, all delivered', async () => {
    const lines: string[] = [];
    const sink = createConsoleSink({}, { write: (line) => lines.push(line) });
    const batch = [sampleNotification('a:1'), sampleNotification('b:2', 'resolved')];
    const result = await sink.send(batch);
    expect(result).toEqual({ delivered: batch.map((n) => n.id), failed: [] });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\[FIRING\] critical latency \{.*instance="a:1".*\} score 0\.83 >= threshold 0\.61, value 4\.2/);
    expect((JSON.parse(lines[1]!) as { notification: Notification }).notification).toEqual(batch[0]);
    expect(lines[2]).toMatch(/^\[RESOLVED\]/);
    expect(lines[2]).toContain('back to normal');
  });
});
