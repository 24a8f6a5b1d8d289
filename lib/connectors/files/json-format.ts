// JSON_FILE: one object per line (JSON Lines), or one document whose records are the
// array found at `jsonReferenceNode` (a dot path such as `data.items`).
import type { Column, Value } from '../../engine/types';
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

export type JsonRecord = Record<string, unknown>;

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
    let v: unknown;
    let error: string | undefined;
    try {
      v = JSON.parse(text);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) error = 'the line is not a JSON object';
    } catch (e) {
      error = (e as Error).message;
    }
    if (error === undefined) out.push({ record: v as JsonRecord, line });
    else if (this.recover) out.push({ record: {}, line, raw: text.replace(/\r$/, ''), error });
    else throw new JsonSyntaxError(line, error);
  }
}

/** The records of a whole JSON document under `node` (dot path; empty = the document itself). */
export function recordsAt(text: string, node: string): JsonRecord[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new JsonSyntaxError(1, (e as Error).message);
  }
  for (const key of node.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') throw new JsonSyntaxError(1, `jsonReferenceNode ${node}: ${key} is not inside an object`);
    v = (v as Record<string, unknown>)[key];
  }
  if (!Array.isArray(v)) throw new JsonSyntaxError(1, `jsonReferenceNode ${node || '(root)'} is not an array`);
  return v.map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new JsonSyntaxError(1, `element ${i} of ${node || 'the document'} is not a JSON object`);
    }
    return r as JsonRecord;
  });
}

/** A JSON value as a text cell: strings as they are, objects and arrays as JSON, null as NULL. */
export function jsonToText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * One record as a JSON line. 64-bit integers are written as bare number literals (exact
 * digits, valid JSON); decimals as strings, so no reader rounds them; bytes as base64.
 */
export function formatJsonLine(columns: readonly Column[], row: readonly Value[], lineSeparator: string): string {
  const parts: string[] = [];
  columns.forEach((c, i) => {
    const v = row[i] ?? null;
    let json: string;
    if (v === null) json = 'null';
    else if (typeof v === 'bigint') json = v.toString();
    else if (typeof v === 'number') json = Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
    else if (typeof v === 'boolean') json = String(v);
    else if (c.type === 'json' && typeof v === 'string') json = v;
    else json = JSON.stringify(valueToText(c.type, v));
    parts.push(`${JSON.stringify(c.name)}:${json}`);
  });
  return `{${parts.join(',')}}${lineSeparator}`;
}
