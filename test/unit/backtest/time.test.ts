import { describe, expect, it } from 'vitest';
import { parseTimeFlag } from '../../../lib/backtest/time.js';

describe('backtest --start/--end times', () => {
  const nowMs = Date.UTC(2024, 4, 8, 12, 0, 0);

  it.each([
    ['2024-05-01T00:00:00Z', Date.UTC(2024, 4, 1)],
    ['2024-05-01T02:30:00+02:30', Date.UTC(2024, 4, 1)],
    ['2024-05-01 00:00:00.250Z', Date.UTC(2024, 4, 1) + 250],
    ['1714521600', Date.UTC(2024, 4, 1)],
    ['1714521600.5', Date.UTC(2024, 4, 1) + 500],
    ['now', nowMs],
    ['now-7d', nowMs - 7 * 86_400_000],
    ['now-1h30m', nowMs - 90 * 60_000],
  ])('reads %s', (text, expectedMs) => {
    expect(parseTimeFlag(text, '--start', nowMs)).toBe(expectedMs);
  });

  it.each(['2024-05-01T00:00:00', '2024-02-30T00:00:00Z', '2024-05-01T24:00:00Z', 'now-7', 'now+1h', 'last week', ''])(
    'rejects %j, naming the flag',
    (text) => {
      expect(() => parseTimeFlag(text, '--end', nowMs)).toThrow(/--end .* is not a time/);
    },
  );
});
