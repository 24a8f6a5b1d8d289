// Partitioned runs (throttlingConfig.numExtractors): the table is split by ranges of an
// integer column into slices copied by parallel executor invocations, each with its own
// lease and checkpoint; the run ends once, with exact counters, when the last slice does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import type { ExecutionMessage } from '../../lib/queue/queue';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../support/embedded';
import { makeOrders, tableDump } from '../support/sqlite-fixtures';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const counters = (s: any) => s.counters['org.apache.sqoop.submission.counter.SqoopCounters'];
const driver = (inputs: Record<string, string>) => ({
  configs: [
    {
      name: 'throttlingConfig',
      inputs: Object.entries(inputs).map(([name, value]) => ({ name, value })),
    },
  ],
});

async function setUp(a: Api, fill: (src: string) => void, chunk = 250) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-parts-'));
  const src = join(dir, 'src.db');
  const dst = join(dir, 'dst.db');
  fill(src);
  const cluster = (await a.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  await a.call('POST', `${base}/link`, { links: [sqliteLink('src', src, { 'linkConfig.fetchSize': String(chunk) }), sqliteLink('dst', dst)] });
  const status = async (job: string) => (await a.call('GET', `${base}/job/${job}/status`)).body.submissions[0];
  const run = async (job: string) => {
    expect((await a.call('PUT', `${base}/job/${job}/start`)).status).toBe(200);
    return waitFor(`${job} to end`, () => status(job), (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED', 60_000);
  };
  return { cluster, base, src, dst, status, run };
}

it('copies a table in parallel slices of its primary key, exactly, showing partition progress while it runs', async () => {
  // Reports after every chunk (not every second): each slice of this copy takes a few dozen ms.
  api = await startApi({ concurrency: 4, settings: { progressIntervalMs: 0 } });
  const { base, src, dst, status, run } = await setUp(api, (f) => makeOrders(f, 12_000));
  const sent: ExecutionMessage[] = [];
  const send = api.ferry.runtime.queue.send.bind(api.ferry.runtime.queue);
  api.ferry.runtime.queue.send = (m, o) => (sent.push(m), send(m, o));
  const job = { ...tableJob('parts'), 'driver-config-values': driver({ 'throttlingConfig.numExtractors': '4' }) };
  expect((await api.call('POST', `${base}/job`, { jobs: [job] })).status).toBe(200);

  const seen: any[] = [];
  const ended = run('parts');
  // Sample the status while it runs: a partitioned run lists its partitions.
  while (!['SUCCEEDED', 'FAILED'].includes((await status('parts')).status)) {
    const s = await status('parts');
    if (s.partitions) seen.push(s.partitions);
    await new Promise((r) => setTimeout(r, 10));
  }
  const s = await ended;
  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  expect(s.progress).toBe(100);
  expect(counters(s)).toMatchObject({ ROWS_READ: 12_000, ROWS_WRITTEN: 12_000, ROWS_WRITTEN_SKIPPED: 0 });
  expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  // Four slices: the coordinator copied one and dispatched three to other invocations.
  expect(sent.filter((m) => m.reason === 'partition').map((m) => m.partition).sort()).toEqual([1, 2, 3]);
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.at(-1)).toHaveLength(4);
});

it('puts NULLs of the partition column in one slice, or leaves them out when allowNullValueInPartitionColumn is false', async () => {
  api = await startApi({ concurrency: 3 });
  const fill = (f: string) => {
    const db = new Database(f);
    db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, grp INTEGER, v TEXT)');
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?)');
    for (let i = 1; i <= 900; i++) insert.run(i, i % 10 === 0 ? null : i % 97, `v${i}`);
    db.close();
  };
  const { base, src, dst, run } = await setUp(api, fill, 50);
  const jobs = [true, false].map((nulls) => ({
    ...tableJob(nulls ? 'with-nulls' : 'without-nulls', {
      fromTable: 'events',
      toTable: nulls ? 'with_nulls' : 'without_nulls',
      fromInputs: { 'fromJobConfig.partitionColumn': 'grp', 'fromJobConfig.allowNullValueInPartitionColumn': String(nulls) },
    }),
    'driver-config-values': driver({ 'throttlingConfig.numExtractors': '3' }),
  }));
  expect((await api.call('POST', `${base}/job`, { jobs })).status).toBe(200);

  expect(counters(await run('with-nulls')).ROWS_WRITTEN).toBe(900);
  expect(tableDump(dst, 'with_nulls')).toEqual(tableDump(src, 'events'));
  expect(counters(await run('without-nulls')).ROWS_WRITTEN).toBe(810);
  const db = new Database(dst, { readonly: true });
  expect(db.prepare('SELECT count(*) AS n FROM without_nulls WHERE grp IS NULL').get()).toEqual({ n: 0 });
  db.close();
});

it('resumes a slice whose executor froze from its own checkpoint while the others finish, no row lost or doubled', async () => {
  api = await startApi({ concurrency: 4, settings: { leaseMs: 400, bootGraceMs: 400, progressIntervalMs: 0 }, reaperIntervalMs: 100 });
  const { base, src, dst, run } = await setUp(api, (f) => makeOrders(f, 8_000), 200);
  const parts = api.ferry.runtime.store.partitions;
  const heartbeat = parts.heartbeat;
  let frozen = false;
  let thaw: (() => void) | undefined;
  parts.heartbeat = (k, n, ...rest) => {
    // Partition 2's executor stops dead after its sink committed its third chunk.
    if (n === 2 && !frozen && rest[1].rowsWritten === 600) {
      frozen = true;
      return new Promise((resolve) => {
        thaw = () => void heartbeat(k, n, ...rest).then(resolve);
      });
    }
    return heartbeat(k, n, ...rest);
  };
  const job = { ...tableJob('frozen'), 'driver-config-values': driver({ 'throttlingConfig.numExtractors': '4' }) };
  await api.call('POST', `${base}/job`, { jobs: [job] });
  const s = await run('frozen');
  expect(frozen).toBe(true);
  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  expect(counters(s)).toMatchObject({ ROWS_READ: 8_000, ROWS_WRITTEN: 8_000 });
  expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  // The frozen executor wakes: it has lost its slice and writes nothing more.
  thaw!();
  await api.ferry.queue.idle();
  expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  parts.heartbeat = heartbeat;
});
