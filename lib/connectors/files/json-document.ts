// JSON_FILE with jsonReferenceNode (or jsonType JSON_ARRAY): one document whose records are
// the array at a dot path (`data.items`; empty: the document itself). The document is read
// as it comes, a record at a time: a file of any size takes the memory of its largest
// record, where held whole it took several times its own size (and a document over V8's
// ~512 MB string limit could not be read at all). The whole document is checked as JSON on
// the way; each record's text is then read exactly (exact-json.ts), its fields kept as text.
import { parseJson, type JsonNode } from './exact-json';
import { isObject, JsonSyntaxError, type JsonRecord } from './json-format';

/** A record of the array, with the line of the document it starts on. */
export interface DocumentRecord {
  readonly record: JsonRecord;
  readonly line: number;
}

/** What the next character that is not whitespace may be. */
type Expect = 'value' | 'value-or-end' | 'key' | 'key-or-end' | 'colon' | 'comma-or-end' | 'end';

interface Frame {
  readonly array: boolean;
  /** An object on the path: the index of the key it leads on by (-1: off the path). */
  readonly onPath: number;
  /** The array of records. */
  readonly records: boolean;
}

const SCALAR = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;
const SCALAR_CHAR = /[-+.0-9a-zA-Z]/;
const HEX = /[0-9a-fA-F]/;

export class JsonArrayReader {
  private readonly path: string[];
  private readonly stack: Frame[] = [];
  private expect: Expect = 'value';
  private line = 1;
  /** Inside a string: -1 right after a backslash, n > 0 while n hex digits of a \u escape are due. */
  private inString = false;
  private escape = 0;
  /** The raw text of a key of an object on the path (other keys are not kept). */
  private key: string | undefined;
  private stringIsKey = false;
  /** A number or literal being read. */
  private scalar: string | undefined;
  /** The value about to start leads on by the path: the path index it stands at. */
  private pathValue: number | undefined;
  private found = false;
  /** A record being read: its text so far (earlier chunks) and where it began in this one. */
  private record: string[] | undefined;
  private recordFrom = 0;
  private recordLine = 0;
  private index = 0;
  /**
   * Inside a record object: its brackets still open. Its text is only scanned for where it ends
   * (strings, nesting): parseJson checks it once it is whole, so the common case stays one pass.
   */
  private depth = 0;
  private depthInString = false;
  private depthEscape = false;

  constructor(private readonly node: string) {
    this.path = node.split('.').filter(Boolean);
  }

  /** The records completed by `text`, the document's next piece. */
  push(text: string): DocumentRecord[] {
    const out: DocumentRecord[] = [];
    for (let i = 0; i < text.length; ) {
      if (this.depth > 0) i = this.recordEnd(text, i, out);
      else this.char(text, i++, out);
    }
    if (this.record) {
      this.record.push(text.slice(this.recordFrom));
      this.recordFrom = 0;
    }
    return out;
  }

  /** At the document's end: throws unless it was whole and held the array. */
  end(): DocumentRecord[] {
    if (this.inString || this.depthInString) this.fail('the document ends inside a string');
    if (this.depth > 0) this.fail('the document ends early');
    if (this.scalar !== undefined || this.stack.length || this.expect !== 'end') this.fail('the document ends early');
    if (!this.found) throw new JsonSyntaxError(this.line, `jsonReferenceNode ${this.node || '(root)'} is not an array`);
    return [];
  }

