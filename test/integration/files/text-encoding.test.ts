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
