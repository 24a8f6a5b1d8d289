// The resumable MD5 the file sink keeps in its checkpoint: equal to node's MD5 for every
// length and however the bytes are split, including after its state went through JSON.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5Digest, md5Start, md5Update, multipartEtag, type Md5State } from '../../lib/connectors/files/md5-state';
import { bytes } from '../integration/files/file-harness';

const node = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('resumable MD5', () => {
  it.each([0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 300_001])('%d bytes hash as node hashes them', (n) => {
    const data = bytes(n, n + 3);
    expect(md5Digest(md5Update(md5Start(), data))).toBe(node(data));
  });

  it('the state survives JSON between uneven pieces', () => {
    const data = bytes(1_000_003, 8);
    let state: Md5State = md5Start();
    for (let at = 0, step = 1; at < data.length; at += step, step = step * 7 + 3) {
      state = JSON.parse(JSON.stringify(md5Update(state, data.subarray(at, at + step))));
    }
    expect(md5Digest(state)).toBe(node(data));
  });

  it('the multipart ETag is the MD5 of the parts\' MD5s and their count', () => {
    const parts = [bytes(10, 1), bytes(20, 2)];
    const expected = node(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())));
    expect(multipartEtag(parts.map(node))).toBe(`${expected}-2`);
  });
});
