// The link and job API for file connectors, over HTTP: a batch with one bad entry writes
// nothing, a link a job depends on is neither deleted nor turned into another connector
// under it, secrets read back masked can be sent back with the job changed, and a stored
// secret is only ever sent to the server it was given for.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../support/embedded';
import { FTP_PASSWORD, FTP_USER, startFtpServer } from '../support/ftp-server';
import { cluster, job, link, writeTree, type JobSides } from '../integration/files/file-harness';

let api: Api;
let c: Awaited<ReturnType<typeof cluster>>;
let root: string;
beforeAll(async () => {
  api = await startApi();
  c = await cluster(api);
  root = mkdtempSync(join(tmpdir(), 'ferry-file-api-'));
  writeTree(join(root, 'in'), { 'a.csv': '1,one\n' });
  await c.links(nas('disk'));
});
afterAll(() => api?.close());

const nas = (name: string) => link(name, 'nas-connector', { 'linkConfig.rootDirectory': root });
const copy = (to: Record<string, string> = {}, driver?: Record<string, string>): JobSides => ({
  from: ['disk', 'nas-connector'],
  to: ['disk', 'nas-connector'],
  fromInputs: { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'CSV_FILE' },
  toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'CSV_FILE', ...to },
  driver,
});
const get = (what: 'link' | 'job', name: string) => api.call('GET', `${c.base}/${what}/${name}`);

describe('a batch with one bad entry writes nothing', () => {
  it.each([
    ['a name the cluster already has', () => [nas('fresh-1'), nas('disk')], 'Link[disk] already exists.'],
    ['one name twice', () => [nas('fresh-1'), nas('twice'), nas('twice')], 'Link[twice] already exists.'],
  ])('links: %s is Cdm.0315 and no link of the batch is created', async (_what, links, message) => {
    const r = await api.call('POST', `${c.base}/link`, { links: links() });
    expect(r.body).toEqual({ errCode: 'Cdm.0315', externalMessage: message });
    expect((await get('link', 'fresh-1')).body.errCode).toBe('Cdm.0101');
    expect((await get('link', 'twice')).body.errCode).toBe('Cdm.0101');
  });

  it('jobs: a name the cluster already has is Cdm.0104 and no job of the batch is created', async () => {
    await c.job('taken', copy());
    const r = await api.call('POST', `${c.base}/job`, { jobs: [job('fresh-job', copy()), job('taken', copy())] });
    expect(r.body).toEqual({ errCode: 'Cdm.0104', externalMessage: 'Job[taken] already exists.' });
    expect((await get('job', 'fresh-job')).body.errCode).toBe('Cdm.0100');
  });
});

describe('a link a job uses stays what the job needs', () => {
  it('the link that receives a job\'s dirty data cannot be deleted (Cdm.0021)', async () => {
    await c.links(nas('dirt'));
    const dirty = { 'throttlingConfig.recordDirtyData': 'true', 'throttlingConfig.writeToLink': 'dirt', 'throttlingConfig.dirtyDataDirectory': '/dirty' };
    await c.job('records-dirt', copy({}, dirty));
    const r = await api.call('DELETE', `${c.base}/link/dirt`);
    expect(r.body).toEqual({ errCode: 'Cdm.0021', externalMessage: 'Given link name is in use: job records-dirt uses link dirt.' });
    expect((await get('link', 'dirt')).status).toBe(200);
  });

  it('a link a job uses cannot change its connector-name (Cdm.0021); an unused one can', async () => {
    await c.links(nas('changing'));
    await c.job('uses-changing', { ...copy(), from: ['changing', 'nas-connector'] });
    const sftp = link('changing', 'sftp-connector', { 'linkConfig.server': '127.0.0.1', 'linkConfig.port': '1', 'linkConfig.username': 'u' });
    const r = await api.call('PUT', `${c.base}/link/changing`, { links: [sftp] });
    expect(r.body).toEqual({
      errCode: 'Cdm.0021',
      externalMessage: 'Given link name is in use: job uses-changing uses link changing, which must stay a nas-connector link.',
    });
    expect((await get('link', 'changing')).body.links[0]['connector-name']).toBe('nas-connector');
    // Unused, the same change goes as far as the connection test.
    await c.links(nas('unused'));
    const unused = await api.call('PUT', `${c.base}/link/unused`, { links: [{ ...sftp, name: 'unused' }] });
    expect(unused.status).toBe(500);
    expect(unused.body['validation-result'][0].linkConfig[0].message).toMatch(/127\.0\.0\.1:1/);
  });
});

