// JSON read without ever turning a number into a double: JSON.parse reads 9007199254740993
// as ...992 and 1e400 as Infinity, and Node 20's reviver cannot see the source text. Accepts
// what JSON.parse accepts, short of nesting thousands of levels deep (our stack ends first).

/** A JSON number, object or array kept as its text: compact (no whitespace outside strings), numbers as written. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** A value as one cell: strings unescaped, true/false/null as such, everything else as its JsonText. */
export type JsonCell = string | boolean | null | JsonText;
export type JsonNode = JsonCell | JsonObject | JsonNode[];
export interface JsonObject {
  [key: string]: JsonNode;
}

/**
 * One JSON text: objects and arrays `levels` deep are built (objects without a prototype, so
 * `__proto__` is a plain key and `constructor` is no field), deeper ones come as JsonText.
 * Throws a SyntaxError.
 */
export function parseJson(text: string, levels = 1): JsonNode {
  const r = new Reader(text);
  r.ws();
  const v = r.value(levels);
  r.ws();
  if (r.pos < text.length) r.fail();
  return v;
}

/** One JSON value's text without whitespace outside strings, or undefined if `text` is not one JSON value. */
export function compactJson(text: string): string | undefined {
  const r = new Reader(text);
  try {
    r.ws();
    const start = r.pos;
    r.spaced = false;
    r.value(-1);
    const end = r.pos;
    const spaced = r.spaced;
    r.ws();
    if (r.pos < text.length) return undefined;
    return spaced ? squeeze(text.slice(start, end)) : text.slice(start, end);
  } catch (e) {
    // Nested deeper than our stack goes (thousands of levels): JSON.parse still tells if it is JSON.
    return e instanceof RangeError && isJson(text) ? squeeze(text) : undefined;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const [TAB, LF, CR, SPACE, QUOTE, PLUS, COMMA, MINUS, DOT, ZERO, ONE, NINE, COLON] = [9, 10, 13, 32, 34, 43, 44, 45, 46, 48, 49, 57, 58];
const [UPPER_E, LOWER_E, BACKSLASH, LBRACKET, RBRACKET, LBRACE, RBRACE] = [69, 101, 92, 91, 93, 123, 125];
const LOWER_U = 117;
const ESCAPES: Record<number, string> = { 34: '"', 92: '\\', 47: '/', 98: '\b', 102: '\f', 110: '\n', 114: '\r', 116: '\t' };
const HEX4 = /^[0-9a-fA-F]{4}$/;

// The keys last read, by their order in a text. JSON Lines repeat theirs, and handing back the
// same string spares slicing and hashing a new one (~10% of a read). Only a hint: it is used
// where the text holds exactly that key.
const keyCache: (string | undefined)[] = [];

class Reader {
  pos = 0;
  private keyCount = 0;
  /** Whitespace was skipped since this was last cleared. */
  spaced = false;

  constructor(private readonly s: string) {}

  fail(): never {
    const at = this.pos < this.s.length ? `token ${JSON.stringify(this.s[this.pos])}` : 'end of JSON input';
    throw new SyntaxError(`Unexpected ${at} at position ${this.pos}`);
  }

  ws(): void {
    const s = this.s;
    const start = this.pos;
    while (isSpace(s.charCodeAt(this.pos))) this.pos++;
    if (this.pos !== start) this.spaced = true;
  }

  /** levels > 0: objects and arrays built; 0: kept as JsonText; < 0: only checked (the result means nothing). */
  value(levels: number): JsonNode {
    const s = this.s;
    const c = s.charCodeAt(this.pos);
    if (c === QUOTE) return this.string();
    if (c === LBRACE || c === LBRACKET) {
      if (levels !== 0) return c === LBRACE ? this.object(levels) : this.array(levels);
      const start = this.pos;
      const spaced = this.spaced;
      this.spaced = false;
      if (c === LBRACE) this.object(-1);
      else this.array(-1);
      const text = this.spaced ? squeeze(s.slice(start, this.pos)) : s.slice(start, this.pos);
      this.spaced = spaced;
      return new JsonText(text);
    }
    // t, f, n
    if (c === 116 && s.startsWith('true', this.pos)) return this.past(4, true);
    if (c === 102 && s.startsWith('false', this.pos)) return this.past(5, false);
    if (c === 110 && s.startsWith('null', this.pos)) return this.past(4, null);
    const n = this.number();
    return levels < 0 ? null : new JsonText(n);
  }

  /** Moves past `n` characters, returning `v`. */
  private past<T>(n: number, v: T): T {
    this.pos += n;
    return v;
  }

  private object(levels: number): JsonObject {
    const s = this.s;
    const o = Object.create(null) as JsonObject;
    this.pos++;
    this.ws();
    if (s.charCodeAt(this.pos) === RBRACE) return this.past(1, o);
    for (;;) {
      if (s.charCodeAt(this.pos) !== QUOTE) this.fail();
      const key = this.key();
      this.ws();
      if (s.charCodeAt(this.pos) !== COLON) this.fail();
      this.pos++;
      this.ws();
      const v = this.value(levels - 1);
      if (levels > 0) o[key] = v; // a repeated key keeps its last value, as with JSON.parse
      this.ws();
      const c = s.charCodeAt(this.pos);
      if (c === RBRACE) return this.past(1, o);
      if (c !== COMMA) this.fail();
      this.pos++;
      this.ws();
    }
  }

  private array(levels: number): JsonNode[] {
    const s = this.s;
    const a: JsonNode[] = [];
    this.pos++;
    this.ws();
    if (s.charCodeAt(this.pos) === RBRACKET) return this.past(1, a);
    for (;;) {
      const v = this.value(levels - 1);
      if (levels > 0) a.push(v);
      this.ws();
      const c = s.charCodeAt(this.pos);
      if (c === RBRACKET) return this.past(1, a);
      if (c !== COMMA) this.fail();
      this.pos++;
      this.ws();
    }
  }

  /** A key, from keyCache when the text holds that one. */
  private key(): string {
    const s = this.s;
    const k = this.keyCount++;
    const last = keyCache[k];
    const pos = this.pos;
    if (last !== undefined && s.charCodeAt(pos + 1 + last.length) === QUOTE && s.startsWith(last, pos + 1)) {
      this.pos = pos + 2 + last.length;
      return last;
    }
    const key = this.string();
    // Only a key without escapes is its own text.
    if (this.pos - pos === key.length + 2 && k < 64) keyCache[k] = key;
    return key;
  }

  private string(): string {
    const s = this.s;
    const start = this.pos + 1;
    let i = start;
    for (let c = s.charCodeAt(i); c !== QUOTE; c = s.charCodeAt(++i)) {
      if (c === BACKSLASH || c < SPACE || c !== c) return this.escaped(start, i);
    }
    this.pos = i + 1;
    return s.slice(start, i);
  }

  /** The rest of a string from its first escape (or a raw control character, or its missing end). */
  private escaped(start: number, i: number): string {
    const s = this.s;
    let out = s.slice(start, i);
    for (let c = s.charCodeAt(i); c !== QUOTE; c = s.charCodeAt(i)) {
      this.pos = i;
      if (c !== BACKSLASH) {
        if (c < SPACE || c !== c) this.fail(); // NaN: the text ended
        const from = i;
        while ((c = s.charCodeAt(++i)) !== QUOTE && c !== BACKSLASH && c >= SPACE);
        out += s.slice(from, i);
        continue;
      }
      const e = s.charCodeAt(i + 1);
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        i += 2;
      } else if (e === LOWER_U && HEX4.test(s.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        this.pos = i + 1;
        this.fail();
      }
    }
    this.pos = i + 1;
    return out;
  }

  /** -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?, as its text. */
  private number(): string {
    const s = this.s;
    const start = this.pos;
    let c = s.charCodeAt(this.pos);
    if (c === MINUS) c = s.charCodeAt(++this.pos);
    if (c === ZERO) this.pos++;
    else if (c >= ONE && c <= NINE) this.digits();
    else this.fail();
    if (s.charCodeAt(this.pos) === DOT) {
      this.pos++;
      this.digits();
    }
    c = s.charCodeAt(this.pos);
    if (c === UPPER_E || c === LOWER_E) {
      c = s.charCodeAt(++this.pos);
      if (c === PLUS || c === MINUS) this.pos++;
      this.digits();
    }
    return s.slice(start, this.pos);
  }

  /** One or more digits. */
  private digits(): void {
    const s = this.s;
    const start = this.pos;
    let c = s.charCodeAt(this.pos);
    while (c >= ZERO && c <= NINE) c = s.charCodeAt(++this.pos);
    if (this.pos === start) this.fail();
  }
}

const isSpace = (c: number) => c === SPACE || c === LF || c === CR || c === TAB;

/** Valid JSON text without the whitespace outside its strings. */
function squeeze(t: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < t.length; ) {
    const c = t.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; t.charCodeAt(i) !== QUOTE; i++) if (t.charCodeAt(i) === BACKSLASH) i++;
      i++;
    } else if (isSpace(c)) {
      out += t.slice(from, i);
      while (isSpace(t.charCodeAt(i))) i++;
      from = i;
    } else i++;
  }
  return out + t.slice(from);
}
