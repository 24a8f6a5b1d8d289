// toJobConfig.encodeType on its own: text the encoding can hold is written byte for byte, and
// a character it cannot hold stops the write with a CDM error naming the encoding, the
// character and the text around it, instead of a byte that reads back as something else.
import { describe, expect, it } from 'vitest';
import { CdmError } from '../../../lib/errors';
import { decoderFor, encoderFor } from '../../../lib/connectors/files/text-encoding';

describe('encoderFor', () => {
  it.each([
    ['UTF-8', '1,café 中文 😀\r\n'],
    ['UTF_8', 'ÿ\u0000\uFFFF\u{10FFFF}'],
    ['UTF-16LE', '中文 😀'],
    ['ISO-8859-1', '1,café ÿ ½\u0080\r\n'],
    ['US-ASCII', '1,plain\u007f\r\n'],
  ])('%s writes %j so that it decodes back exactly', (encodeType, text) => {
    const bytes = encoderFor(encodeType, 'toJobConfig.encodeType')(text);
    expect(decoderFor(encodeType, 'fromJobConfig.encodeType').decode(bytes)).toBe(text);
  });

  it.each([
    ['ISO-8859-1', '1,café\n2,中文 €\n', "'中' (U+4E2D)"],
    ['ISO-8859-1', '3,😀\n', "'😀' (U+1F600)"],
    ['ISO-8859-1', '4,\u20AC', "'€' (U+20AC)"],
    ['US-ASCII', '1,café\n', "'é' (U+00E9)"],
    ['US-ASCII', '1,ÿ', "'ÿ' (U+00FF)"],
    ['UTF-8', '1,a\uD800b', 'a lone surrogate (U+D800)'],
    ['UTF-8', '1,\uDE00😀', 'a lone surrogate (U+DE00)'],
    ['UTF-16LE', '1,😀\uD83D', 'a lone surrogate (U+D83D)'],
  ])('%s refuses %j: the run fails naming %s', (encodeType, text, named) => {
    const encode = encoderFor(encodeType, 'toJobConfig.encodeType');
    let error: unknown;
    try {
      encode(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CdmError);
    expect((error as CdmError).code).toBe('Cdm.0232');
    expect((error as CdmError).message).toContain(`toJobConfig.encodeType ${encodeType} cannot hold ${named}, in `);
  });

  it('shows where: the text around the character, on one line', () => {
    const text = `${'a'.repeat(100)}\n2,中文 €\n${'b'.repeat(100)}`;
    expect(() => encoderFor('ISO-8859-1', 'toJobConfig.encodeType')(text)).toThrowError(
      `toJobConfig.encodeType ISO-8859-1 cannot hold '中' (U+4E2D), in …"${'a'.repeat(17)}\\n2,中文 €\\n${'b'.repeat(15)}"…: the run stops rather than write it changed.`,
    );
  });
});

describe('decoderFor', () => {
  /** Decodes `bytes` as a file source does: streamed, `size` bytes at a time. */
  function streamed(encodeType: string, bytes: Buffer, size = 1): string {
    const d = decoderFor(encodeType, 'fromJobConfig.encodeType');
    let text = '';
    for (let i = 0; i < bytes.length; i += size) text += d.decode(bytes.subarray(i, i + size), { stream: true });
    return text + d.decode();
  }

  it.each([
    ['UTF-8', Buffer.from([0x61, 0xd6, 0xd0, 0x62])], // GBK '中' in a file said to be UTF-8
    ['UTF-8', Buffer.from([0x61, 0xe4, 0xb8])], // cut inside a character
    ['GBK', Buffer.from([0x61, 0x81, 0x30])],
    ['UTF-16LE', Buffer.from([0x3d, 0xd8, 0x61, 0x00])], // a lone surrogate
    ['US-ASCII', Buffer.from('café', 'latin1')],
  ])('%s: bytes that are no text in it fail the read instead of becoming U+FFFD (%#)', (encodeType, bytes) => {
    for (const size of [1, 64]) {
      expect(() => streamed(encodeType, bytes, size)).toThrowError(`it holds bytes that are not ${encodeType} text (fromJobConfig.encodeType); nothing was read changed`);
    }
  });

  it('ISO-8859-1 reads every byte as the character of that code, streamed too (not windows-1252: 0x80 is U+0080, not €)', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_v, i) => i));
    const text = Array.from({ length: 256 }, (_v, i) => String.fromCharCode(i)).join('');
    for (const encodeType of ['ISO-8859-1', 'ISO_8859_1', 'latin1']) {
      expect(streamed(encodeType, all, 7)).toBe(text);
      expect(encoderFor(encodeType, 'toJobConfig.encodeType')(streamed(encodeType, all))).toEqual(all);
    }
  });

  it.each([
    ['a big-endian byte-order mark', [0xfe, 0xff, 0x4e, 0x2d, 0xd8, 0x3d, 0xde, 0x00]],
    ['a little-endian byte-order mark', [0xff, 0xfe, 0x2d, 0x4e, 0x3d, 0xd8, 0x00, 0xde]],
    ['no byte-order mark: big-endian, as Java reads it', [0x4e, 0x2d, 0xd8, 0x3d, 0xde, 0x00]],
  ])('UTF-16 with %s', (_what, bytes) => {
    for (const size of [1, 3, 64]) expect(streamed('UTF-16', Buffer.from(bytes), size)).toBe('中😀');
  });

  it('UTF-16LE and UTF-16BE drop their own byte-order mark, and UTF-8 its', () => {
    expect(streamed('UTF-16LE', Buffer.from([0xff, 0xfe, 0x41, 0x00]))).toBe('A');
    expect(streamed('UTF-16BE', Buffer.from([0xfe, 0xff, 0x00, 0x41]))).toBe('A');
    expect(streamed('UTF-8', Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).toBe('A');
  });
});
