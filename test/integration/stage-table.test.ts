// toJobConfig.useStageTable: the target takes the run's rows all at once at the end, and
// a run that fails — stopped mid-copy, or refused by the target at the takeover — leaves
// the target exactly as it was, on every engine, with no stage table left behind.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../support/embedded';
import * as my from '../support/mysql';
import * as pgdb from '../support/postgres';
import { makeOrders, tableDump } from '../support/sqlite-fixtures';

let api: Api;
let cluster: string;
const dir = mkdtempSync(join(tmpdir(), 'ferry-stage-'));
const src = join(dir, 'src.db');
const cdm = () => `/v1.1/p1/clusters/${cluster}/cdm`;
let pg: pgdb.TestDatabase;
let maria: my.TestDatabase;

beforeAll(async () => {
  makeOrders(src, 3_000);
  // Read as (b, v), the key over (a, b) becomes a key over b, which these rows break.
  const lite = new Database(src);
  lite.exec("CREATE TABLE pairs (a INTEGER, b INTEGER, v TEXT, PRIMARY KEY (a, b)); INSERT INTO pairs VALUES (1, 1, 'x'), (2, 1, 'y')");
  lite.close();
  [pg, maria] = await Promise.all([pgdb.createTestDatabase('stage'), my.createTestDatabase('stage')]);
  // Reports after every chunk, so a stop lands mid-copy of these small tables.
  api = await startApi({ settings: { slotWaitMs: 50, progressIntervalMs: 0 } });
  cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'stage' } })).body.id;
  const r = await api.call('POST', `${cdm()}/link`, {
    links: [
      sqliteLink('src', src, { 'linkConfig.fetchSize': '100' }),
      sqliteLink('lite', join(dir, 'dst.db')),
      pgdb.postgresLink('pg', pg),
      my.mysqlLinkBody('maria', maria.name),
    ],
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}, 60_000);
afterAll(async () => {
  await api?.close();
  await Promise.all([pg?.drop(), maria?.drop()]);
});

