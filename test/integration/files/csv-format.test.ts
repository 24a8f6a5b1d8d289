// The CSV reader and writer on their own: every record comes out the same however the
// text is cut into chunks, and what the writer writes reads back value for value; the
// text parsers' recovering mode hands malformed records back instead of throwing.
import { describe, expect, it } from 'vitest';
import { CsvParser, CsvSyntaxError, formatCsvLine, type CsvField, type CsvOptions, type CsvRecord } from '../../../lib/connectors/files/csv-format';
import { JsonLinesParser } from '../../../lib/connectors/files/json-format';
import { RegexLineParser } from '../../../lib/connectors/files/regex-format';

const parseIn = (text: string, opts: CsvOptions, cut: number) => {
  const p = new CsvParser(opts);
  const out: { fields: CsvField[]; line: number }[] = [];
  for (let i = 0; i < text.length; i += cut) out.push(...p.push(text.slice(i, i + cut)));
  out.push(...p.end());
  return out;
};

const quoted: CsvOptions = { fieldSeparator: ',', lineSeparator: undefined, quote: true };

describe('CsvParser', () => {
  const text = 'a,"b,c",\r\n"say ""hi""","",x\n"multi\nline",2,3\n';
  const expected = [
    { fields: ['a', 'b,c', null], line: 1 },
    { fields: ['say "hi"', '', 'x'], line: 2 },
    { fields: ['multi\nline', '2', '3'], line: 3 },
  ];

  it.each([1, 2, 3, 5, 7, 1000])('reads the same records when the text arrives %i characters at a time', (cut) => {
    expect(parseIn(text, quoted, cut)).toEqual(expected);
  });

  it.each([1, 2, 4])('reads multi-character separators split across chunks (%i at a time)', (cut) => {
    const opts: CsvOptions = { fieldSeparator: '||', lineSeparator: '<EOL>', quote: false };
    expect(parseIn('a||b<EOL>c||<EOL>', opts, cut).map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['c', null],
    ]);
  });

  it('takes quotes literally when quoteChar is off', () => {
    expect(parseIn('"a,b"\n', { ...quoted, quote: false }, 100).map((r) => r.fields)).toEqual([['"a', 'b"']]);
  });

  it('reports an unclosed quote with the line the record starts on', () => {
    expect(() => parseIn('ok,1\n"never closed,2\n', quoted, 100)).toThrowError(CsvSyntaxError);
    try {
      parseIn('ok,1\n"never closed,2\n', quoted, 100);
    } catch (e) {
      expect((e as CsvSyntaxError).line).toBe(2);
    }
  });
});

describe('recovering parsers (dirty data)', () => {
  it.each([1, 3, 1000])('CsvParser with recover returns a bad record with its line, text and reason, and reads on (%i at a time)', (cut) => {
    const p = new CsvParser({ ...quoted, recover: true, keepRaw: true });
    const text = 'a,1\n"b"x,2\nc,3\n"never closed,4\nd,5\n';
    const out: CsvRecord[] = [];
    for (let i = 0; i < text.length; i += cut) out.push(...p.push(text.slice(i, i + cut)));
    out.push(...p.end());
    expect(out).toEqual([
      { fields: ['a', '1'], line: 1, raw: 'a,1' },
      { fields: [], line: 2, raw: '"b"x,2', error: 'unexpected text after a closing quote: "x,2"' },
      { fields: ['c', '3'], line: 3, raw: 'c,3' },
      { fields: [], line: 4, raw: '"never closed,4\nd,5', error: 'a quoted field is not closed before the end of the file' },
    ]);
  });

  it('RegexLineParser and JsonLinesParser with recover return unmatched and malformed lines instead of throwing', () => {
    const regex = new RegexLineParser(/^(\w+)=(\w+)$/, undefined, true);
    expect([...regex.push('a=1\nnope\r\n'), ...regex.end()]).toEqual([
      { fields: ['a', '1'], line: 1, raw: 'a=1' },
      { fields: [], line: 2, raw: 'nope', error: 'the line does not match fromJobConfig.regex' },
    ]);
    const json = new JsonLinesParser(true);
    const lines = [...json.push('{"a":1}\n[1]\n{oops\n'), ...json.end()];
    expect(lines.map((l) => [l.line, l.raw, l.error === undefined])).toEqual([
      [1, undefined, true],
      [2, '[1]', false],
      [3, '{oops', false],
    ]);
  });
});

describe('formatCsvLine', () => {
  it.each([
    [['plain', null, '', 'a,b', 'q"q', 'two\nlines', '汉字 😀']],
    [[null, null]],
    [['']],
  ])('writes %j so that it reads back exactly', (fields) => {
    const line = formatCsvLine(fields, { ...quoted, lineSeparator: '\r\n' });
    expect(parseIn(line, quoted, 3).map((r) => r.fields)).toEqual([fields]);
  });

  it('quotes a field holding a separator even with quoteChar off, so no row is corrupted', () => {
    expect(formatCsvLine(['a,b', 'c'], { fieldSeparator: ',', lineSeparator: '\n', quote: false })).toBe('"a,b",c\n');
  });
});

describe('multi-character separators', () => {
  it.each([
    [['a|', 'b'], '||', '\n', '"a|"||b\n'],
    [['1', 'x#'], ',', '##', '1,"x#"##'],
    [['x😀', 'y'], '😀😀', '\n', '"x😀"😀😀y\n'],
    [['a|b', 'c'], '||', '\n', 'a|b||c\n'],
  ])('quote %j with quoteChar off when a field ends with the beginning of a separator (%j, %j)', (fields, fs, ls, line) => {
    expect(formatCsvLine(fields, { fieldSeparator: fs, lineSeparator: ls, quote: false })).toBe(line);
  });

  // Fields made of the separators' own characters: every way a field can hold, begin or end with part of one.
  it.each([
    ['||', '\n'],
    [',', '##'],
    ['ab', 'ba'],
    ['😀😀', '\r\n'],
    ['<>', '<EOL>'],
    // A line separator that begins with the field separator: the trailing-delimiter layout.
    ['|', '|\n'],
  ])('written with quoteChar off, read with quoteChar on, every field comes back (%j, %j)', (fs, ls) => {
    const chars = [...new Set([...fs, ...ls, 'x', '"'])];
    let seed = 11;
    const next = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    // Not '': with quoteChar off it is written as an empty field, which reads as NULL.
    const field = (): CsvField => (next(6) === 0 ? null : Array.from({ length: 1 + next(4) }, () => chars[next(chars.length)]).join(''));
    const rows = Array.from({ length: 400 }, () => [field(), field(), field()]);
    const text = rows.map((r) => formatCsvLine(r, { fieldSeparator: fs, lineSeparator: ls, quote: false })).join('');
    for (const cut of [1, 3, 1000]) {
      expect(parseIn(text, { fieldSeparator: fs, lineSeparator: ls, quote: true }, cut).map((r) => r.fields)).toEqual(rows);
    }
  });

  it.each([1, 2, 1000])('a line end right after a quoted field wins over a field separator it begins with (%i at a time)', (cut) => {
    const opts: CsvOptions = { fieldSeparator: '|', lineSeparator: '|\n', quote: true };
    expect(parseIn('"a"|"b"|\n"c"||\n', opts, cut).map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['c', null],
    ]);
  });
});
