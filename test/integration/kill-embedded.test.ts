// A real crash: the embedded runtime, started as `npm start` starts it, is killed with
// SIGKILL while it copies two large MySQL tables into PostgreSQL (one with a primary key,
// one without any key and with duplicate rows), then started again on the same data
// directory. The reaper finds the runs whose executor died, they resume from the
// checkpoints committed with the data, and each destination ends holding exactly the
// source's rows: the same count and the same order-independent checksum.
//
// A kill can land between dynalite's write of an item and of its entry in the reaper's
// index (CDM issue #5: a run then stayed RUNNING for ever); the restart repairs the index.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jdbcConnector } from '../../lib/connectors/jdbc/jdbc-connector';
import { tally } from '../../lib/engine/verify';
import type { InputMap } from '../../lib/model/config-values';
import { startChildRuntime, type ChildRuntime } from '../support/child-runtime';
import { waitFor } from '../support/embedded';
import * as my from '../support/mysql';
import * as pg from '../support/postgres';

const ROWS = 100_000;
const CHUNK = 2_000;
const JOBS = ['keyed', 'bag'] as const;

const dataDir = mkdtempSync(join(tmpdir(), 'ferry-kill-embedded-'));
// A dead executor is noticed within seconds: short leases, and a reaper that looks five times a second.
const SETTINGS = { FERRY_LEASE_MS: '2000', FERRY_BOOT_GRACE_MS: '2000', FERRY_REAPER_INTERVAL_MS: '200' };
let mysqlDb: my.TestDatabase;
let pgDb: pg.TestDatabase;
let ferry: ChildRuntime | undefined;

beforeAll(async () => {
  [mysqlDb, pgDb] = await Promise.all([my.createTestDatabase('kill'), pg.createTestDatabase('kill')]);
  await mysqlDb.query(`CREATE TABLE keyed (id BIGINT PRIMARY KEY, grp INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(40),
    created DATETIME(6) NOT NULL)`);
  await mysqlDb.query(`INSERT INTO keyed
    SELECT seq, seq % 13, seq * 1.25, CASE WHEN seq % 7 = 0 THEN NULL WHEN seq % 5 = 0 THEN '' ELSE CONCAT('note ', seq, ' 😀') END,
           '2024-01-01 00:00:00' + INTERVAL seq * 1000003 MICROSECOND
      FROM seq_1_to_${ROWS}`);
  // Without any key, and every row four times: a row written twice or lost changes the multiset.
  await mysqlDb.query('CREATE TABLE bag (grp INT, amount DECIMAL(12,2), note VARCHAR(40), created DATETIME(6))');
  await mysqlDb.query(`INSERT INTO bag SELECT grp, amount, note, created FROM keyed WHERE id <= ${ROWS / 4}`);
  for (let i = 0; i < 3; i++) await mysqlDb.query(`INSERT INTO bag SELECT * FROM bag LIMIT ${ROWS / 4}`);
});
afterAll(async () => {
  await ferry?.kill();
  await Promise.all([mysqlDb?.drop(), pgDb?.drop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const inputs = (config: string, values: Record<string, string>) => ({
  configs: [{ name: config, inputs: Object.entries(values).map(([name, value]) => ({ name, value })) }],
});

const tableJob = (table: string) => ({
  job_type: 'NORMAL_JOB',
  name: table,
  'from-connector-name': 'generic-jdbc-connector',
  'to-connector-name': 'generic-jdbc-connector',
  'from-link-name': 'my',
  'to-link-name': 'pg',
  'from-config-values': inputs('fromJobConfig', { 'fromJobConfig.schemaName': mysqlDb.name, 'fromJobConfig.tableName': table }),
  'to-config-values': inputs('toJobConfig', {
    'toJobConfig.schemaName': 'public',
    'toJobConfig.tableName': `${table}_copy`,
    'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST',
  }),
  'driver-config-values': { configs: [] },
});

/** Rows and checksum of a table, read through the connector as a verification would. */
async function tallyOf(link: InputMap, schemaName: string, table: string) {
  const run = { project: 'p1', cluster: 'kill', job: 'tally', submissionId: 1, partition: 0 };
  const from = { 'fromJobConfig.schemaName': schemaName, 'fromJobConfig.tableName': table };
  const source = await jdbcConnector.openSource!({ link, from, run });
  try {
    return await tally(source, 10_000);
  } finally {
    await source.close();
  }
}

it('a runtime killed with SIGKILL mid-copy and started again finishes both tables exactly, with and without a primary key', async () => {
  ferry = await startChildRuntime(dataDir, SETTINGS);
  const cluster = (await ferry.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'kill' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const links = [my.mysqlLinkBody('my', mysqlDb.name, { 'linkConfig.fetchSize': String(CHUNK) }), pg.postgresLink('pg', pgDb)];
  expect((await ferry.call('POST', `${base}/link`, { links })).status).toBe(200);
  expect((await ferry.call('POST', `${base}/job`, { jobs: JOBS.map(tableJob) })).status).toBe(200);
  for (const job of JOBS) expect((await ferry.call('PUT', `${base}/job/${job}/start`)).status).toBe(200);

  const statuses = () => Promise.all(JOBS.map(async (job) => (await ferry!.call('GET', `${base}/job/${job}/status`)).body.submissions[0]));
  const written = (s: any): number => s.counters?.['org.apache.sqoop.submission.counter.SqoopCounters']?.ROWS_WRITTEN ?? 0;

  // Both copies have committed chunks, neither is near its end: kill the whole runtime.
  const before = await waitFor('both copies under way', statuses, (all) => all.every((s) => written(s) >= 2 * CHUNK), 45_000);
  await ferry.kill();
  expect(before.map((s) => s.status)).toEqual(['RUNNING', 'RUNNING']);
  for (const s of before) {
    expect(s.progress).toBeGreaterThan(0);
    expect(s.progress).toBeLessThan(100);
  }
  const [keyedAtKill, bagAtKill] = await Promise.all([
    pgDb.query('SELECT count(*) AS n FROM keyed_copy'),
    pgDb.query('SELECT count(*) AS n FROM bag_copy'),
  ]);
  // Some rows are there and some are not: the kill came in the middle of both copies.
  for (const n of [Number(keyedAtKill[0]!.n), Number(bagAtKill[0]!.n)]) {
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(ROWS);
  }

  ferry = await startChildRuntime(dataDir, SETTINGS);
  const after = await waitFor(
    'both runs to end after the restart',
    statuses,
    (all) => all.every((s) => ['SUCCEEDED', 'FAILED'].includes(s.status)),
    45_000,
  );
  expect(after.map((s) => [s.status, s['error-summary']])).toEqual([
    ['SUCCEEDED', undefined],
    ['SUCCEEDED', undefined],
  ]);
  expect(after.map(written)).toEqual([ROWS, ROWS]);

  const pgLink = pg.postgresLink('pg', pgDb)['link-config-values'].configs[0]!.inputs;
  const pgInputs = Object.fromEntries(pgLink.map((i) => [i.name, i.value]));
  for (const table of JOBS) {
    const [source, copied] = await Promise.all([
      tallyOf(mysqlDb.link(), mysqlDb.name, table),
      tallyOf(pgInputs, 'public', `${table}_copy`),
    ]);
    expect(source.rows).toBe(ROWS);
    expect(copied).toEqual(source);
  }
  const [distinct] = await pgDb.query('SELECT count(DISTINCT id) AS n FROM keyed_copy');
  expect(distinct!.n).toBe(String(ROWS));
});
