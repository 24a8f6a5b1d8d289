// File jobs with an SFTP server (sftp-connector) against OpenSSH's sshd with a throwaway
// user, driven through the CDM API on the embedded runtime.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sftpLink, sftpStore } from '../../../lib/connectors/sftp/sftp-store';
import { startApi, type Api } from '../../support/embedded';
import { freePort } from '../../support/free-port';
import { useS3 } from '../../support/s3';
import { startSftpServer, type TestSftp } from '../../support/sftp-server';
import { bytes, cluster, counters, link, md5, treeMd5, writeTree } from './file-harness';
import { remoteFileSuite } from './remote-suite';

let sftp: TestSftp;
beforeAll(async () => {
  sftp = await startSftpServer();
});
afterAll(() => sftp?.stop());

const inputs = (over: Record<string, string> = {}) => ({
  'linkConfig.server': sftp.host,
  'linkConfig.port': String(sftp.port),
  'linkConfig.username': sftp.username,
  'linkConfig.password': sftp.password,
  ...over,
});

remoteFileSuite(() => ({
  connector: 'sftp-connector',
  linkInputs: () => inputs(),
  local: (dir) => join(sftp.root, dir),
  path: (dir) => `${sftp.root}/${dir}`,
  url: (dir) => `sftp://${sftp.host}:${sftp.port}${sftp.root}/${dir}`,
  own: () => sftp.own(),
  store: () => sftpStore(sftpLink(inputs())),
}));

// Files up to 2 MiB are read whole in one go (the shared suite reads those); larger ones stream.
describe('sftp-connector reads of large files', () => {
  it.each([
    ['its size now', 0],
    ['a size it has outgrown', -1_000_000],
    ['a size it has shrunk from', 1_000_000],
  ])('a 5 MB file read with %s as its listed size delivers every byte it holds, and only those', async (_n, delta) => {
    const dir = `large-${delta}-${process.pid}`;
    mkdirSync(join(sftp.root, dir));
    const content = bytes(5_000_000, 11);
    writeFileSync(join(sftp.root, dir, 'f.bin'), content);
    sftp.own();
    const store = sftpStore(sftpLink(inputs()));
    try {
      const chunks: Buffer[] = [];
      for await (const c of await store.read(`${sftp.root.slice(1)}/${dir}/f.bin`, 3000, content.length + delta)) chunks.push(c as Buffer);
      expect(md5(Buffer.concat(chunks))).toBe(md5(content.subarray(3000)));
    } finally {
      await store.close();
    }
  });
});

