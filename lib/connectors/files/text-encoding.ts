// Character encodings (`encodeType`) and separator spellings of text file inputs.
import { TextDecoder } from 'node:util';
import { errors } from '../../errors';

/** CDM spells encodings UTF_8 or UTF-8, GBK, ISO-8859-1…; WHATWG labels use dashes. */
function label(encodeType: string): string {
  return encodeType.trim().replace(/_/g, '-').toLowerCase();
}

/** Decodes a file's bytes in order (TextDecoder's shape); throws on bytes that are not text in its encoding. */
export interface TextReader {
  decode(bytes?: Uint8Array, options?: { stream?: boolean }): string;
}

/**
 * A decoder for reading; any encoding the runtime's ICU knows (UTF-8, GBK, GB18030, Big5, Latin-1…).
 * Bytes that are no text in the encoding fail the read: decoded as U+FFFD they would pass for the data.
 */
export function decoderFor(encodeType: string, inputName: string): TextReader {
  const name = label(encodeType);
  const invalid = () => new Error(`it holds bytes that are not ${encodeType} text (${inputName}); nothing was read changed`);
  // WHATWG reads these labels as windows-1252 (and Node does so only when streaming: 0x80 is '€'); CDM's
  // Java reads ISO-8859-1 byte for byte, and US-ASCII has nothing above 0x7F. As the writer writes them.
  const native = WRITABLE[name];
  if (native === 'latin1') return { decode: (bytes) => (bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : '') };
  if (native === 'ascii') {
    return {
      decode(bytes) {
        if (!bytes) return '';
        if (bytes.some((b) => b > 0x7f)) throw invalid();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      },
    };
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(name === 'utf-16' ? 'utf-16be' : name, { fatal: true });
  } catch {
    throw errors.invalidParameter(`${inputName} ${encodeType} is not a known character encoding.`);
  }
  /** Bytes of a UTF-16 file's start, kept until its byte-order mark can be seen. */
  let head: Buffer | undefined = name === 'utf-16' ? Buffer.alloc(0) : undefined;
  return {
    decode(bytes, options) {
      if (head) {
        // Java's UTF-16 (CDM's): the byte-order mark decides, big-endian without one (WHATWG would take little).
        head = Buffer.concat([head, bytes ?? new Uint8Array()]);
        if (head.length < 2 && options?.stream) return '';
        if (head[0] === 0xff && head[1] === 0xfe) decoder = new TextDecoder('utf-16le', { fatal: true });
        [bytes, head] = [head, undefined];
      }
      try {
        return decoder.decode(bytes, options);
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw invalid();
        throw e;
      }
    },
  };
}

/** The encodings Node writes natively, by label. */
type Writable = 'utf8' | 'utf16le' | 'latin1' | 'ascii';

const WRITABLE: Record<string, Writable> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'utf-16le': 'utf16le',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'ascii',
  ascii: 'ascii',
};

/**
 * The first character (UTF-16 index) `enc` cannot hold, -1 when there is none. Buffer.from
 * never refuses one: Latin-1 and ASCII keep each unit's low byte ('中' → '-'), UTF-8 writes
 * U+FFFD for a lone surrogate, UTF-16LE the surrogate no decoder will take back.
 */
const UNWRITABLE: Record<Writable, (text: string) => number> = {
  utf8: loneSurrogate,
  utf16le: loneSurrogate,
  latin1: (text) => text.search(/[^\0-\xff]/),
  ascii: (text) => text.search(/[^\0-\x7f]/),
};

/** Where `text` holds half of a surrogate pair (no Unicode text can hold it), or -1. */
export function loneSurrogate(text: string): number {
  // isWellFormed (ES2024) is a fraction of a regex scan on text that has none.
  return (text as string & { isWellFormed(): boolean }).isWellFormed() ? -1 : text.search(/\p{Cs}/u);
}

/**
 * An encoder for writing UTF-8, UTF-16LE, ISO-8859-1 or US-ASCII. A character the encoding
 * cannot hold fails the run: a file with a character changed to fit would pass for the data.
 */
export function encoderFor(encodeType: string, inputName: string): (text: string) => Buffer {
  const enc = WRITABLE[label(encodeType)];
  if (!enc) {
    throw errors.invalidParameter(`${inputName} ${encodeType} cannot be written yet; use UTF-8, UTF-16LE, ISO-8859-1 or US-ASCII.`);
  }
  const unwritable = UNWRITABLE[enc];
  return (text) => {
    const at = unwritable(text);
    if (at >= 0) throw errors.writeFailed(`${inputName} ${encodeType} cannot hold ${nameOf(text, at)}, in ${excerpt(text, at)}: the run stops rather than write it changed.`);
    return Buffer.from(text, enc);
  };
}

/** '中' (U+4E2D), or a lone surrogate by its code. */
function nameOf(text: string, at: number): string {
  const cp = text.codePointAt(at)!;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp >= 0xd800 && cp <= 0xdfff ? `a lone surrogate (${code})` : `'${String.fromCodePoint(cp)}' (${code})`;
}

/** The text around `at`, on one line, to find the value by. */
function excerpt(text: string, at: number): string {
  const from = Math.max(0, at - 20);
  return `${from > 0 ? '…' : ''}${JSON.stringify(text.slice(from, at + 20))}${at + 20 < text.length ? '…' : ''}`;
}

/** Whether `encodeType` names UTF-8 (the encoding a source's own text arrives in). */
export function isUtf8(encodeType: string): boolean {
  return WRITABLE[label(encodeType)] === 'utf8';
}

/** Separators arrive typed as `\t`, `\r\n`, `\u0001` in JSON bodies; turn those spellings into characters. */
export function unescapeSeparator(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|t|r|n|\\)/g, (_m, e: string) => {
    if (e === 't') return '\t';
    if (e === 'r') return '\r';
    if (e === 'n') return '\n';
    if (e === '\\') return '\\';
    return String.fromCharCode(parseInt(e.slice(1), 16));
  });
}
