// Jobs between SQLite and MySQL/MariaDB, driven through the CDM HTTP API on the embedded
// runtime, with the executor in a process whose timezone is Asia/Shanghai.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../../support/embedded';
import { createTestDatabase, mysqlLinkBody, type TestDatabase } from '../../support/mysql';
import { makeOrders } from '../../support/sqlite-fixtures';

let db: TestDatabase;
let api: Api | undefined;
const savedTz = process.env.TZ;
beforeAll(async () => {
  process.env.TZ = 'Asia/Shanghai';
  db = await createTestDatabase('mysql_copy');
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});
afterAll(async () => {
  process.env.TZ = savedTz;
  await db?.drop();
});

/** Creates the links and the job on a fresh cluster, starts it and waits for the end of its run. */
async function runJob(links: unknown[], job: unknown) {
  api = await startApi();
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const linked = await api.call('POST', `${base}/link`, { links });
  expect(linked.status, JSON.stringify(linked.body)).toBe(200);
  const created = await api.call('POST', `${base}/job`, { jobs: [job] });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const name = (job as { name: string }).name;
  expect((await api.call('PUT', `${base}/job/${name}/start`)).status).toBe(200);
  const status = async () => (await api!.call('GET', `${base}/job/${name}/status`)).body.submissions[0];
  const s = await waitFor('the run to end', status, (v) => ['SUCCEEDED', 'FAILED', 'FAILURE_ON_SUBMIT'].includes(v.status));
  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  return s;
}

const counters = (submission: any) => submission.counters['org.apache.sqoop.submission.counter.SqoopCounters'];

/** A job that, after the copy, counts and checksums both sides (ferryConfig.verify). */
const verified = (job: ReturnType<typeof tableJob>) => ({
  ...job,
  'driver-config-values': { configs: [{ name: 'ferryConfig', inputs: [{ name: 'ferryConfig.verify', value: 'true' }] }] },
});

it('a SQLite table copies into a MySQL table created for it, value for value', async () => {
  const src = join(mkdtempSync(join(tmpdir(), 'ferry-mysql-copy-')), 'src.db');
  makeOrders(src, 250);
  const run = await runJob(
    [sqliteLink('src', src, { 'linkConfig.fetchSize': '100' }), mysqlLinkBody('dst', db.name)],
    verified(tableJob('to_mysql', { toTable: 'orders_copy' })),
  );
  expect(counters(run)).toMatchObject({ ROWS_READ: 250, ROWS_WRITTEN: 250 });
  expect(run.verification).toMatchObject({ matched: true, source: { rows: 250 } });

  const columns = await db.query(
    `SELECT COLUMN_NAME, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders_copy' ORDER BY ORDINAL_POSITION`,
  );
  expect(columns.map((c) => c.join(' ').trim())).toEqual([
    'id bigint(20) PRI',
    'sku longtext',
    'note longtext',
    'amount decimal(12,2)',
    'big bigint(20)',
    'created_at datetime(6)',
    'payload longblob',
  ]);
  const rows = await db.query('SELECT id, sku, note, amount, big, created_at, HEX(payload) FROM orders_copy ORDER BY id');
  expect(rows).toEqual(
    Array.from({ length: 250 }, (_, k) => {
      const i = k + 1;
      return [
        String(i),
        `SKU-${i}`,
        i % 7 === 0 ? null : i % 5 === 0 ? '' : `note ${i} 😀`,
        (i * 1.25).toFixed(2),
        String(9007199254740993n + BigInt(i)),
        `2024-01-01 00:00:${String(i % 60).padStart(2, '0')}.123000`,
        `00${(i % 256).toString(16).padStart(2, '0').toUpperCase()}00`,
      ];
    }),
  );
});

