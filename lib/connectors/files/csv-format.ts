// CSV as CDM's file inputs describe it: a field separator and a line separator of any
// length, optional double-quote enclosing (`quoteChar`), and NULL kept apart from the
// empty string (an empty unquoted field is NULL, `""` is an empty string).

export interface CsvOptions {
  readonly fieldSeparator: string;
  /** Undefined when reading with the default: a line ends at `\n`, with or without `\r`. */
  readonly lineSeparator: string | undefined;
  /** Honour (reading) or always write (writing) double quotes around text fields. */
  readonly quote: boolean;
}

export type CsvField = string | null;

export interface CsvRecord {
  readonly fields: CsvField[];
  /** 1-based line where the record starts, for error messages. */
  readonly line: number;
  /** The record's text without its line end: with `keepRaw`, and for a record that cannot be parsed… */
  readonly raw?: string;
  /** …which, with `recover`, comes back with why (and empty `fields`). */
  readonly error?: string;
}

export type CsvParseOptions = CsvOptions & {
  /** A record that cannot be parsed comes back with `error` instead of throwing, and parsing goes on. */
  readonly recover?: boolean;
  /** Every record comes with its text (dirty data needs it for records that parse but do not fit). */
  readonly keepRaw?: boolean;
};

/** A row that cannot be parsed; the source adds the file name. */
export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const QUOTE = '"';

/** Incremental parser: feed decoded text, get back the records completed so far. */
export class CsvParser {
  private buf = '';
  private line = 1;
  // The next field separator (-1: none) and line end (undefined: none) found in `buf`, or null
  // before a search. `buf` holds still during a drain, so one search serves every field and
  // record up to the match, instead of each field scanning ahead again.
  private sepAt: number | null = null;
  private lineEnd: { at: number; next: number } | undefined | null = null;

  constructor(private readonly opts: CsvParseOptions) {}

  push(text: string): CsvRecord[] {
    this.buf += text;
    return this.drain(false);
  }

  end(): CsvRecord[] {
    return this.drain(true);
  }

