/**
 * Reading the CloudEvent of a request: what Knative's PingSource sends (binary mode), structured
 * mode, and everything that must be refused with a message a sender can act on.
 */
import { describe, expect, it } from 'vitest';
import { EventError, readCycleTrigger } from '../../../lib/serve/cloud-event.js';

/** Headers as a PingSource (Knative Eventing 1.x) sends them, data `{"trigger":"schedule"}`. */
const pingHeaders = {
  'content-type': 'application/json',
  'ce-specversion': '1.0',
  'ce-id': '6f3f5b1e-0a1c-4c0b-9a8e-0d3b1c2a4e5f',
  'ce-source': '/apis/v1/namespaces/aiops-detector/pingsources/aiops-detector-every-minute',
  'ce-type': 'dev.knative.sources.ping',
  'ce-time': '2026-11-24T04:00:00.123Z',
};

function structured(event: Record<string, unknown>): [Record<string, string>, string] {
  return [{ 'content-type': 'application/cloudevents+json; charset=utf-8' }, JSON.stringify(event)];
}

function refusal(headers: Record<string, string>, body: string): string {
  try {
    readCycleTrigger(headers, body);
  } catch (error) {
    expect(error).toBeInstanceOf(EventError);
    return (error as Error).message;
  }
  throw new Error('expected the request to be refused');
}

describe('readCycleTrigger', () => {
  it('reads a PingSource event in binary mode: its time, every detector', () => {
    const trigger = readCycleTrigger(pingHeaders, '{"trigger":"schedule"}');
    expect(trigger).toEqual({
      id: pingHeaders['ce-id'],
      source: pingHeaders['ce-source'],
      type: 'dev.knative.sources.ping',
      time: new Date('2026-11-24T04:00:00.123Z'),
    });
  });

  it('reads a structured event with a detector subset', () => {
    const [headers, body] = structured({
      specversion: '1.0',
      id: 'e-1',
      source: 'manual',
      type: 'com.example.run',
      time: '2026-11-24T05:00:00+01:00',
      datacontenttype: 'application/json',
      data: { detectors: ['latency', 'errors', 'latency'] },
    });
    expect(readCycleTrigger(headers, body)).toEqual({
      id: 'e-1',
      source: 'manual',
      type: 'com.example.run',
      time: new Date('2026-11-24T04:00:00Z'),
      detectors: ['latency', 'errors'],
    });
  });

  it('leaves the time out when the event has none (the package would invent "now")', () => {
    const headers: Record<string, string> = { ...pingHeaders };
    delete headers['ce-time'];
    expect(readCycleTrigger(headers, '').time).toBeUndefined();
    const [sHeaders, sBody] = structured({ specversion: '1.0', id: 'x', source: 's', type: 't' });
    expect(readCycleTrigger(sHeaders, sBody).time).toBeUndefined();
  });

  it('reads a detector subset from data sent as a JSON string', () => {
    const headers = { ...pingHeaders, 'content-type': 'text/plain' };
    expect(readCycleTrigger(headers, '{"detectors":["latency"]}').detectors).toEqual(['latency']);
  });

  it('refuses a plain JSON POST, saying which modes it accepts', () => {
    expect(refusal({ 'content-type': 'application/json' }, '{"detectors":["latency"]}')).toMatch(/not a CloudEvent.*binary mode.*structured mode/);
  });

  it('refuses events missing required attributes, naming them', () => {
    const headers: Record<string, string> = { ...pingHeaders };
    delete headers['ce-source'];
    expect(refusal(headers, '')).toMatch(/invalid CloudEvent:.*source/);
    const [sHeaders, sBody] = structured({ specversion: '1.0', id: 'x', type: 't' });
    expect(refusal(sHeaders, sBody)).toMatch(/invalid CloudEvent:.*source/);
  });

  it('refuses malformed structured JSON, a bad time, batches and bad detector lists', () => {
    expect(refusal({ 'content-type': 'application/cloudevents+json' }, '{"specversion":')).toMatch(/invalid CloudEvent/);
    expect(refusal({ ...pingHeaders, 'ce-time': 'yesterday' }, '')).toMatch(/time "yesterday" is not an RFC 3339 timestamp/);
    expect(refusal({ 'content-type': 'application/cloudevents-batch+json' }, '[]')).toMatch(/batched CloudEvents are not accepted/);
    expect(refusal(pingHeaders, '{"detectors":"latency"}')).toMatch(/data.detectors must be a non-empty list/);
    expect(refusal(pingHeaders, '{"detectors":[]}')).toMatch(/data.detectors must be a non-empty list/);
  });
});