it('a MySQL table copies into SQLite with exact decimals, untouched temporal text, bytes and 4-byte UTF-8', async () => {
  await db.query(`CREATE TABLE events (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(38,10), at DATETIME(6), ts TIMESTAMP(6) NULL,
    d DATE, t TIME(6), name VARCHAR(20), doc JSON, bin VARBINARY(8), flag TINYINT(1), f DOUBLE)`);
  await db.query(`INSERT INTO events VALUES
    (9007199254740993, '1234567890123456789012345678.0123456789', '1969-07-20 20:17:40.000001', '2038-01-19 03:14:07.999999',
     '9999-12-31', '-838:59:59.000000', '😀 中', '{"a": [1, "😀"]}', X'000100', 1, 0.1),
    (2, '-0.0000000001', '2024-03-10 02:30:00.000000', '1970-01-01 00:00:01.000000', '1900-02-28', '00:00:00.000001', '', 'null',
     X'', 0, -2.5),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  const dst = join(mkdtempSync(join(tmpdir(), 'ferry-mysql-copy-')), 'dst.db');
  const run = await runJob(
    [mysqlLinkBody('src', db.name, { 'linkConfig.fetchSize': '2' }), sqliteLink('dst', dst)],
    verified(tableJob('to_sqlite', { fromTable: 'events', fromInputs: { 'fromJobConfig.schemaName': db.name }, toTable: 'events_copy' })),
  );
  expect(counters(run)).toMatchObject({ ROWS_READ: 3, ROWS_WRITTEN: 3 });
  expect(run.verification).toMatchObject({ matched: true, source: { rows: 3 } });

  const sqlite = new Database(dst, { readonly: true });
  sqlite.defaultSafeIntegers(true);
  const rows = sqlite.prepare('SELECT * FROM events_copy ORDER BY id').raw(true).all();
  sqlite.close();
  // integer, decimal, timestamp, timestamptz, date, time, string, json, bytes, boolean, float
  expect(rows).toEqual([
    [
      2n,
      '-0.0000000001',
      '2024-03-10 02:30:00.000000',
      '1970-01-01T00:00:01.000000+00:00',
      '1900-02-28',
      '00:00:00.000001',
      '',
      'null',
      Buffer.alloc(0),
      0n,
      -2.5,
    ],
    [3n, null, null, null, null, null, null, null, null, null, null],
    [
      9007199254740993n,
      '1234567890123456789012345678.0123456789',
      '1969-07-20 20:17:40.000001',
      '2038-01-19T03:14:07.999999+00:00',
      '9999-12-31',
      '-838:59:59.000000',
      '😀 中',
      '{"a": [1, "😀"]}',
      Buffer.from([0, 1, 0]),
      1n,
      0.1,
    ],
  ]);
});

it('a link to a MySQL server that cannot be reached is refused with a validation-result naming host:port, never the password', async () => {
  api = await startApi();
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const unreachable = mysqlLinkBody('dst', db.name, { 'linkConfig.port': '1', 'linkConfig.password': 's3cret-pw' });
  const r = await api.call('POST', `${base}/link`, { links: [unreachable] });
  expect(r.status).toBe(500);
  expect(r.body['validation-result'][0].linkConfig[0]).toEqual({ message: expect.stringContaining('127.0.0.1:1'), status: 'ERROR' });
  expect(JSON.stringify(r.body)).not.toContain('s3cret-pw');
  expect((await api.call('GET', `${base}/link/dst`)).body.errCode).toBe('Cdm.0101');

  const missingDatabase = await api.call('POST', `${base}/link`, { links: [mysqlLinkBody('dst', `${db.name}_missing`)] });
  expect(missingDatabase.body['validation-result'][0].linkConfig[0].message).toMatch(/Unknown database/);
});

it('a MySQL table copies into MySQL in parallel slices of its primary key (numExtractors), exactly', async () => {
  await db.query('CREATE TABLE big_src (id BIGINT UNSIGNED PRIMARY KEY, v VARCHAR(20), amount DECIMAL(20,4))');
  const values = Array.from({ length: 3000 }, (_, i) => `(${18446744073709548000n + BigInt(i)}, 'v${i} 😀', ${i}.0001)`);
  await db.query(`INSERT INTO big_src VALUES ${values.join(', ')}`);
  const job = {
    ...verified(tableJob('parallel', { fromTable: 'big_src', fromInputs: { 'fromJobConfig.schemaName': db.name }, toTable: 'big_dst' })),
    'driver-config-values': {
      configs: [
        { name: 'throttlingConfig', inputs: [{ name: 'throttlingConfig.numExtractors', value: '3' }] },
        { name: 'ferryConfig', inputs: [{ name: 'ferryConfig.verify', value: 'true' }] },
      ],
    },
  };
  const run = await runJob([mysqlLinkBody('src', db.name, { 'linkConfig.fetchSize': '200' }), mysqlLinkBody('dst', db.name)], job);
  expect(counters(run)).toMatchObject({ ROWS_READ: 3000, ROWS_WRITTEN: 3000 });
  expect(run.verification).toMatchObject({ matched: true, source: { rows: 3000 } });
  expect(run.partitions.map((p: { rowsWritten: number }) => p.rowsWritten)).toEqual([1000, 1000, 1000]);
  expect(await db.query('SELECT * FROM big_dst ORDER BY id')).toEqual(await db.query('SELECT * FROM big_src ORDER BY id'));
  expect(await db.query("SELECT COUNT(*) FROM `__ferry_checkpoint` WHERE `run` LIKE '%/parallel/%'")).toEqual([['0']]);
});