  private drain(final: boolean): CsvRecord[] {
    const out: CsvRecord[] = [];
    let start = 0;
    this.sepAt = null;
    this.lineEnd = null;
    for (;;) {
      if (start >= this.buf.length) break;
      const r = this.record(start, final);
      if (!r) break;
      if (r.error !== undefined) out.push({ fields: r.fields, line: this.line, raw: this.rawText(start, r.next), error: r.error });
      else if (this.opts.keepRaw) out.push({ fields: r.fields, line: this.line, raw: this.rawText(start, r.next) });
      else out.push({ fields: r.fields, line: this.line });
      this.line += countNewlines(this.buf, start, r.next);
      start = r.next;
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  /** Parses one record at `pos`; undefined when the buffer ends inside it (more text needed). */
  private record(pos: number, final: boolean): { fields: CsvField[]; next: number; error?: string } | undefined {
    const { fieldSeparator: fs, quote } = this.opts;
    const buf = this.buf;
    const fields: CsvField[] = [];
    for (;;) {
      if (quote && buf.startsWith(QUOTE, pos)) {
        let value = '';
        let i = pos + 1;
        for (;;) {
          const q = buf.indexOf(QUOTE, i);
          if (q < 0) {
            if (!final) return undefined;
            const error = 'a quoted field is not closed before the end of the file';
            if (this.opts.recover) return { fields: [], next: buf.length, error };
            throw new CsvSyntaxError(this.line, error);
          }
          value += buf.slice(i, q);
          if (buf.startsWith(QUOTE, q + 1)) {
            value += QUOTE;
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        fields.push(value);
        // The line end first, as for an unquoted field: with '|' and '|\n', '"a"|\n' ends the line.
        const end = this.lineEndAt(i, final);
        if (end === undefined) return undefined;
        if (end >= 0) return { fields, next: end };
        if (buf.startsWith(fs, i)) {
          pos = i + fs.length;
          continue;
        }
        if (this.endsInside(fs, i, final)) return undefined;
        const error = `unexpected text after a closing quote: ${JSON.stringify(buf.slice(i, i + 20).split(/[\r\n]/)[0])}`;
        if (!this.opts.recover) throw new CsvSyntaxError(this.line, error);
        // The rest of the line goes with the bad record; the next line is read afresh.
        const l = this.findLineEnd(i);
        if (!l && !final) return undefined;
        return { fields: [], next: l ? l.next : buf.length, error };
      }
      const f = this.nextSeparator(pos);
      const l = this.nextLineEnd(pos);
      if (f >= 0 && (l === undefined || f < l.at)) {
        fields.push(unquoted(buf.slice(pos, f)));
        pos = f + fs.length;
        continue;
      }
      if (l !== undefined) {
        fields.push(unquoted(buf.slice(pos, l.at)));
        return { fields, next: l.next };
      }
      if (!final) return undefined;
      fields.push(unquoted(buf.slice(pos)));
      return { fields, next: buf.length };
    }
  }

  /** The first field separator at or after `pos`, -1 when there is none. */
  private nextSeparator(pos: number): number {
    if (this.sepAt === null || (this.sepAt >= 0 && this.sepAt < pos)) this.sepAt = this.buf.indexOf(this.opts.fieldSeparator, pos);
    return this.sepAt;
  }

  /** findLineEnd(pos), searched again only once `pos` has passed the last one found. */
  private nextLineEnd(pos: number): { at: number; next: number } | undefined {
    if (this.lineEnd === null || (this.lineEnd !== undefined && this.lineEnd.at < pos)) this.lineEnd = this.findLineEnd(pos);
    return this.lineEnd;
  }

  /** The text of the record from `start` to `next`, without its line end. */
  private rawText(start: number, next: number): string {
    const text = this.buf.slice(start, next);
    const sep = this.opts.lineSeparator;
    if (sep !== undefined) return text.endsWith(sep) ? text.slice(0, -sep.length) : text;
    return text.replace(/\r?\n$/, '');
  }

  /** The next line end at or after `pos`: where it starts and where the next line begins. */
  private findLineEnd(pos: number): { at: number; next: number } | undefined {
    const sep = this.opts.lineSeparator;
    if (sep !== undefined) {
      const at = this.buf.indexOf(sep, pos);
      return at < 0 ? undefined : { at, next: at + sep.length };
    }
    const nl = this.buf.indexOf('\n', pos);
    if (nl < 0) return undefined;
    return { at: nl > pos && this.buf[nl - 1] === '\r' ? nl - 1 : nl, next: nl + 1 };
  }

  /** Whether the text so far ends at `i` inside what may yet be `sep`, once more text comes. */
  private endsInside(sep: string, i: number, final: boolean): boolean {
    return !final && this.buf.length - i < sep.length && sep.startsWith(this.buf.slice(i));
  }

  /** After a closing quote: the next record's start if a line ends exactly here, -1 if other text follows. */
  private lineEndAt(i: number, final: boolean): number | undefined {
    if (i >= this.buf.length) return final ? i : undefined;
    const sep = this.opts.lineSeparator;
    if (sep !== undefined) {
      if (this.buf.startsWith(sep, i)) return i + sep.length;
      return this.endsInside(sep, i, final) ? undefined : -1;
    }
    if (this.buf[i] === '\n') return i + 1;
    if (this.buf[i] === '\r') {
      if (i + 1 >= this.buf.length) return final ? -1 : undefined;
      if (this.buf[i + 1] === '\n') return i + 2;
    }
    return -1;
  }
}

function unquoted(s: string): CsvField {
  return s === '' ? null : s;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** What makes a field quoted whatever `quote` says (see csvQuoteRule). */
export interface CsvQuoteRule {
  /** Text holding one of these: a separator, a quote, a line break. */
  readonly anywhere: readonly string[];
  /** Text ending with one of these: the non-empty proper beginnings of the separators. */
  readonly atEnd: readonly string[];
}

let lastRule: { fs: string; ls: string; rule: CsvQuoteRule } | undefined;

/**
 * The reader takes the first separator it finds, so unquoted 'a|' before the separator '||'
 * would end a character early ('a|||b' reads as 'a', '|b'). Once no unquoted field holds a
 * separator or ends with the beginning of one, the first found is the one written. (The line
 * end wins a tie, so '|' with the line separator '|\n' reads too.) mysql-csv-text.ts has the
 * source server apply the same rule.
 */
export function csvQuoteRule(fieldSeparator: string, lineSeparator: string): CsvQuoteRule {
  if (lastRule?.fs === fieldSeparator && lastRule.ls === lineSeparator) return lastRule.rule;
  // Each kept only when no shorter one already implies it: '\r\n' goes with '\r'.
  const anywhere = minimal([fieldSeparator, QUOTE, '\n', '\r', lineSeparator], (a, b) => a.includes(b));
  const beginnings = [fieldSeparator, lineSeparator].flatMap((sep) => {
    // By code point: a value never ends inside a character.
    const chars = [...sep];
    return chars.slice(1).map((_c, k) => chars.slice(0, k + 1).join(''));
  });
  const atEnd = minimal(beginnings, (a, b) => a.endsWith(b)).filter((e) => !anywhere.some((n) => e.includes(n)));
  const rule = { anywhere, atEnd };
  lastRule = { fs: fieldSeparator, ls: lineSeparator, rule };
  return rule;
}

/** `texts` without repeats and without any text that `implies` another one kept. */
function minimal(texts: readonly string[], implies: (a: string, b: string) => boolean): string[] {
  const unique = [...new Set(texts)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const t of unique) if (!kept.some((k) => implies(t, k))) kept.push(t);
  return kept;
}

function needsQuotes(v: string, rule: CsvQuoteRule): boolean {
  for (const n of rule.anywhere) if (v.includes(n)) return true;
  for (const e of rule.atEnd) if (v.endsWith(e)) return true;
  return false;
}

/**
 * One CSV line. A field is quoted when `quote` is on (so `""` keeps an empty string apart
 * from NULL) and, whatever the setting, when csvQuoteRule says so: Ferry never writes a
 * row that cannot be read back.
 */
export function formatCsvLine(fields: readonly CsvField[], opts: CsvOptions & { lineSeparator: string }): string {
  const { fieldSeparator: fs, lineSeparator: ls, quote } = opts;
  const rule = csvQuoteRule(fs, ls);
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += fs;
    const v = fields[i];
    if (v === null || v === undefined) continue;
    out += quote || needsQuotes(v, rule) ? QUOTE + v.replaceAll(QUOTE, QUOTE + QUOTE) + QUOTE : v;
  }
  return out + ls;
}
