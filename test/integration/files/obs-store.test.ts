// Reading objects through the OBS/S3 store against s3rver: the bytes a reader gets with
// the download running ahead of it, and what happens to downloads a reader abandons.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { obsClient, obsStore } from '../../../lib/connectors/obs/obs-store';
import { useS3 } from '../../support/s3';
import { bytes } from './file-harness';

const s3 = useS3();
const BIG = bytes(20 * 1024 * 1024 + 7, 11);
beforeAll(async () => {
  await s3.createBucket('read');
  await s3.client.send(new PutObjectCommand({ Bucket: 'read', Key: 'big.bin', Body: BIG }));
});

const store = () =>
  obsStore(
    obsClient(s3.linkInputs()),
    'read',
  );

async function readAll(stream: Readable, pauseEveryBytes = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let sincePause = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    sincePause += chunk.length;
    if (sincePause >= pauseEveryBytes) {
      sincePause = 0;
      await new Promise((r) => setTimeout(r, 20)); // the reader busy elsewhere: the download runs ahead
    }
  }
  return Buffer.concat(chunks);
}

describe('obs store reads', () => {
  it('a reader that takes its time gets the object byte for byte, from the start and from an offset', async () => {
    const s = store();
    try {
      expect((await readAll(await s.read('big.bin', 0), 4 * 1024 * 1024)).equals(BIG)).toBe(true);
      const from = 9 * 1024 * 1024 + 3;
      expect((await readAll(await s.read('big.bin', from), 4 * 1024 * 1024)).equals(BIG.subarray(from))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('downloads abandoned after their first bytes free their connections: the store still answers after more of them than it has sockets', async () => {
    const s = store();
    try {
      // More than the SDK's 50 sockets per host: a leaked download would hold one each.
      for (let i = 0; i < 60; i++) {
        const stream = await s.read('big.bin', 0);
        for await (const _chunk of stream) break; // for-await's break destroys the stream
      }
      expect((await s.stat('big.bin'))?.size).toBe(BIG.length);
      expect((await readAll(await s.read('big.bin', BIG.length - 5))).equals(BIG.subarray(BIG.length - 5))).toBe(true);
    } finally {
      await s.close();
    }
  });
});
