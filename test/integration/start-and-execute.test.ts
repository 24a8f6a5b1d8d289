// The start flow and the executor under the failures SQS and Lambda really have:
// concurrent starts, a queue that refuses, duplicate deliveries, an executor that
// freezes mid-job, invocations that run out of time, a crash between claim and put.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { freezeProgressReport, startApi, waitFor, type Api } from '../support/embedded';
import { makeOrders, tableDump } from '../support/sqlite-fixtures';
import type { ExecutionMessage } from '../../lib/queue/queue';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** A cluster with src (rows, fetched `chunk` at a time) and dst links, and job j1 between them. */
async function setUp(a: Api, rows: number, chunk: number) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-exec-'));
  const src = join(dir, 'src.db');
  const dst = join(dir, 'dst.db');
  makeOrders(src, rows);
  const cluster = (await a.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  await a.call('POST', `${base}/link`, { links: [sqliteLink('src', src, { 'linkConfig.fetchSize': String(chunk) }), sqliteLink('dst', dst)] });
  expect((await a.call('POST', `${base}/job`, { jobs: [tableJob('j1')] })).status).toBe(200);
  const status = async () => (await a.call('GET', `${base}/job/j1/status`)).body.submissions[0];
  const finished = () => waitFor('the run to end', status, (s) => ['SUCCEEDED', 'FAILED', 'FAILURE_ON_SUBMIT'].includes(s.status));
  return { cluster, base, src, dst, status, finished };
}

const counters = (s: any) => s.counters['org.apache.sqoop.submission.counter.SqoopCounters'];

