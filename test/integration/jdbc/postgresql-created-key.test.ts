// A PostgreSQL table the run creates is loaded without its primary key and gets it when
// the run succeeds (issue #5): through a crash and a resume, over parallel slices, and
// with rows that break the key, which fail the run instead of ending it without the key.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../../support/cdm-bodies';
import { freezeProgressReport, startApi, waitFor, type Api } from '../../support/embedded';
import * as pgdb from '../../support/postgres';
import { makeOrders } from '../../support/sqlite-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'ferry-pk-'));
const src = join(dir, 'src.db');
let pg: pgdb.TestDatabase;
let api: Api | undefined;

beforeAll(async () => {
  makeOrders(src, 5_000);
  // A source key over (a, b); a job that reads only b makes b the created table's key, which b's values break.
  const db = new Database(src);
  db.exec("CREATE TABLE pairs (a INTEGER, b INTEGER, v TEXT, PRIMARY KEY (a, b)); INSERT INTO pairs VALUES (1, 1, 'x'), (2, 1, 'y'), (3, 2, 'z')");
  db.close();
  pg = await pgdb.createTestDatabase('pk');
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});
afterAll(async () => {
  await pg?.drop();
});

async function setUp(a: Api) {
  const cluster = (await a.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'pk' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const links = await a.call('POST', `${base}/link`, { links: [sqliteLink('src', src, { 'linkConfig.fetchSize': '500' }), pgdb.postgresLink('pg', pg)] });
  expect(links.status, JSON.stringify(links.body)).toBe(200);
  return async (job: { name: string }) => {
    const created = await a.call('POST', `${base}/job`, { jobs: [job] });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await a.call('PUT', `${base}/job/${job.name}/start`)).status).toBe(200);
    const status = async () => (await a.call('GET', `${base}/job/${job.name}/status`)).body.submissions[0];
    return waitFor(`${job.name} to end`, status, (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED');
  };
}

const toPg = (name: string, toTable: string, toInputs: Record<string, string> = {}) =>
  tableJob(name, { to: 'pg', toTable, toInputs: { 'toJobConfig.schemaName': 'public', 'toJobConfig.tablePreparation': 'DROP_AND_CREATE', ...toInputs } });

/** The table's primary keys as PostgreSQL describes them. */
const keysOf = async (table: string) =>
  (await pg.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`, [table])).map(
    (r) => `${r.conname}: ${r.def}`,
  );
const rowsOf = async (table: string) => (await pg.query(`SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi FROM ${table}`))[0];
const owed = async () => (await pg.query(`SELECT run FROM __ferry_checkpoint WHERE run LIKE 'primary-key:%'`)).map((r) => r.run);

it('a frozen executor resumed from its checkpoint ends with exactly the source rows, and the key added once the run succeeds', async () => {
  api = await startApi({ settings: { leaseMs: 400, bootGraceMs: 400, progressIntervalMs: 0 }, reaperIntervalMs: 100 });
  const run = await setUp(api);
  await pg.query('CREATE TABLE resumed (other text)');
  // What the table looks like while the rows arrive: seen at the first progress report.
  const subs = api.ferry.runtime.store.submissions;
  const recordProgress = subs.recordProgress;
  let keysDuringLoad: string[] | undefined;
  subs.recordProgress = async (...args) => {
    keysDuringLoad ??= await keysOf('resumed');
    return recordProgress(...args);
  };
  // The executor stops dead after its sink committed chunk 3, before it could report it.
  const frozen = freezeProgressReport(api, 3);
  const s = await run(toPg('resumed', 'resumed'));
  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  expect(keysDuringLoad).toEqual([]);
  expect(await keysOf('resumed')).toEqual(['resumed_pkey: PRIMARY KEY (id)']);
  expect(await rowsOf('resumed')).toEqual({ n: '5000', ids: '5000', lo: '1', hi: '5000' });
  expect(await owed()).toEqual([]);

  // The frozen executor wakes up late: it finds it lost the run and writes nothing more.
  await frozen.thaw();
  await api.ferry.queue.idle();
  frozen.restore();
  expect(await rowsOf('resumed')).toEqual({ n: '5000', ids: '5000', lo: '1', hi: '5000' });
});

it('a run in three slices adds the key once, after the last slice', async () => {
  api = await startApi({ concurrency: 3 });
  const run = await setUp(api);
  const job = { ...toPg('sliced', 'sliced'), 'driver-config-values': { configs: [{ name: 'throttlingConfig', inputs: [{ name: 'throttlingConfig.numExtractors', value: '3' }] }] } };
  const s = await run(job);
  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  expect(s.partitions).toHaveLength(3);
  expect(await keysOf('sliced')).toEqual(['sliced_pkey: PRIMARY KEY (id)']);
  expect((await pg.query(`SELECT count(*) AS n FROM pg_index WHERE indrelid = 'sliced'::regclass`))[0]).toEqual({ n: '1' });
  expect(await rowsOf('sliced')).toEqual({ n: '5000', ids: '5000', lo: '1', hi: '5000' });
  expect(await owed()).toEqual([]);
});

it('rows that break the key fail the run, naming the table, the key and the duplicate; the rows stay, without the key', async () => {
  api = await startApi();
  const run = await setUp(api);
  const s = await run(tableJob('broken', { to: 'pg', fromTable: 'pairs', toTable: 'pairs_b', fromInputs: { 'fromJobConfig.columnList': 'b&v' }, toInputs: { 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' } }));
  expect(s.status).toBe('FAILED');
  expect(s['error-summary']).toMatch(/^Cdm\.0232: public\.pairs_b on PostgreSQL at .* cannot take its primary key \(b\): .*Key \(b\)=\(1\) is duplicated/);
  expect(await keysOf('pairs_b')).toEqual([]);
  expect(await pg.query('SELECT b, v FROM pairs_b ORDER BY v')).toEqual([
    { b: '1', v: 'x' },
    { b: '1', v: 'y' },
    { b: '2', v: 'z' },
  ]);
});
