import { describe, expect, it } from 'vitest';
import { LambdaInputError } from '../../../lib/lambda/errors.js';
import { parseLambdaInput } from '../../../lib/lambda/lambda-input.js';

const scheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-15T12:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/aiops'],
  detail: {},
};

describe('parseLambdaInput', () => {
  it('runs every detector for a scheduled event and for an empty invoke', () => {
    expect(parseLambdaInput(scheduledEvent)).toEqual({ dryRun: false });
    expect(parseLambdaInput(undefined)).toEqual({ dryRun: false });
    expect(parseLambdaInput({})).toEqual({ dryRun: false });
  });

  it('runs the subset a schedule input names, and a dry run when asked', () => {
    expect(parseLambdaInput({ detectors: ['http-latency', ' queue-depth '] })).toEqual({
      detectors: ['http-latency', 'queue-depth'],
      dryRun: false,
    });
    expect(parseLambdaInput({ dryRun: true })).toEqual({ dryRun: true });
  });

  it('rejects a typo instead of silently running everything, naming the key', () => {
    const error = (() => {
      try {
        parseLambdaInput({ detector: ['http-latency'] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(LambdaInputError);
    expect((error as Error).message).toContain('"detector"');
  });

  it.each([
    [{ detectors: 'http-latency' }, /"detectors" must be a non-empty list/],
    [{ detectors: [] }, /"detectors" must be a non-empty list/],
    [{ detectors: [''] }, /"detectors" must be a non-empty list/],
    [{ dryRun: 'yes' }, /"dryRun" must be true or false/],
    [['http-latency'], /got an array/],
    ['http-latency', /got string/],
  ])('rejects %j', (event, message) => {
    expect(() => parseLambdaInput(event)).toThrow(message);
  });
});