describe('starting', () => {
  it('two concurrent starts of one job make exactly one submission; the other gets Cdm.0052', async () => {
    api = await startApi();
    const { base, finished } = await setUp(api, 100, 50);
    const results = await Promise.all(Array.from({ length: 5 }, () => api!.call('PUT', `${base}/job/j1/start`)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(400);
      expect(r.body.errCode).toBe('Cdm.0052');
    }
    expect((await finished()).status).toBe('SUCCEEDED');
    const next = await api.call('PUT', `${base}/job/j1/start`);
    expect(next.body.submissions[0]['submission-id']).toBe(2);
  });

  it('a queue that refuses the send ends the submission FAILURE_ON_SUBMIT and frees the job', async () => {
    api = await startApi();
    const { base, status, finished, dst, src } = await setUp(api, 100, 50);
    const rt = api.ferry.runtime;
    const realQueue = rt.queue;
    rt.queue = { send: async () => Promise.reject(new Error('SQS is unavailable')) };
    const r = await api.call('PUT', `${base}/job/j1/start`);
    rt.queue = realQueue;
    expect(r.status).toBe(200);
    expect(r.body.submissions[0].status).toBe('FAILURE_ON_SUBMIT');
    const s = await status();
    expect(s.status).toBe('FAILURE_ON_SUBMIT');
    expect(s['error-summary']).toContain('SQS is unavailable');
    const again = await api.call('PUT', `${base}/job/j1/start`);
    expect(again.body.submissions[0]).toMatchObject({ 'submission-id': 2, status: 'BOOTING' });
    expect((await finished()).status).toBe('SUCCEEDED');
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  });

  it('a claim left by a crash before the submission was written is repaired by the next start', async () => {
    // The grace must outlast the refused start below even on a loaded machine.
    api = await startApi({ settings: { bootGraceMs: 1_500 } });
    const { cluster, base, finished } = await setUp(api, 10, 50);
    // The crash: the job is claimed for submission 1, but submission 1 never got written.
    expect((await api.ferry.runtime.store.jobs.claim('p1', cluster, 'j1', Date.now()))?.activeSubmissionId).toBe(1);
    const refused = await api.call('PUT', `${base}/job/j1/start`);
    expect(refused.body.errCode).toBe('Cdm.0052');
    await new Promise((r) => setTimeout(r, 1_600));
    const r = await api.call('PUT', `${base}/job/j1/start`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.submissions[0]['submission-id']).toBe(2);
    expect((await finished()).status).toBe('SUCCEEDED');
  });

  it('keeps clusters, links, jobs and submissions across a restart of the embedded runtime', async () => {
    api = await startApi();
    const { base, finished } = await setUp(api, 10, 50);
    await api.call('PUT', `${base}/job/j1/start`);
    await finished();
    const dataDir = api.dataDir;
    await api.close({ keepData: true });
    api = await startApi({ dataDir });
    expect((await api.call('GET', `${base}/job/j1`)).body.jobs[0].status).toBe('SUCCEEDED');
    expect((await api.call('GET', `${base}/link/src`)).status).toBe(200);
    const s = (await api.call('GET', `${base}/job/j1/status`)).body.submissions[0];
    expect(s).toMatchObject({ 'submission-id': 1, status: 'SUCCEEDED' });
  });
});

describe('executing exactly once', () => {
  it('a run whose executor froze after chunk 3 is resumed by the reaper from its checkpoint, no row lost or doubled', async () => {
    api = await startApi({ settings: { leaseMs: 400, bootGraceMs: 400, progressIntervalMs: 0 }, reaperIntervalMs: 100 });
    const { base, src, dst, finished } = await setUp(api, 5_000, 500);
    // The executor stops dead after its sink committed chunk 3, before it could report it.
    const frozen = freezeProgressReport(api, 3);
    await api.call('PUT', `${base}/job/j1/start`);
    const s = await finished();
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(counters(s)).toMatchObject({ ROWS_READ: 5_000, ROWS_WRITTEN: 5_000 });
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));

    // The frozen executor wakes up late: it finds it lost the run and writes nothing more.
    await frozen.thaw();
    await api.ferry.queue.idle();
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
    frozen.restore();
  });

  it('a run whose planning outlasts several leases keeps its lease: the reaper neither re-queues it nor plans it twice', async () => {
    api = await startApi({ settings: { leaseMs: 1_000, bootGraceMs: 1_000 }, reaperIntervalMs: 50 });
    const { cluster, base, src, dst, finished } = await setUp(api, 2_000, 500);
    const partitions = api.ferry.runtime.store.partitions;
    const create = partitions.create;
    let plans = 0;
    // Planning is slow (a row estimate over a huge table, say): three leases long.
    partitions.create = async (...args) => {
      plans++;
      await new Promise((r) => setTimeout(r, 3_000));
      return create(...args);
    };
    await api.call('PUT', `${base}/job/j1/start`);
    const s = await finished();
    partitions.create = create;
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(plans).toBe(1);
    expect((await api.ferry.runtime.store.submissions.get({ project: 'p1', cluster, job: 'j1', id: 1 }))?.requeues).toBeUndefined();
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  });

  it('an invocation that runs out of time hands over to a continuation without losing or repeating a chunk', async () => {
    // Every invocation has less time left than the margin, so each does one chunk and hands over.
    api = await startApi({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const { base, src, dst, finished } = await setUp(api, 2_000, 250);
    const sent: ExecutionMessage[] = [];
    const queue = api.ferry.runtime.queue;
    const send = queue.send.bind(queue);
    queue.send = (m) => (sent.push(m), send(m));
    await api.call('PUT', `${base}/job/j1/start`);
    const s = await finished();
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(sent.filter((m) => m.reason === 'continue').length).toBeGreaterThanOrEqual(7);
    expect(counters(s)).toMatchObject({ ROWS_READ: 2_000, ROWS_WRITTEN: 2_000 });
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  });

  it('a running copy reports at most every progressIntervalMs, not after every chunk, and still ends exact', async () => {
    const reports = async (progressIntervalMs: number) => {
      api = await startApi({ settings: { progressIntervalMs } });
      const { base, src, dst, finished } = await setUp(api, 3_000, 100);
      const partitions = api.ferry.runtime.store.partitions;
      const heartbeat = partitions.heartbeat;
      let beats = 0;
      partitions.heartbeat = (...args) => (beats++, heartbeat(...args));
      await api.call('PUT', `${base}/job/j1/start`);
      const s = await finished();
      expect(s).toMatchObject({ status: 'SUCCEEDED', progress: 100 });
      expect(counters(s)).toMatchObject({ ROWS_READ: 3_000, ROWS_WRITTEN: 3_000, ROWS_WRITTEN_SKIPPED: 0 });
      expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
      await api.close();
      api = undefined;
      return beats;
    };
    // 30 chunks: a report after each with 0; none within a (lease-capped) 15 s interval.
    expect(await reports(0)).toBe(30);
    expect(await reports(60_000)).toBe(0);
  });

  it('a duplicate delivery of the same execution message neither runs twice nor doubles rows', async () => {
    api = await startApi();
    const { cluster, base, src, dst, finished } = await setUp(api, 3_000, 300);
    await api.call('PUT', `${base}/job/j1/start`);
    const duplicate: ExecutionMessage = { v: 1, project: 'p1', cluster, job: 'j1', submissionId: 1, reason: 'start' };
    await Promise.all([api.ferry.queue.send(duplicate), api.ferry.queue.send(duplicate)]);
    const s = await finished();
    await api.ferry.queue.idle();
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(counters(s).ROWS_WRITTEN).toBe(3_000);
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  });
});