describe('a job read back with its key masked can be saved changed', () => {
  const dek = 'ab'.repeat(32);
  const input = (body: any, name: string) => body['to-config-values'].configs[0].inputs.find((i: { name: string }) => i.name === name);

  it.each([
    ['the mask sent back', 'encrypted-1', (body: any) => body],
    ['the key left out', 'encrypted-2', (body: any) => {
      const inputs = body['to-config-values'].configs[0].inputs;
      inputs.splice(inputs.indexOf(input(body, 'toJobConfig.dek')), 1);
      return body;
    }],
  ])('turning encryption off with %s drops the stored key', async (_what, name, edit) => {
    await c.job(name, copy({ 'toJobConfig.encryption': 'AES-256-GCM', 'toJobConfig.dek': dek }));
    const shown = (await get('job', name)).body.jobs[0];
    expect(input(shown, 'toJobConfig.dek').value).toBe('******');
    input(shown, 'toJobConfig.encryption').value = 'NONE';
    const r = await api.call('PUT', `${c.base}/job/${name}`, { jobs: [edit(shown)] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const stored = await api.ferry.runtime.store.jobs.get('p1', c.id, name);
    expect(stored?.to['toJobConfig.encryption']).toBe('NONE');
    expect(stored?.to['toJobConfig.dek']).toBeUndefined();
  });

  it('a key sent anew with encryption off is still refused', async () => {
    const r = await c.refusedJob('plain-with-key', copy({ 'toJobConfig.dek': dek }));
    expect(r.externalMessage).toBe('jobs[0]: toJobConfig.dek is set but toJobConfig.encryption is NONE; set it to AES-256-GCM.');
  });
});

describe('a stored link secret goes only to the server it was given for', () => {
  it('a modify that moves an FTP link to another server must send the password again', async () => {
    const ftp = await startFtpServer();
    try {
      const inputs = { 'linkConfig.server': ftp.host, 'linkConfig.port': String(ftp.port), 'linkConfig.username': FTP_USER, 'linkConfig.password': FTP_PASSWORD };
      await c.links(link('files', 'ftp-connector', inputs));
      const shown = (await get('link', 'files')).body.links[0];
      const server = shown['link-config-values'].configs[0].inputs.find((i: { name: string }) => i.name === 'linkConfig.server');
      expect(shown['link-config-values'].configs[0].inputs).toContainEqual({ name: 'linkConfig.password', value: '******' });

      // The same server by another name: were the stored password sent, the test would pass.
      server.value = 'localhost';
      const moved = await api.call('PUT', `${c.base}/link/files`, { links: [shown] });
      expect(moved.body).toEqual({
        errCode: 'Cdm.0014',
        externalMessage: 'links[0]: linkConfig.password must be sent again when linkConfig.server changes: a stored secret goes only to the server it was given for.',
      });
      const left = await api.call('PUT', `${c.base}/link/files`, { links: [link('files', 'ftp-connector', { ...inputs, 'linkConfig.server': 'localhost', 'linkConfig.password': undefined as never })] });
      expect(left.body.errCode).toBe('Cdm.0014');
      expect((await api.ferry.runtime.store.links.get('p1', c.id, 'files'))?.inputs['linkConfig.server']).toBe(ftp.host);

      // Sent again, the move is made; on the same server the mask keeps the password.
      const again = await api.call('PUT', `${c.base}/link/files`, { links: [link('files', 'ftp-connector', { ...inputs, 'linkConfig.server': 'localhost' })] });
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      const username = (await get('link', 'files')).body.links[0];
      expect((await api.call('PUT', `${c.base}/link/files`, { links: [username] })).status).toBe(200);
    } finally {
      await ftp.stop();
    }
  });
});