  private char(text: string, i: number, out: DocumentRecord[]): void {
    const ch = text[i]!;
    if (ch === '\n') this.line++;
    if (this.inString) return this.stringChar(text, i, ch, out);
    if (this.scalar !== undefined) {
      if (SCALAR_CHAR.test(ch)) {
        this.scalar += ch;
        return;
      }
      if (!SCALAR.test(this.scalar)) this.fail(`${JSON.stringify(this.scalar)} is not a JSON value`);
      this.scalar = undefined;
      this.valueDone(text, i, out);
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') return;
    switch (this.expect) {
      case 'value':
      case 'value-or-end':
        if (ch === ']' && this.expect === 'value-or-end') return this.close(text, i, true, out);
        return this.valueStart(text, i, ch);
      case 'key':
      case 'key-or-end':
        if (ch === '}' && this.expect === 'key-or-end') return this.close(text, i, false, out);
        if (ch !== '"') return this.unexpected(ch);
        this.inString = true;
        this.stringIsKey = true;
        this.key = this.top()!.onPath >= 0 ? '' : undefined;
        return;
      case 'colon': {
        if (ch !== ':') return this.unexpected(ch);
        const top = this.top()!;
        const key = this.key === undefined ? undefined : (JSON.parse(`"${this.key}"`) as string);
        this.pathValue = top.onPath >= 0 && key === this.path[top.onPath] ? top.onPath + 1 : undefined;
        this.expect = 'value';
        return;
      }
      case 'comma-or-end': {
        const top = this.top()!;
        if (ch === ',') {
          this.expect = top.array ? 'value' : 'key';
          return;
        }
        if (ch === (top.array ? ']' : '}')) return this.close(text, i, top.array, out);
        return this.unexpected(ch);
      }
      case 'end':
        return this.unexpected(ch);
    }
  }

  private stringChar(text: string, i: number, ch: string, out: DocumentRecord[]): void {
    if (this.escape === -1) {
      if (ch === 'u') this.escape = 4;
      else if ('"\\/bfnrt'.includes(ch)) this.escape = 0;
      else this.fail(`\\${ch} is not a JSON escape`);
    } else if (this.escape > 0) {
      if (!HEX.test(ch)) this.fail(`\\u needs four hex digits`);
      this.escape--;
    } else if (ch === '\\') this.escape = -1;
    else if (ch === '"') {
      this.inString = false;
      if (this.stringIsKey) this.expect = 'colon';
      else this.valueDone(text, i + 1, out);
      return;
    } else if (ch < ' ') this.fail('a control character in a string');
    if (this.key !== undefined && this.stringIsKey) this.key += ch;
  }

  /** A value begins at text[i]: whether the path allows it, and whether it is a record. */
  private valueStart(text: string, i: number, ch: string): void {
    const top = this.top();
    const at = top ? this.pathValue : 0;
    this.pathValue = undefined;
    let onPath = -1;
    let records = false;
    if (at !== undefined) {
      const wanted = this.path.length === at ? 'an array' : 'an object';
      if (at === this.path.length && ch === '[') {
        if (this.found) this.fail(`jsonReferenceNode ${this.node || '(root)'} appears twice in the document`);
        records = true;
      } else if (at < this.path.length && ch === '{') onPath = at;
      else if (wanted === 'an array') throw new JsonSyntaxError(this.line, `jsonReferenceNode ${this.node || '(root)'} is not an array`);
      else throw new JsonSyntaxError(this.line, `jsonReferenceNode ${this.node}: ${this.path[at]} is not inside an object`);
    }
    if (top?.records) {
      this.record = [];
      this.recordFrom = i;
      this.recordLine = this.line;
      if (ch === '{') {
        this.depth = 1;
        return;
      }
    }
    if (ch === '{' || ch === '[') {
      this.stack.push({ array: ch === '[', onPath, records });
      this.expect = ch === '[' ? 'value-or-end' : 'key-or-end';
    } else if (ch === '"') {
      this.inString = true;
      this.stringIsKey = false;
    } else if (/[-0-9tfn]/.test(ch)) this.scalar = ch;
    else this.unexpected(ch);
  }

  /** Scans a record object from text[i] for its end: the index after it (the record read), or the text's end. */
  private recordEnd(text: string, i: number, out: DocumentRecord[]): number {
    let { depth, depthInString: inString, depthEscape: escape } = this;
    const n = text.length;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if ((c === 0x7d || c === 0x5d) && --depth === 0) break;
      if (c === 0x0a) this.line++;
    }
    this.depthInString = inString;
    this.depthEscape = escape;
    this.depth = depth;
    if (depth > 0) return n;
    this.valueDone(text, i + 1, out);
    return i + 1;
  }

  private close(text: string, i: number, array: boolean, out: DocumentRecord[]): void {
    const frame = this.stack.pop()!;
    if (frame.array !== array) this.unexpected(text[i]!);
    if (frame.records) this.found = true;
    this.valueDone(text, i + 1, out);
  }

  /** A value ended just before text[end]: a record is read; what may follow depends on where it was. */
  private valueDone(text: string, end: number, out: DocumentRecord[]): void {
    const top = this.top();
    if (this.record && top?.records) {
      const recordText = this.record.join('') + text.slice(this.recordFrom, end);
      this.record = undefined;
      out.push({ record: this.parseRecord(recordText), line: this.recordLine });
    }
    this.expect = top ? 'comma-or-end' : 'end';
  }

  private parseRecord(text: string): JsonRecord {
    let v: JsonNode;
    try {
      v = parseJson(text, 1);
    } catch (e) {
      throw new JsonSyntaxError(this.recordLine, (e as Error).message);
    }
    const n = this.index++;
    if (!isObject(v)) {
      throw new JsonSyntaxError(this.recordLine, `element ${n} of ${this.node || 'the document'} is not a JSON object`);
    }
    return v as JsonRecord;
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private unexpected(ch: string): never {
    this.fail(`unexpected ${JSON.stringify(ch)}`);
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(this.line, message);
  }
}