let n = 0;
async function runJob(to: string, toInputs: Record<string, string>, opts: { stopAt?: number; fromTable?: string; fromInputs?: Record<string, string> } = {}) {
  const name = `job${++n}`;
  const job = tableJob(name, { to, fromTable: opts.fromTable, fromInputs: opts.fromInputs, toInputs: { 'toJobConfig.useStageTable': 'true', ...toInputs } });
  expect((await api.call('POST', `${cdm()}/job`, { jobs: [job] })).status).toBe(200);
  await api.call('PUT', `${cdm()}/job/${name}/start`);
  const status = async () => (await api.call('GET', `${cdm()}/job/${name}/status`)).body.submissions[0];
  if (opts.stopAt !== undefined) {
    await waitFor('some rows copied', status, (s) => s.counters['org.apache.sqoop.submission.counter.SqoopCounters'].ROWS_WRITTEN >= opts.stopAt!);
    expect((await api.call('PUT', `${cdm()}/job/${name}/stop`)).status).toBe(200);
  }
  return waitFor(`${name} to end`, status, (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED');
}

afterEach(async () => {
  // No run leaves its stage behind, whatever its end.
  const lite = new Database(join(dir, 'dst.db'));
  expect(lite.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'ferry_stage%'").all()).toEqual([]);
  lite.close();
  expect(await pg.query("SELECT relname FROM pg_class WHERE relname LIKE 'ferry_stage%'")).toEqual([]);
  expect(await maria.query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'ferry_stage%'")).toEqual([]);
});

describe('SQLite', () => {
  const dst = () => join(dir, 'dst.db');
  /** A target holding one old row; with `strictNote`, one that refuses the source's NULL notes. */
  const seed = (strictNote = false) => {
    const db = new Database(dst());
    db.exec(`DROP TABLE IF EXISTS kept; CREATE TABLE kept (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, note TEXT ${strictNote ? 'NOT NULL' : ''},
      amount DECIMAL(12,2), big INTEGER, created_at DATETIME, payload BLOB); INSERT INTO kept (id, sku, note) VALUES (-1, 'old', 'was here')`);
    db.close();
  };

  it('clears and fills the target in one go at the end', async () => {
    seed();
    const s = await runJob('lite', { 'toJobConfig.tableName': 'kept', 'toJobConfig.tablePreparation': 'DO_NOTHING', 'toJobConfig.shouldClearTable': 'true' });
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(tableDump(dst(), 'kept')).toEqual(tableDump(src, 'orders'));
  });

  it('leaves the target as it was when the run is stopped mid-copy', async () => {
    seed();
    const before = tableDump(dst(), 'kept');
    const s = await runJob('lite', { 'toJobConfig.tableName': 'kept', 'toJobConfig.tablePreparation': 'DO_NOTHING', 'toJobConfig.shouldClearTable': 'true' }, { stopAt: 200 });
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toMatch(/Stopped by/);
    expect(tableDump(dst(), 'kept')).toEqual(before);
  });

  it('leaves the target as it was when it refuses the rows at the takeover (NOT NULL)', async () => {
    seed(true);
    const before = tableDump(dst(), 'kept');
    const s = await runJob('lite', { 'toJobConfig.tableName': 'kept', 'toJobConfig.tablePreparation': 'DO_NOTHING', 'toJobConfig.shouldClearTable': 'true' });
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toMatch(/NOT NULL/);
    expect(tableDump(dst(), 'kept')).toEqual(before);
  });
});

describe('PostgreSQL', () => {
  it('replaces an existing table with DROP_AND_CREATE only when the copy is complete', async () => {
    await pg.query('CREATE TABLE swapped (x text)');
    await pg.query("INSERT INTO swapped VALUES ('old')");
    const stopped = await runJob('pg', { 'toJobConfig.tableName': 'swapped', 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' }, { stopAt: 200 });
    expect(stopped.status).toBe('FAILED');
    expect(await pg.query('SELECT x FROM swapped')).toEqual([{ x: 'old' }]);

    const done = await runJob('pg', { 'toJobConfig.tableName': 'swapped', 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' });
    expect(done.status, done['error-summary']).toBe('SUCCEEDED');
    expect(await pg.query('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM swapped')).toEqual([{ n: '3000', ids: '3000' }]);
  });

  it('creates a missing target from the stage, its primary key added in the takeover', async () => {
    const done = await runJob('pg', { 'toJobConfig.tableName': 'made', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' });
    expect(done.status, done['error-summary']).toBe('SUCCEEDED');
    expect(await pg.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'made'::regclass AND contype = 'p'`)).toEqual([
      { conname: 'made_pkey', def: 'PRIMARY KEY (id)' },
    ]);
    expect(await pg.query('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM made')).toEqual([{ n: '3000', ids: '3000' }]);
    expect(await pg.query(`SELECT run FROM __ferry_checkpoint WHERE run LIKE 'primary-key:%'`)).toEqual([]);
  });

  it('leaves the target as it was when the stage breaks the key at the takeover', async () => {
    await pg.query('CREATE TABLE unbroken (x text)');
    await pg.query("INSERT INTO unbroken VALUES ('old')");
    const s = await runJob('pg', { 'toJobConfig.tableName': 'unbroken', 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' }, {
      fromTable: 'pairs',
      fromInputs: { 'fromJobConfig.columnList': 'b&v' },
    });
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toMatch(/cannot take its primary key \(b\): .*Key \(b\)=\(1\) is duplicated/);
    expect(await pg.query('SELECT x FROM unbroken')).toEqual([{ x: 'old' }]);
    expect(await pg.query(`SELECT run FROM __ferry_checkpoint WHERE run LIKE 'primary-key:%'`)).toEqual([]);
  });

  it('appends to an existing table only when the copy is complete', async () => {
    await pg.query('CREATE TABLE appended (id bigint PRIMARY KEY, sku text NOT NULL, note text, amount numeric(12,2), big bigint, created_at text, payload bytea)');
    await pg.query("INSERT INTO appended (id, sku) VALUES (-1, 'old')");
    const done = await runJob('pg', { 'toJobConfig.tableName': 'appended', 'toJobConfig.tablePreparation': 'DO_NOTHING' });
    expect(done.status, done['error-summary']).toBe('SUCCEEDED');
    expect(await pg.query('SELECT count(*) AS n FROM appended')).toEqual([{ n: '3001' }]);
  });
});

describe('MySQL', () => {
  it('creates a missing target from the stage, and keeps an existing one intact when stopped', async () => {
    const created = await runJob('maria', { 'toJobConfig.tableName': 'fresh', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' });
    expect(created.status, created['error-summary']).toBe('SUCCEEDED');
    expect(await maria.query('SELECT COUNT(*), MIN(id), MAX(id) FROM fresh')).toEqual([['3000', '1', '3000']]);

    const stopped = await runJob('maria', { 'toJobConfig.tableName': 'fresh', 'toJobConfig.tablePreparation': 'DO_NOTHING', 'toJobConfig.shouldClearTable': 'true' }, { stopAt: 200 });
    expect(stopped.status).toBe('FAILED');
    expect(await maria.query('SELECT COUNT(*) FROM fresh')).toEqual([['3000']]);

    const replaced = await runJob('maria', { 'toJobConfig.tableName': 'fresh', 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' });
    expect(replaced.status, replaced['error-summary']).toBe('SUCCEEDED');
    expect(await maria.query('SELECT COUNT(*) FROM fresh')).toEqual([['3000']]);
  });
});
