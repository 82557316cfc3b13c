import { describe, expect, it } from 'vitest';
import { CsvError, parseNumericCsv, parseTimestamp } from '../../../lib/csv/index.js';
import { InputError } from '../../../lib/errors.js';

describe('parseNumericCsv', () => {
  it('reads the header and numeric columns, skipping the timestamp column as a feature', () => {
    const table = parseNumericCsv('timestamp,value,load\n1700000000,1.5,-2\n1700000060,2e3,0.25\n');
    expect(table.header).toEqual(['timestamp', 'value', 'load']);
    expect(table.rows).toBe(2);
    expect(table.columns.map((c) => [c.name, [...c.values]])).toEqual([
      ['value', [1.5, 2000]],
      ['load', [-2, 0.25]],
    ]);
    expect(table.timestamp?.text).toEqual(['1700000000', '1700000060']);
    expect([...table.timestamp!.epochMs]).toEqual([1_700_000_000_000, 1_700_000_060_000]);
    expect([...table.lineNumbers]).toEqual([2, 3]);
  });

  it('handles CRLF, a byte order mark, no trailing newline, blank lines and quoted fields', () => {
    const table = parseNumericCsv('\uFEFF"value", "a ""b"""\r\n"1",2\r\n\r\n 3 , "4" ');
    expect(table.header).toEqual(['value', 'a "b"']);
    expect(table.columns.map((c) => [...c.values])).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect([...table.lineNumbers]).toEqual([2, 4]);
    expect(table.timestamp).toBeNull();
  });

  it('a header alone gives zero rows', () => {
    expect(parseNumericCsv('value\n').rows).toBe(0);
  });

  it.each([
    ['a bad cell, by line and column name', 'value\n1\n2\n3\n4\n5\nabc\n', "line 7, column 'value': 'abc' is not a number"],
    ['an empty cell', 'a,b\n1,\n', "line 2, column 'b': empty cell"],
    ['hexadecimal', 'a\n0x1A\n', "line 2, column 'a': '0x1A' is not a number"],
    ['NaN', 'a\nNaN\n', "line 2, column 'a': 'NaN' is not a number"],
    ['an overflowing number', 'a\n1e999\n', "line 2, column 'a': '1e999' is out of range"],
    ['a ragged line', 'a,b\n1,2\n3\n', 'line 3: 1 fields, but the header has 2'],
    ['an empty file', '', 'empty file: expected a header row'],
    ['a blank file', '\n \r\n', 'empty file'],
    ['a duplicate header', 'a,b,a\n1,2,3\n', "line 1 (header): duplicate column 'a' (columns 1 and 3)"],
    ['an unnamed column', 'a,,c\n', 'line 1 (header): column 2 has no name'],
    ['an unterminated quote', 'a\n"1\n', 'line 2: unterminated quoted field'],
    ['a bad timestamp', 'timestamp,v\nyesterday,1\n', "line 2, column 'timestamp': 'yesterday' is not a timestamp"],
    ['an impossible date', 'timestamp,v\n2023-02-30 00:00:00,1\n', "line 2, column 'timestamp': '2023-02-30 00:00:00'"],
  ])('rejects %s with a CsvError saying where', (_name, text, message) => {
    expect(() => parseNumericCsv(text, { source: 'data.csv' })).toThrow(CsvError);
    expect(() => parseNumericCsv(text, { source: 'data.csv' })).toThrow(`data.csv: ${message}`);
  });

  it('CsvError is an InputError and a long bad cell is cut short in the message', () => {
    const text = `a\n${'x'.repeat(500)}\n`;
    expect(() => parseNumericCsv(text)).toThrow(InputError);
    expect(() => parseNumericCsv(text)).toThrow(/^line 2, column 'a': 'x{40}\.\.\.' is not a number$/);
  });

  it('reads another column as the timestamp when told to', () => {
    const table = parseNumericCsv('time,value\n2014-02-14 14:30:00,1\n', { timestampColumn: 'time' });
    expect(table.columns.map((c) => c.name)).toEqual(['value']);
    expect([...table.timestamp!.epochMs]).toEqual([Date.UTC(2014, 1, 14, 14, 30)]);
  });
});

describe('parseTimestamp', () => {
  it.each([
    ['2014-02-14 14:30:00', Date.UTC(2014, 1, 14, 14, 30, 0)],
    ['2014-02-14T14:30:00Z', Date.UTC(2014, 1, 14, 14, 30, 0)],
    ['2014-02-14T14:30:00.250Z', Date.UTC(2014, 1, 14, 14, 30, 0, 250)],
    ['2014-02-14T16:30:00+02:00', Date.UTC(2014, 1, 14, 14, 30, 0)],
    ['2014-02-14T09:30-0500', Date.UTC(2014, 1, 14, 14, 30, 0)],
    ['2014-02-14', Date.UTC(2014, 1, 14)],
    ['1392388200', Date.UTC(2014, 1, 14, 14, 30, 0)],
    ['1392388200.5', Date.UTC(2014, 1, 14, 14, 30, 0, 500)],
    ['1392388200000', Date.UTC(2014, 1, 14, 14, 30, 0)],
  ])('%s -> epoch ms (UTC when no offset is given)', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });

  it.each(['', 'now', '2014-13-01', '2014-02-14 25:00:00', '14/02/2014'])('%j is not a timestamp (NaN)', (text) => {
    expect(parseTimestamp(text)).toBeNaN();
  });
});
