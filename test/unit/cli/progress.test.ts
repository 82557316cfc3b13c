import { describe, expect, it } from 'vitest';
import { createProgressBar, formatEta } from '../../../lib/cli/progress.js';

/** A terminal stand-in: everything written to it. */
function fakeTerminal() {
  const writes: string[] = [];
  return {
    writes,
    write: (text: string) => writes.push(text),
  };
}

/** Replays `\r`-rewritten output as a terminal would and returns the visible line. */
function visibleLine(output: string): string {
  let line: string[] = [];
  let col = 0;
  for (const ch of output) {
    if (ch === '\r') {
      col = 0;
      continue;
    }
    line[col] = ch;
    col += 1;
  }
  line = line.map((c) => c ?? ' ');
  return line.join('').trimEnd();
}

describe('progress bar', () => {
  it('writes nothing at all when stderr is not a terminal', () => {
    // Prepare
    const terminal = fakeTerminal();
    let clock = 0;
    const bar = createProgressBar({ write: terminal.write, isTty: false, nowMs: () => clock });

    // Act
    for (let done = 0; done <= 1000; done += 10) {
      clock += 50;
      bar.update(done, 1000);
    }
    bar.clear();

    // Assess
    expect(terminal.writes).toEqual([]);
  });

  it('rewrites one line with counts, percent, rate and ETA, at most once per interval', () => {
    // Prepare
    const terminal = fakeTerminal();
    let clock = 1_000;
    const bar = createProgressBar({ write: terminal.write, isTty: true, nowMs: () => clock, intervalMs: 100, label: 'backtest' });

    // Act: 20 updates 10 ms apart, then one 2 s in (500 of 1000 rows done: 250 rows/s, 2 s left).
    for (let i = 1; i <= 20; i++) {
      clock += 10;
      bar.update(i, 1000);
    }
    const afterBurst = terminal.writes.length;
    clock = 3_000;
    bar.update(500, 1000, '(series 1/2)');

    // Assess
    // 200 ms of updates every 10 ms: drawn at 100 ms and 200 ms, not 20 times.
    expect(afterBurst).toBe(2);
    expect(terminal.writes.every((w) => w.startsWith('\r') && !w.includes('\n'))).toBe(true);
    const shown = visibleLine(terminal.writes.join(''));
    expect(shown).toMatch(/^backtest \[#{12}\.{12}\] 500\/1,000 rows 50% 250 rows\/s ETA 2s \(series 1\/2\)$/);
  });

  it('draws nothing for a job shorter than the interval, and clear() then writes nothing', () => {
    const terminal = fakeTerminal();
    let clock = 0;
    const bar = createProgressBar({ write: terminal.write, isTty: true, nowMs: () => clock, intervalMs: 100 });

    clock = 60;
    bar.update(1000, 1000);
    bar.clear();

    expect(terminal.writes).toEqual([]);
  });

  it('clears the line at the end, longer lines included', () => {
    // Prepare
    const terminal = fakeTerminal();
    let clock = 0;
    const bar = createProgressBar({ write: terminal.write, isTty: true, nowMs: () => clock, intervalMs: 100 });
    clock = 200;
    bar.update(10, 100_000, '(series 10/12)');
    clock = 400;
    bar.update(20, 100_000);

    // Act
    bar.clear();

    // Assess: a terminal shows an empty line and the cursor is back at its start.
    const output = terminal.writes.join('');
    expect(visibleLine(output)).toBe('');
    expect(output.endsWith('\r')).toBe(true);
    // The shorter second line padded over the first one's tail before the clear.
    expect(visibleLine(terminal.writes.slice(0, 2).join(''))).not.toContain('series');
  });

  it('formats an ETA briefly', () => {
    expect([formatEta(0), formatEta(42.4), formatEta(185), formatEta(3_720), formatEta(Number.NaN)]).toEqual([
      '0s',
      '42s',
      '3m05s',
      '1h02m',
      '?',
    ]);
  });
});
