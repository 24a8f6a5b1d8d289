// A cluster's maxConcurrentJobs: starts beyond it are accepted and wait in BOOTING,
// then run as slots free; none is rejected and none runs early.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../support/embedded';
import { makeOrders, tableDump } from '../support/sqlite-fixtures';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

it('runs at most maxConcurrentJobs at once; the others wait in BOOTING and then run', async () => {
  api = await startApi({ concurrency: 4, settings: { slotWaitMs: 50 } });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-slots-'));
  const src = join(dir, 'src.db');
  const dst = join(dir, 'dst.db');
  makeOrders(src, 6_000);
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'one-at-a-time', maxConcurrentJobs: 1 } })).body.id;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  await api.call('POST', `${base}/link`, { links: [sqliteLink('src', src, { 'linkConfig.fetchSize': '100' }), sqliteLink('dst', dst)] });
  const jobs = ['a', 'b', 'c'];
  await api.call('POST', `${base}/job`, { jobs: jobs.map((j) => tableJob(j, { toTable: `copy_${j}` })) });

  for (const j of jobs) expect((await api.call('PUT', `${base}/job/${j}/start`)).body.submissions[0].status).toBe('BOOTING');

  const submissions = () => Promise.all(jobs.map(async (j) => (await api!.call('GET', `${base}/job/${j}/status`)).body.submissions[0]));
  const ended = await waitFor('all three runs to end', submissions, (s) => s.every((x) => x.status === 'SUCCEEDED' || x.status === 'FAILED'), 60_000);
  expect(ended.map((s) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  // Each ran from its execute-date (BOOTING → RUNNING) to its last update (the end): with one
  // slot those spans follow one another, and each of the later two waited in BOOTING first.
  const spans = ended.map((s) => [s['execute-date'] as number, s['last-update-date'] as number] as const).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  // The later two were started with the first but only executed once it had ended.
  const waited = ended.filter((s) => s['execute-date'] >= spans[0]![1]);
  expect(waited.length).toBe(2);
  for (const j of jobs) expect(tableDump(dst, `copy_${j}`)).toEqual(tableDump(src, 'orders'));
  // Every slot is given back (just after its run is seen to end).
  await waitFor('every slot given back', () => api!.ferry.runtime.store.clusters.slotHolders('p1', cluster), (h) => h.length === 0);
});

it('frees a slot left by a run that ended without giving it back', async () => {
  api = await startApi({ settings: { slotWaitMs: 50 } });
  const dir = mkdtempSync(join(tmpdir(), 'ferry-slots-'));
  const src = join(dir, 'src.db');
  makeOrders(src, 10);
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'leaky', maxConcurrentJobs: 1 } })).body.id;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  await api.call('POST', `${base}/link`, { links: [sqliteLink('src', src), sqliteLink('dst', join(dir, 'dst.db'))] });
  await api.call('POST', `${base}/job`, { jobs: [tableJob('j')] });
  // A holder whose run is long over (as if its executor died after finishing).
  await api.ferry.runtime.store.clusters.takeSlot('p1', cluster, 'gone-job#7', 1);
  await api.call('PUT', `${base}/job/j/start`);
  const end = await waitFor(
    'the run to end',
    async () => (await api!.call('GET', `${base}/job/j/status`)).body.submissions[0],
    (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED',
  );
  expect(end.status).toBe('SUCCEEDED');
});
