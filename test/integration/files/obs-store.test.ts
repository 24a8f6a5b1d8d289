// Reading objects through the OBS/S3 store against s3rver: the bytes a reader gets with
// the download running ahead of it, and what happens to downloads a reader abandons. Reads
// of large objects with their size known come straight from a socket of their own
// (socket-reads.ts): the same against s3rver, and against hand-made servers for the answers
// s3rver never gives (a chunked body, a connection lost mid-body).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { obsClient, obsStore } from '../../../lib/connectors/obs/obs-store';
import { PROJECT_ROOT } from '../../../lib/local/embedded';
import { useS3 } from '../../support/s3';
import { bytes } from './file-harness';

const s3 = useS3();
const BIG = bytes(20 * 1024 * 1024 + 7, 11);
beforeAll(async () => {
  await s3.createBucket('read');
  await s3.client.send(new PutObjectCommand({ Bucket: 'read', Key: 'big.bin', Body: BIG }));
});

const store = (port = s3.port) => obsStore(obsClient(s3.linkInputs({ 'linkConfig.port': String(port) })), 'read');

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

describe('obs store reads of large objects, straight from their sockets', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((srv) => new Promise((done) => srv.close(done))));
  });
  /** A server on a free port; its requests' heads are recorded. */
  async function listen(srv: Server): Promise<number> {
    servers.push(srv);
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    return (srv.address() as AddressInfo).port;
  }

  it('a reader that takes its time gets the object byte for byte, from the start and from an offset', async () => {
    const s = store();
    try {
      expect((await readAll(await s.read('big.bin', 0, BIG.length), 4 * 1024 * 1024)).equals(BIG)).toBe(true);
      const from = 9 * 1024 * 1024 + 3;
      expect((await readAll(await s.read('big.bin', from, BIG.length), 4 * 1024 * 1024)).equals(BIG.subarray(from))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("the store's refusal still reads as one: a missing object names itself and S3's code", async () => {
    const s = store();
    try {
      await expect(s.read('gone.bin', 0, BIG.length)).rejects.toThrow(/Reading obs:\/\/read\/gone\.bin: NoSuchKey/);
    } finally {
      await s.close();
    }
  });

  it('a body sent in chunks is asked for again through the SDK and arrives whole', async () => {
    const heads: string[] = [];
    const port = await listen(
      createHttpServer((req, res) => {
        heads.push(`${req.method} ${req.url} connection=${req.headers.connection}`);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        // No content-length: Node sends it chunked.
        res.write(BIG.subarray(0, 1000));
        res.end(BIG.subarray(1000));
      }),
    );
    const s = store(port);
    try {
      expect((await readAll(await s.read('big.bin', 0, BIG.length))).equals(BIG)).toBe(true);
      expect(heads).toEqual(['GET /read/big.bin?x-id=GetObject connection=close', 'GET /read/big.bin?x-id=GetObject connection=keep-alive']);
    } finally {
      await s.close();
    }
  });

  it('a connection lost in the middle of a body fails the read: it never looks like a shorter object', async () => {
    const port = await listen(
      createTcpServer((socket) =>
        socket.once('data', () => {
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 10000\r\n\r\n');
          socket.end(BIG.subarray(0, 4000));
        }),
      ),
    );
    const s = store(port);
    try {
      await expect(readAll(await s.read('big.bin', 0, BIG.length))).rejects.toThrow(/closed 6000 bytes before the end of the body \(10000 bytes\)/);
    } finally {
      await s.close();
    }
  });

  it('over HTTPS (as S3 and OBS are reached) the body comes from the TLS socket, byte for byte', async () => {
    const tls = join(PROJECT_ROOT, 'test/support/tls');
    const heads: string[] = [];
    const port = await listen(
      createHttpsServer({ key: readFileSync(join(tls, 'localhost-key.pem')), cert: readFileSync(join(tls, 'localhost-cert.pem')) }, (req, res) => {
        heads.push(`${req.method} ${req.url} connection=${req.headers.connection}`);
        res.writeHead(200, { 'content-length': BIG.length });
        res.end(BIG);
      }),
    );
    // Node trusts the test certificate only from NODE_EXTRA_CA_CERTS, at start: the read runs in a process of its own.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(tls, 'socket-read-main.ts'), String(port), 'read', 'big.bin'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(tls, 'localhost-cert.pem'), NODE_NO_WARNINGS: '1' },
    });
    expect(stdout.trim()).toBe(`${BIG.length} ${createHash('md5').update(BIG).digest('hex')}`);
    expect(heads).toEqual(['GET /read/big.bin?x-id=GetObject connection=close']);
  });

  it('a reader that gives up on a body closes its connection', async () => {
    const open = new Set<Socket>();
    const port = await listen(
      createTcpServer((socket) => {
        open.add(socket);
        socket.once('close', () => open.delete(socket));
        socket.on('error', () => undefined);
        socket.once('data', () => {
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${BIG.length}\r\n\r\n`);
          socket.write(BIG.subarray(0, 1024 * 1024)); // and nothing more: the reader must hang up
        });
      }),
    );
    const s = store(port);
    try {
      for (let i = 0; i < 3; i++) {
        const stream = await s.read('big.bin', 0, BIG.length);
        for await (const _chunk of stream) break; // for-await's break destroys the stream
      }
      await expect.poll(() => open.size, { timeout: 5000 }).toBe(0);
    } finally {
      await s.close();
    }
  });
});
