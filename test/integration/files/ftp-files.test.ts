// File jobs with an FTP server (ftp-connector) against ftp-srv running in-process,
// driven through the CDM API on the embedded runtime.
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ftpLink, ftpStore } from '../../../lib/connectors/ftp/ftp-store';
import { startApi, type Api } from '../../support/embedded';
import { freePort } from '../../support/free-port';
import { FTP_PASSWORD, FTP_USER, startFtpServer, type TestFtp } from '../../support/ftp-server';
import { bytes, cluster, counters, link, md5, treeMd5, writeTree } from './file-harness';
import { remoteFileSuite } from './remote-suite';

let ftp: TestFtp;
beforeAll(async () => {
  ftp = await startFtpServer();
});
afterAll(() => ftp?.stop());

const inputs = (over: Record<string, string> = {}) => ({
  'linkConfig.server': ftp.host,
  'linkConfig.port': String(ftp.port),
  'linkConfig.username': FTP_USER,
  'linkConfig.password': FTP_PASSWORD,
  ...over,
});

remoteFileSuite(() => ({
  connector: 'ftp-connector',
  linkInputs: () => inputs(),
  local: (dir) => join(ftp.root, dir),
  path: (dir) => `/${dir}`,
  url: (dir) => `ftp://${ftp.host}:${ftp.port}/${dir}`,
  own: () => undefined,
  store: () => ftpStore(ftpLink(inputs())),
}));

describe('ftp-connector store', () => {
  const store = () => ftpStore(ftpLink(inputs()));

  it('a read dropped after its transfer ended leaves the connection to the operation that now uses it', async () => {
    writeTree(join(ftp.root, 'dropped'), { 'small.txt': 'small', 'big.bin': bytes(20_000_000, 41) });
    const s = store();
    try {
      // Small enough to be all buffered: its transfer ends with nothing read.
      const small = await s.read('dropped/small.txt', 0);
      await s.stat('dropped/small.txt'); // waits for the read's transfer to end
      const big = await s.read('dropped/big.bin', 0);
      const chunks: Buffer[] = [];
      const first: Buffer = await new Promise((ok) => big.once('data', ok));
      big.pause();
      chunks.push(first);
      // A reader giving up on the small file while the big one is on its way (a CSV source sampling its first record does).
      await new Promise((ok) => small.once('close', ok).destroy());
      for await (const c of big) chunks.push(c as Buffer);
      expect(md5(Buffer.concat(chunks))).toBe(md5(bytes(20_000_000, 41)));
    } finally {
      await s.close();
    }
  });
});

describe('ftp-connector links', () => {
  let api: Api | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  async function create(over: Record<string, string>) {
    api = await startApi();
    const c = await cluster(api);
    return api.call('POST', `${c.base}/link`, { links: [link('f', 'ftp-connector', inputs(over))] });
  }

  it('a link with the right login is tested and created; its password is shown masked', async () => {
    const r = await create({});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const c = await cluster(api!);
    await c.links(link('g', 'ftp-connector', inputs()));
    expect(JSON.stringify((await api!.call('GET', `${c.base}/link/g`)).body)).not.toContain(FTP_PASSWORD);
  });

  it('a wrong password is refused with a validation-result naming the user, never echoing the password', async () => {
    const r = await create({ 'linkConfig.password': 'not-the-password' });
    expect(r.status).toBe(500);
    const [result] = r.body['validation-result'];
    expect(result.linkConfig[0]).toMatchObject({ status: 'ERROR' });
    expect(result.linkConfig[0].message).toContain(`FTP server ${ftp.host}:${ftp.port} refused the login of user ${FTP_USER}`);
    expect(JSON.stringify(r.body)).not.toContain('not-the-password');
  });

  it('an unreachable server is refused with a validation-result naming it', async () => {
    const port = await freePort();
    const r = await create({ 'linkConfig.port': String(port) });
    expect(r.status).toBe(500);
    expect(r.body['validation-result'][0].linkConfig[0].message).toContain(`Cannot connect to FTP server ${ftp.host}:${port}: ECONNREFUSED`);
  });
});

