// A server that takes the connection and never answers (a hung server, a wrong port behind a
// proxy) fails what waits on it within a bounded time, with a message naming it, and never
// takes the process down with it.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { freePort } from '../../support/free-port';
import { startS3 } from '../../support/s3';
import { cluster, link } from './file-harness';

let api: Api | undefined;
let silent: { server: Server; sockets: Set<Socket>; port: number } | undefined;
afterEach(async () => {
  for (const s of silent?.sockets ?? []) s.destroy();
  silent?.server.close();
  silent = undefined;
  await api?.close();
  api = undefined;
  delete process.env.FERRY_OBS_IDLE_TIMEOUT_MS;
});

/** Accepts connections on `port` (or a free one) and never writes a byte. */
async function silentServer(port?: number) {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
  });
  const p = port ?? (await freePort());
  await new Promise<void>((ok) => server.listen(p, '127.0.0.1', ok));
  return (silent = { server, sockets, port: p });
}

it('an obs-connector link to a server that never answers is refused by its connection test, naming the server', async () => {
  process.env.FERRY_OBS_IDLE_TIMEOUT_MS = '2000';
  api = await startApi();
  const c = await cluster(api);
  const { port } = await silentServer();
  const r = await api.call('POST', `${c.base}/link`, {
    links: [link('obs', 'obs-connector', { 'linkConfig.server': 'http://127.0.0.1', 'linkConfig.port': String(port), 'linkConfig.accessKey': 'ak', 'linkConfig.securityKey': 'sk' })],
  });
  expect(r.status).toBe(500);
  expect(JSON.stringify(r.body)).toContain('Object store http://127.0.0.1: the object store timed out');
});

it('a run whose object store stops answering fails, naming the bucket, instead of waiting for ever', async () => {
  process.env.FERRY_OBS_IDLE_TIMEOUT_MS = '2000';
  api = await startApi();
  const c = await cluster(api);
  const s3 = await startS3();
  await s3.createBucket('hung');
  await s3.client.send(new PutObjectCommand({ Bucket: 'hung', Key: 'in/a.csv', Body: 'a,b\n1,2\n' }));
  await c.links(link('obs', 'obs-connector', s3.linkInputs()), link('nas', 'nas-connector', { 'linkConfig.rootDirectory': mkdtempSync(join(tmpdir(), 'ferry-hung-')) }));
  await c.job('hung', {
    from: ['obs', 'obs-connector'],
    to: ['nas', 'nas-connector'],
    fromInputs: { 'fromJobConfig.bucketName': 'hung', 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
    toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE' },
  });
  // The same address now takes connections and never answers.
  const port = s3.port;
  await s3.close();
  await silentServer(port);
  const s = await c.run('hung');
  expect(s.status).toBe('FAILED');
  expect(s['error-summary']).toContain('Bucket hung: the object store timed out (no connection, or no answer for 2 s).');
});

it('an sftp-connector link whose handshake timed out leaves no error behind to end the process when the far end closes', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    api = await startApi();
    const c = await cluster(api);
    const srv = await silentServer();
    const r = await api.call('POST', `${c.base}/link`, {
      links: [link('sftp', 'sftp-connector', { 'linkConfig.server': '127.0.0.1', 'linkConfig.port': String(srv.port), 'linkConfig.username': 'u', 'linkConfig.password': 'pw' })],
    });
    expect(JSON.stringify(r.body)).toContain('Timed out while waiting for handshake');
    // The far end closes the connection Ferry gave up on, as any server or firewall eventually does.
    for (const s of srv.sockets) s.destroy();
    await new Promise((ok) => setTimeout(ok, 1_000));
    expect(uncaught.map(String)).toEqual([]);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});
