// File jobs with an FTP server (ftp-connector) against ftp-srv running in-process,
// driven through the CDM API on the embedded runtime.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ftpLink, ftpStore } from '../../../lib/connectors/ftp/ftp-store';
import { startApi, type Api } from '../../support/embedded';
import { freePort } from '../../support/free-port';
import { FTP_PASSWORD, FTP_USER, startFtpServer, type TestFtp } from '../../support/ftp-server';
import { cluster, counters, link, writeTree } from './file-harness';
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
