// Character encodings (`encodeType`) and separator spellings of text file inputs.
import { TextDecoder } from 'node:util';
import { errors } from '../../errors';

/** CDM spells encodings UTF_8 or UTF-8, GBK, ISO-8859-1…; WHATWG labels use dashes. */
function label(encodeType: string): string {
  return encodeType.trim().replace(/_/g, '-').toLowerCase();
}

/** A decoder for reading; any encoding the runtime's ICU knows (UTF-8, GBK, GB18030, Big5, Latin-1…). */
export function decoderFor(encodeType: string, inputName: string): TextDecoder {
  try {
    return new TextDecoder(label(encodeType), { fatal: false });
  } catch {
    throw errors.invalidParameter(`${inputName} ${encodeType} is not a known character encoding.`);
  }
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

function loneSurrogate(text: string): number {
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