describe('an FTP server that gives no modification times (no MDTM)', () => {
  let bare: TestFtp;
  let api: Api | undefined;
  beforeAll(async () => {
    bare = await startFtpServer({ blacklist: ['MDTM'] });
  });
  afterAll(() => bare?.stop());
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  async function copy(fromInputs: Record<string, string>) {
    writeTree(join(bare.root, 'in'), { 'a.txt': 'aaa', 'sub/b.txt': 'bb' });
    api = await startApi();
    const c = await cluster(api);
    const disk = mkdtempSync(join(tmpdir(), 'ferry-ftp-nomdtm-'));
    const remote = { 'linkConfig.server': bare.host, 'linkConfig.port': String(bare.port), 'linkConfig.username': FTP_USER, 'linkConfig.password': FTP_PASSWORD };
    await c.links(link('f', 'ftp-connector', remote), link('d', 'nas-connector', { 'linkConfig.rootDirectory': disk }));
    await c.job('down', {
      from: ['f', 'ftp-connector'],
      to: ['d', 'nas-connector'],
      fromInputs: { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE', ...fromInputs },
      toInputs: { 'toJobConfig.outputDirectory': '/down', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    return c.run('down');
  }

  it('copies its files', async () => {
    const r = await copy({});
    expect(r.status, r['error-summary']).toBe('SUCCEEDED');
    expect(counters(r)).toMatchObject({ FILES_READ: 2, FILES_WRITTEN: 2 });
  });

  it('fails a run with filterType TIME naming the file, instead of passing every file over as 1970', async () => {
    const r = await copy({ 'fromJobConfig.filterType': 'TIME', 'fromJobConfig.startTime': '2020-01-01 00:00:00' });
    expect(r.status).toBe('FAILED');
    expect(r['error-summary']).toMatch(
      new RegExp(`fromJobConfig.filterType TIME cannot be applied: the FTP server ${bare.host}:${bare.port} gives no modification time of ftp://${bare.host}:${bare.port}/in/(a|sub/b).txt`),
    );
  });
});

describe('an FTP server that lists symbolic links as links (vsftpd, ProFTPD)', () => {
  let linking: TestFtp;
  let api: Api | undefined;
  beforeAll(async () => {
    linking = await startFtpServer({ listsLinks: true });
  });
  afterAll(() => linking?.stop());
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  /** Copies `<dir>/in` on the server to a fresh local directory. */
  async function copyDown(dir: string) {
    api = await startApi();
    const c = await cluster(api);
    const disk = mkdtempSync(join(tmpdir(), 'ferry-ftp-links-'));
    const remote = { 'linkConfig.server': linking.host, 'linkConfig.port': String(linking.port), 'linkConfig.username': FTP_USER, 'linkConfig.password': FTP_PASSWORD };
    await c.links(link('f', 'ftp-connector', remote), link('d', 'nas-connector', { 'linkConfig.rootDirectory': disk }));
    await c.job('down', {
      from: ['f', 'ftp-connector'],
      to: ['d', 'nas-connector'],
      fromInputs: { 'fromJobConfig.inputDirectory': `/${dir}/in`, 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.outputDirectory': '/down', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    return { r: await c.run('down'), out: join(disk, 'down') };
  }

  it('follows them: a linked file and a linked directory are copied under their link names, a loop once', async () => {
    const elsewhere = join(linking.root, 'followed', 'elsewhere');
    writeTree(elsewhere, { 'target.bin': bytes(3000, 31), 'sub/inner.txt': 'inner' });
    writeTree(join(linking.root, 'followed', 'in'), { 'plain.txt': 'plain' });
    symlinkSync(join(elsewhere, 'target.bin'), join(linking.root, 'followed', 'in', 'linked.bin'));
    symlinkSync('../elsewhere', join(linking.root, 'followed', 'in', 'linked-dir'));
    symlinkSync('.', join(linking.root, 'followed', 'in', 'loop')); // back to the input itself
    const { r, out } = await copyDown('followed');
    expect(r.status, r['error-summary']).toBe('SUCCEEDED');
    const target = md5(bytes(3000, 31));
    expect(treeMd5(out)).toEqual({
      'plain.txt': md5(Buffer.from('plain')),
      'linked.bin': target,
      'linked-dir/target.bin': target,
      'linked-dir/sub/inner.txt': md5(Buffer.from('inner')),
    });
    expect(counters(r)).toMatchObject({ FILES_READ: 4, FILES_WRITTEN: 4 });
  });

  it('a dangling link fails the run naming it and its target', async () => {
    writeTree(join(linking.root, 'dangling', 'in'), { 'plain.txt': 'plain' });
    symlinkSync('/nowhere/gone.txt', join(linking.root, 'dangling', 'in', 'gone.txt'));
    const { r } = await copyDown('dangling');
    expect(r.status).toBe('FAILED');
    expect(r['error-summary']).toContain(`Input ftp://${linking.host}:${linking.port}/dangling/in/gone.txt is a symbolic link to /nowhere/gone.txt, which cannot be read.`);
  });
});
