// JSON_FILE: one object per line (JSON Lines), or one document whose records are the
// array found at `jsonReferenceNode` (a dot path such as `data.items`).
import type { Column, Value } from '../../engine/types';
import { compactJson, JsonText, parseJson, type JsonCell, type JsonNode } from './exact-json';
import { valueToText } from './value-text';

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** A record's fields; numbers, objects and arrays as their text exactly as in the file (exact-json.ts). */
export type JsonRecord = Readonly<Record<string, JsonCell>>;

/** One line's object; with `recover`, a line that holds none comes back with its text and `error`. */
export interface JsonLine {
  readonly record: JsonRecord;
  readonly line: number;
  readonly raw?: string;
  readonly error?: string;
}

/** Incremental JSON Lines parser: blank lines are skipped; each other line must hold one object. */
export class JsonLinesParser {
  private buf = '';
  private line = 1;

  /** `recover`: a malformed line comes back with `error` instead of throwing (dirty data). */
  constructor(private readonly recover = false) {}

  push(text: string): JsonLine[] {
    this.buf += text;
    const out: JsonLine[] = [];
    let start = 0;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n', start)) {
      this.parseLine(this.buf.slice(start, nl), out);
      start = nl + 1;
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  end(): JsonLine[] {
    const out: JsonLine[] = [];
    if (this.buf.trim() !== '') this.parseLine(this.buf, out);
    this.buf = '';
    return out;
  }

  private parseLine(text: string, out: JsonLine[]): void {
    const line = this.line++;
    if (text.trim() === '') return;
    let v: JsonNode | undefined;
    let error: string | undefined;
    try {
      v = parseJson(text);
      if (!isObject(v)) error = 'the line is not a JSON object';
    } catch (e) {
      error = syntaxMessage(text, e);
    }
    if (error === undefined) out.push({ record: v as JsonRecord, line });
    else if (this.recover) out.push({ record: {}, line, raw: text.replace(/\r$/, ''), error });
    else throw new JsonSyntaxError(line, error);
  }
}

/** A JSON object as parseJson builds it (not a number, object or array kept as its text). */
export const isObject = (v: JsonNode | undefined) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonText);

/** JSON.parse's own words for what is wrong with `text` (users know them); ours if it has none. */
function syntaxMessage(text: string, e: unknown): string {
  try {
    JSON.parse(text);
  } catch (native) {
    return (native as Error).message;
  }
  return (e as Error).message;
}

/** A field as a text cell: strings as they are, numbers, objects and arrays as their JSON text, null as NULL. */
export function jsonToText(v: JsonCell | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v.text;
}

/** A record as compact JSON text, its numbers as written (for a dirty record read from a document, which has no line of its own). */
export function jsonRecordText(record: JsonRecord): string {
  const field = (v: JsonCell) => (v instanceof JsonText ? v.text : JSON.stringify(v));
  return `{${Object.keys(record).map((k) => `${JSON.stringify(k)}:${field(record[k] ?? null)}`).join(',')}}`;
}

/**
 * One record as a JSON line. 64-bit integers are written as bare number literals (exact
 * digits, valid JSON); decimals as strings, so no reader rounds them; bytes as base64.
 * A json column's document goes in compact, so a pretty-printed one keeps to its line.
 * A string or null document, or text that is no JSON value, goes in as a JSON string of its
 * text: inline, "123" would read back as its content 123 and null as NULL (a reader takes a
 * string field's content as the cell, every other value's JSON text).
 */
export function formatJsonLine(columns: readonly Column[], row: readonly Value[], lineSeparator: string): string {
  const parts: string[] = [];
  columns.forEach((c, i) => {
    const v = row[i] ?? null;
    let json: string;
    if (v === null) json = 'null';
    else if (typeof v === 'bigint') json = v.toString();
    // A finite float as CSV writes it (-0 kept); NaN and ±Infinity, which JSON has no literal for, as strings.
    else if (typeof v === 'number') json = Number.isFinite(v) ? valueToText(c.type, v)! : JSON.stringify(String(v));
    else if (typeof v === 'boolean') json = String(v);
    else if (c.type === 'json' && typeof v === 'string') json = inlineJson(v) ?? JSON.stringify(v);
    else json = JSON.stringify(valueToText(c.type, v));
    parts.push(`${JSON.stringify(c.name)}:${json}`);
  });
  return `{${parts.join(',')}}${lineSeparator}`;
}

/** A document that reads back as itself when written inline (compact): an object, array, number or boolean. */
function inlineJson(doc: string): string | undefined {
  const compact = compactJson(doc);
  return compact === undefined || compact.startsWith('"') || compact === 'null' ? undefined : compact;
}