describe('symbolic links in an SFTP input', () => {
  let api: Api | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  /** Copies `in` under the SFTP directory `dir` to a fresh local directory. */
  async function copyDown(dir: string) {
    api = await startApi();
    const c = await cluster(api);
    const disk = mkdtempSync(join(tmpdir(), 'ferry-sftp-links-'));
    await c.links(link('s', 'sftp-connector', inputs()), link('d', 'nas-connector', { 'linkConfig.rootDirectory': disk }));
    await c.job('down', {
      from: ['s', 'sftp-connector'],
      to: ['d', 'nas-connector'],
      fromInputs: { 'fromJobConfig.inputDirectory': join(sftp.root, dir, 'in'), 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.outputDirectory': '/down', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    return { r: await c.run('down'), out: join(disk, 'down') };
  }

  it('are followed: a linked file and a linked directory are copied under their link names, a loop once', async () => {
    const dir = `links-${process.pid}`;
    const elsewhere = join(sftp.root, dir, 'elsewhere');
    writeTree(elsewhere, { 'target.bin': bytes(3000, 21), 'sub/inner.txt': 'inner' });
    writeTree(join(sftp.root, dir, 'in'), { 'plain.txt': 'plain' });
    symlinkSync(join(elsewhere, 'target.bin'), join(sftp.root, dir, 'in', 'linked.bin'));
    symlinkSync(elsewhere, join(sftp.root, dir, 'in', 'linked-dir'));
    symlinkSync('.', join(sftp.root, dir, 'in', 'loop')); // back to the input itself
    sftp.own();
    const { r, out } = await copyDown(dir);
    expect(r.status, r['error-summary']).toBe('SUCCEEDED');
    const target = md5(bytes(3000, 21));
    expect(treeMd5(out)).toEqual({
      'plain.txt': md5(Buffer.from('plain')),
      'linked.bin': target,
      'linked-dir/target.bin': target,
      'linked-dir/sub/inner.txt': md5(Buffer.from('inner')),
    });
    expect(counters(r)).toMatchObject({ FILES_READ: 4, FILES_WRITTEN: 4 });
  });

  it('a dangling link fails the run naming it and its target', async () => {
    const dir = `dangling-${process.pid}`;
    writeTree(join(sftp.root, dir, 'in'), { 'plain.txt': 'plain' });
    symlinkSync('/nowhere/gone.txt', join(sftp.root, dir, 'in', 'gone.txt'));
    sftp.own();
    const { r } = await copyDown(dir);
    expect(r.status).toBe('FAILED');
    expect(r['error-summary']).toContain(`Input sftp://${sftp.host}:${sftp.port}${sftp.root}/${dir}/in/gone.txt is a symbolic link to /nowhere/gone.txt, which cannot be read`);
  });
});

describe('an SFTP destination that refuses a file', () => {
  let api: Api | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it.each(['true', 'false'])('fails the run naming where it was refused, writeToTempFile=%s', async (temp) => {
    api = await startApi();
    const c = await cluster(api);
    const disk = mkdtempSync(join(tmpdir(), 'ferry-sftp-refused-'));
    writeTree(join(disk, 'in'), { 'ok.txt': 'ok', 'locked/x.txt': 'x' });
    const out = join(sftp.root, `refused-${temp}-${process.pid}`);
    mkdirSync(join(out, 'locked'), { recursive: true });
    sftp.own();
    chmodSync(join(out, 'locked'), 0o555); // the server's user may not write in it
    await c.links(link('s', 'sftp-connector', inputs()), link('d', 'nas-connector', { 'linkConfig.rootDirectory': disk }));
    await c.job('up', {
      from: ['d', 'nas-connector'],
      to: ['s', 'sftp-connector'],
      fromInputs: { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.outputDirectory': out, 'toJobConfig.outputFormat': 'BINARY_FILE', 'toJobConfig.writeToTempFile': temp },
    });
    const r = await c.run('up');
    expect(r.status).toBe('FAILED');
    expect(r['error-summary']).toContain(`sftp://${sftp.host}:${sftp.port}${out}/locked/`);
    expect(r['error-summary']).toContain('Permission denied');
  });
});

describe('sftp-connector links', () => {
  let api: Api | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  async function create(over: Record<string, string>) {
    api = await startApi();
    const c = await cluster(api);
    const r = await api.call('POST', `${c.base}/link`, { links: [link('s', 'sftp-connector', inputs(over))] });
    return { r, c };
  }

  it('a link with the right password is tested and created; its password is shown masked', async () => {
    const { r, c } = await create({});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(JSON.stringify((await api!.call('GET', `${c.base}/link/s`)).body)).not.toContain(sftp.password);
  });

  it('a link with a private key instead of a password works, and the key is shown masked', async () => {
    const { r, c } = await create({ 'linkConfig.password': '', 'linkConfig.privateKey': sftp.privateKey });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(JSON.stringify((await api!.call('GET', `${c.base}/link/s`)).body)).not.toContain('PRIVATE KEY');
  });

  it('a wrong password is refused with a validation-result naming the user, never echoing the password', async () => {
    const { r } = await create({ 'linkConfig.password': 'not-the-password' });
    expect(r.status).toBe(500);
    const [result] = r.body['validation-result'];
    expect(result.linkConfig[0]).toMatchObject({ status: 'ERROR' });
    expect(result.linkConfig[0].message).toContain(`SFTP server ${sftp.host}:${sftp.port} refused the login of user ${sftp.username}`);
    expect(JSON.stringify(r.body)).not.toContain('not-the-password');
  });

  it('a private key that is no key is refused naming linkConfig.privateKey, not as a connection failure', async () => {
    const { r } = await create({ 'linkConfig.password': '', 'linkConfig.privateKey': 'not a key' });
    expect(r.status).toBe(500);
    const message = r.body['validation-result'][0].linkConfig[0].message;
    expect(message).toContain(`SFTP server ${sftp.host}:${sftp.port}: linkConfig.privateKey cannot be used: `);
    expect(message).not.toContain('not a key');
  });

  it('a key the server does not know for the user is refused naming the user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-other-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    const privateKey = readFileSync(join(dir, 'key'), 'utf8');
    const { r } = await create({ 'linkConfig.password': '', 'linkConfig.privateKey': privateKey });
    expect(r.status).toBe(500);
    expect(r.body['validation-result'][0].linkConfig[0].message).toContain(`SFTP server ${sftp.host}:${sftp.port} refused the login of user ${sftp.username}`);
  });

  it('a link with neither password nor key is refused naming both inputs', async () => {
    const { r } = await create({ 'linkConfig.password': '' });
    expect(r.status).toBe(500);
    expect(r.body['validation-result'][0].linkConfig[0].message).toContain('linkConfig.password or linkConfig.privateKey');
  });

  it('an unreachable server is refused with a validation-result naming it', async () => {
    const port = await freePort();
    const { r } = await create({ 'linkConfig.port': String(port) });
    expect(r.status).toBe(500);
    expect(r.body['validation-result'][0].linkConfig[0].message).toContain(`Cannot connect to SFTP server ${sftp.host}:${port}: `);
    expect(r.body['validation-result'][0].linkConfig[0].message).toContain('ECONNREFUSED');
  });

  it('a pinned host key fingerprint that does not match is refused naming both keys', async () => {
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const { r } = await create({ 'linkConfig.hostKeyFingerprint': wrong });
    expect(r.status).toBe(500);
    expect(r.body['validation-result'][0].linkConfig[0].message).toMatch(
      new RegExp(`presented host key SHA256:\\S+, not linkConfig.hostKeyFingerprint ${wrong}`),
    );
  });
});

describe('SFTP to object storage', () => {
  const s3 = useS3();
  let api: Api | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('copies a tree of files from the SFTP server into a bucket byte for byte', async () => {
    api = await startApi();
    const c = await cluster(api);
    await s3.createBucket('from-sftp');
    const src = join(sftp.root, 'to-s3');
    writeTree(src, Object.fromEntries(Array.from({ length: 20 }, (_v, i) => [`d${i % 3}/f${i}.bin`, bytes(100_000 + i, 50 + i)])));
    sftp.own();
    await c.links(
      link('s', 'sftp-connector', inputs()),
      link('b', 'obs-connector', s3.linkInputs()),
    );
    await c.job('up', {
      from: ['s', 'sftp-connector'],
      to: ['b', 'obs-connector'],
      fromInputs: { 'fromJobConfig.inputDirectory': src, 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.bucketName': 'from-sftp', 'toJobConfig.outputDirectory': '/copy', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    const r = await c.run('up');
    expect(r.status, r['error-summary']).toBe('SUCCEEDED');
    const objects: Record<string, string> = {};
    for (const o of (await s3.client.send(new ListObjectsV2Command({ Bucket: 'from-sftp' }))).Contents ?? []) {
      const body = await s3.client.send(new GetObjectCommand({ Bucket: 'from-sftp', Key: o.Key! }));
      objects[o.Key!.slice('copy/'.length)] = md5(Buffer.from(await body.Body!.transformToByteArray()));
    }
    expect(objects).toEqual(treeMd5(src));
    expect(counters(r)).toMatchObject({ FILES_READ: 20, FILES_WRITTEN: 20 });
  });
});
