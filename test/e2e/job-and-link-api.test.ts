// The rest of the job and link API over HTTP: list, modify, delete, stop, history,
// link modify/delete/validate, cluster show/delete.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../support/embedded';
import { makeOrders, tableDump } from '../support/sqlite-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'ferry-api-'));
const src = join(dir, 'src.db');
const dst = join(dir, 'dst.db');
let api: Api;
let cluster: string;
const cdm = () => `/v1.1/p1/clusters/${cluster}/cdm`;
const status = async (job: string) => (await api.call('GET', `${cdm()}/job/${job}/status`)).body.submissions[0];
const ended = (job: string) => waitFor(`${job} to end`, () => status(job), (s) => !['BOOTING', 'RUNNING'].includes(s.status));

beforeAll(async () => {
  makeOrders(src, 20_000);
  // Reports after every chunk: the stop and delete tests slow each report to keep a run going.
  api = await startApi({ settings: { progressIntervalMs: 0 } });
  cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'api' } })).body.id;
  await api.call('POST', `${cdm()}/link`, {
    links: [sqliteLink('src', src, { 'linkConfig.fetchSize': '200' }), sqliteLink('dst', dst, { 'linkConfig.password': 'pw-1' })],
  });
});
afterAll(() => api?.close());

describe('jobs', () => {
  it('lists jobs with job_name=all, filtered and paged', async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => tableJob(`list-${String(i).padStart(2, '0')}`));
    expect((await api.call('POST', `${cdm()}/job`, { jobs: [...jobs, tableJob('other')] })).status).toBe(200);
    const page1 = await api.call('GET', `${cdm()}/job/all?filter=list-&page_no=1&page_size=10`);
    expect(page1.body.total).toBe(12);
    expect(page1.body.jobs).toHaveLength(10);
    const page2 = await api.call('GET', `${cdm()}/job/all?filter=list-&page_no=2&page_size=10`);
    expect(page2.body.jobs.map((j: { name: string }) => j.name)).toEqual(['list-10', 'list-11']);
    expect((await api.call('GET', `${cdm()}/job/all?page_size=5`)).body.errCode).toBe('Cdm.0014');
  });

  it('modifies a job, and a job that is not there is Cdm.0319', async () => {
    const changed = tableJob('list-00', { toTable: 'renamed' });
    const r = await api.call('PUT', `${cdm()}/job/list-00`, { jobs: [changed] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const shown = (await api.call('GET', `${cdm()}/job/list-00`)).body.jobs[0];
    expect(JSON.stringify(shown['to-config-values'])).toContain('renamed');
    expect((await api.call('PUT', `${cdm()}/job/ghost`, { jobs: [tableJob('ghost')] })).body.errCode).toBe('Cdm.0319');
    expect((await api.call('PUT', `${cdm()}/job/list-00`, { jobs: [tableJob('list-01')] })).body.externalMessage).toContain('does not match');
  });

  it('stops a running job at its next report: FAILED, progress -1, "Stopped by"; an idle job is Cdm.0053', async () => {
    await api.call('POST', `${cdm()}/job`, {
      jobs: [tableJob('slow', { toTable: 'slow_copy', toInputs: { 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' } })],
    });
    expect((await api.call('PUT', `${cdm()}/job/slow/stop`)).body.errCode).toBe('Cdm.0053');
    // Slow every heartbeat down so the run is still going when the stop arrives.
    const subs = api.ferry.runtime.store.submissions;
    const recordProgress = subs.recordProgress;
    subs.recordProgress = async (...a) => (await new Promise((r) => setTimeout(r, 20)), recordProgress(...a));
    await api.call('PUT', `${cdm()}/job/slow/start`);
    await waitFor('the run to be running', () => status('slow'), (s) => s.status === 'RUNNING' && s.progress > 0);
    const stop = await api.call('PUT', `${cdm()}/job/slow/stop`);
    expect(stop.status, JSON.stringify(stop.body)).toBe(200);
    const s = await ended('slow');
    subs.recordProgress = recordProgress;
    expect(s).toMatchObject({ status: 'FAILED', progress: -1, 'error-summary': 'Stopped by ferry-user.' });
    expect(tableDump(dst, 'slow_copy').length).toBeLessThan(20_000);
  });

  it('refuses to delete a running job, deletes an idle one with its history', async () => {
    await api.call('POST', `${cdm()}/job`, { jobs: [tableJob('doomed', { toTable: 'doomed', toInputs: { 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' } })] });
    const subs = api.ferry.runtime.store.submissions;
    const recordProgress = subs.recordProgress;
    subs.recordProgress = async (...a) => (await new Promise((r) => setTimeout(r, 20)), recordProgress(...a));
    await api.call('PUT', `${cdm()}/job/doomed/start`);
    const refused = await api.call('DELETE', `${cdm()}/job/doomed`);
    expect(refused.body.errCode).toBe('Cdm.0052');
    subs.recordProgress = recordProgress;
    await ended('doomed');
    expect((await api.call('DELETE', `${cdm()}/job/doomed`)).status).toBe(200);
    expect((await api.call('GET', `${cdm()}/job/doomed`)).body.errCode).toBe('Cdm.0100');
    // A new job of the same name starts a fresh history at submission 1.
    await api.call('POST', `${cdm()}/job`, { jobs: [tableJob('doomed', { toTable: 'doomed', toInputs: { 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' } })] });
    expect((await api.call('PUT', `${cdm()}/job/doomed/start`)).body.submissions[0]['submission-id']).toBe(1);
    await ended('doomed');
  });

  it('pages the execution history newest first, with the total', async () => {
    await api.call('POST', `${cdm()}/job`, { jobs: [tableJob('hist', { fromTable: 'orders', toTable: 'hist', toInputs: { 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' } })] });
    for (let i = 0; i < 3; i++) {
      await api.call('PUT', `${cdm()}/job/hist/start`);
      await ended('hist');
    }
    const page = await api.call('GET', `${cdm()}/submissions?jname=hist&page_no=1&page_size=2`);
    expect(page.body).toMatchObject({ total: 3, page_no: 1, page_size: 2 });
    expect(page.body.submissions.map((s: { 'submission-id': number }) => s['submission-id'])).toEqual([3, 2]);
    const last = await api.call('GET', `${cdm()}/submissions?jname=hist&page_no=2&page_size=2`);
    expect(last.body.submissions.map((s: { 'submission-id': number }) => s['submission-id'])).toEqual([1]);
    expect((await api.call('GET', `${cdm()}/submissions`)).body.externalMessage).toContain('query.jname');
  });
});

describe('links', () => {
  it('validate=true checks a link and creates nothing', async () => {
    const r = await api.call('POST', `${cdm()}/link?validate=true`, { links: [sqliteLink('checked', dst)] });
    expect(r.status).toBe(200);
    expect((await api.call('GET', `${cdm()}/link/checked`)).body.errCode).toBe('Cdm.0101');
  });

  it('refuses a validate flag that is neither true nor false, and a job named all', async () => {
    const r = await api.call('POST', `${cdm()}/link?validate=yes`, { links: [sqliteLink('checked', dst)] });
    expect(r.status).toBe(400);
    expect(r.body.externalMessage).toMatch(/validate must be true or false/);
    expect((await api.call('GET', `${cdm()}/link/checked`)).body.errCode).toBe('Cdm.0101');
    const all = await api.call('POST', `${cdm()}/job`, { jobs: [tableJob('all')] });
    expect(all.status).toBe(400);
    expect(all.body.externalMessage).toMatch(/jobs\[0\]\.name.*all is reserved/);
  });

  it('tests the connection on create, validate and modify: a failure is HTTP 500 with a validation-result, and nothing is written', async () => {
    const nowhere = join(dir, 'no-such-dir', 'x.db');
    const expectRefused = (r: { status: number; body: any }) => {
      expect(r.status).toBe(500);
      expect(r.body['validation-result'][0].linkConfig[0]).toEqual({ message: expect.stringContaining('no-such-dir'), status: 'ERROR' });
    };
    expectRefused(await api.call('POST', `${cdm()}/link`, { links: [sqliteLink('broken', nowhere)] }));
    expectRefused(await api.call('POST', `${cdm()}/link?validate=true`, { links: [sqliteLink('broken', nowhere)] }));
    expect((await api.call('GET', `${cdm()}/link/broken`)).body.errCode).toBe('Cdm.0101');

    const shown = (await api.call('GET', `${cdm()}/link/dst`)).body.links[0];
    shown['link-config-values'].configs[0].inputs.find((i: { name: string }) => i.name === 'linkConfig.database').value = nowhere;
    expectRefused(await api.call('PUT', `${cdm()}/link/dst`, { links: [shown] }));
    expect((await api.ferry.runtime.store.links.get('p1', cluster, 'dst'))?.inputs['linkConfig.database']).toBe(dst);
  });

  it('modifies a link, keeping the stored password when the caller sends it back masked', async () => {
    const shown = (await api.call('GET', `${cdm()}/link/dst`)).body.links[0];
    const inputs = shown['link-config-values'].configs[0].inputs;
    inputs.find((i: { name: string }) => i.name === 'linkConfig.fetchSize').value = '777';
    const r = await api.call('PUT', `${cdm()}/link/dst`, { links: [shown] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const link = await api.ferry.runtime.store.links.get('p1', cluster, 'dst');
    expect(link?.inputs['linkConfig.fetchSize']).toBe('777');
    const { resolveLink } = await import('../../lib/links/links');
    expect((await resolveLink(api.ferry.runtime, 'p1', cluster, 'dst')).inputs['linkConfig.password']).toBe('pw-1');
  });

  it('refuses to delete a link a job uses (Cdm.0021) and deletes an unused one', async () => {
    const r = await api.call('DELETE', `${cdm()}/link/src`);
    expect(r.status).toBe(400);
    expect(r.body.errCode).toBe('Cdm.0021');
    await api.call('POST', `${cdm()}/link`, { links: [sqliteLink('spare', dst)] });
    expect((await api.call('DELETE', `${cdm()}/link/spare`)).status).toBe(200);
    expect((await api.call('DELETE', `${cdm()}/link/spare`)).body.errCode).toBe('Cdm.0101');
  });
});

describe('create and execute in a random cluster', () => {
  it('creates the job in one of the named clusters that exists and starts it', async () => {
    const r = await api.call('POST', '/v1.1/p1/clusters/job', { jobs: [tableJob('anywhere', { toTable: 'anywhere' })], clusters: ['no-such', cluster] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.submissions[0]).toMatchObject({ 'job-name': 'anywhere', status: 'BOOTING', 'submission-id': 1 });
    const end = await ended('anywhere');
    expect(end.status).toBe('SUCCEEDED');
    expect(tableDump(dst, 'anywhere')).toEqual(tableDump(src, 'orders'));
  });

  it('refuses when no named cluster exists, when the body names none, and without the start permission', async () => {
    const none = await api.call('POST', '/v1.1/p1/clusters/job', { jobs: [tableJob('x')], clusters: ['nope'] });
    expect(none.body.errCode).toBe('Cdm.0001');
    const empty = await api.call('POST', '/v1.1/p1/clusters/job', { jobs: [tableJob('x')], clusters: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.externalMessage).toMatch(/clusters/);
    const creator = await api.token({ roles: [], permissions: ['cdm:job:create'] });
    const denied = await api.call('POST', '/v1.1/p1/clusters/job', { jobs: [tableJob('x')], clusters: [cluster] }, creator);
    expect(denied.status).toBe(403);
    expect((await api.call('GET', `${cdm()}/job/x`)).body.errCode).toBe('Cdm.0100');
  });
});

describe('clusters', () => {
  it('shows a cluster and deletes it with everything in it', async () => {
    const c = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'temp' } })).body.id;
    expect((await api.call('GET', `/v1.1/p1/clusters/${c}`)).body).toMatchObject({ id: c, name: 'temp' });
    await api.call('POST', `/v1.1/p1/clusters/${c}/cdm/link`, { links: [sqliteLink('src', src), sqliteLink('dst', dst)] });
    await api.call('POST', `/v1.1/p1/clusters/${c}/cdm/job`, { jobs: [tableJob('j')] });
    expect((await api.call('DELETE', `/v1.1/p1/clusters/${c}`)).status).toBe(200);
    expect((await api.call('GET', `/v1.1/p1/clusters/${c}`)).status).toBe(404);
    expect((await api.call('GET', '/v1.1/p1/clusters')).body.clusters.map((x: { id: string }) => x.id)).not.toContain(c);
  });
});
