// The link and job API for file connectors, over HTTP: a batch with one bad entry writes
// nothing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../support/embedded';
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
