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

const WRITABLE: Record<string, BufferEncoding> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'utf-16le': 'utf16le',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'ascii',
  ascii: 'ascii',
};

/** An encoder for writing: Node encodes UTF-8, UTF-16LE, ISO-8859-1 and ASCII natively. */
export function encoderFor(encodeType: string, inputName: string): (text: string) => Buffer {
  const enc = WRITABLE[label(encodeType)];
  if (!enc) {
    throw errors.invalidParameter(`${inputName} ${encodeType} cannot be written yet; use UTF-8, UTF-16LE, ISO-8859-1 or US-ASCII.`);
  }
  return (text) => Buffer.from(text, enc);
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
