// Jobs between SQLite and PostgreSQL, driven through the CDM HTTP API on the embedded
// runtime, with the executor in a process whose timezone is Asia/Shanghai.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../../support/cdm-bodies';
import { freezeProgressReport, startApi, waitFor, type Api } from '../../support/embedded';
import { createTestDatabase, postgresLink, type TestDatabase } from '../../support/postgres';
import { makeOrders } from '../../support/sqlite-fixtures';

let db: TestDatabase;
let api: Api | undefined;
const savedTz = process.env.TZ;
beforeAll(async () => {
  process.env.TZ = 'Asia/Shanghai';
  db = await createTestDatabase('pg_copy');
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
async function runJob(links: unknown[], job: unknown, expected = 'SUCCEEDED', options: Parameters<typeof startApi>[0] = {}) {
  api = await startApi(options);
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
  expect(s.status, s['error-summary']).toBe(expected);
  return s;
}

const counters = (submission: any) => submission.counters['org.apache.sqoop.submission.counter.SqoopCounters'];

it('a SQLite table copies into a PostgreSQL table created for it, value for value', async () => {
  const src = join(mkdtempSync(join(tmpdir(), 'ferry-pg-copy-')), 'src.db');
  makeOrders(src, 250);
  const run = await runJob(
    [sqliteLink('src', src, { 'linkConfig.fetchSize': '100' }), postgresLink('dst', db)],
    tableJob('to_pg', { toTable: 'orders_copy', toInputs: { 'toJobConfig.schemaName': 'public' } }),
  );
  expect(counters(run)).toMatchObject({ ROWS_READ: 250, ROWS_WRITTEN: 250 });

  const columns = await db.query(
    `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = 'public.orders_copy'::regclass AND attnum > 0 ORDER BY attnum`,
  );
  expect(columns.map((c) => `${c.attname} ${c.type}`)).toEqual([
    'id bigint',
    'sku text',
    'note text',
    'amount numeric(12,2)',
    'big bigint',
    'created_at timestamp(6) without time zone',
    'payload bytea',
  ]);
  const [pk] = await db.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'orders_copy'::regclass AND contype = 'p'`);
  expect(pk!.def).toBe('PRIMARY KEY (id)');
  const rows = await db.query(`SELECT id, sku, note, amount, big, created_at, encode(payload, 'hex') AS payload
                                 FROM orders_copy ORDER BY id`);
  expect(rows).toEqual(
    Array.from({ length: 250 }, (_, k) => {
      const i = k + 1;
      return {
        id: String(i),
        sku: `SKU-${i}`,
        note: i % 7 === 0 ? null : i % 5 === 0 ? '' : `note ${i} 😀`,
        amount: (i * 1.25).toFixed(2),
        big: String(9007199254740993n + BigInt(i)),
        created_at: `2024-01-01 00:00:${String(i % 60).padStart(2, '0')}.123`,
        payload: `00${(i % 256).toString(16).padStart(2, '0')}00`,
      };
    }),
  );
});

it('a PostgreSQL table "default"."order" copies into SQLite with exact decimals, untouched temporal text, bytes and 4-byte UTF-8', async () => {
  await db.query(`CREATE SCHEMA "default";
    CREATE TABLE "default"."order" (id bigint PRIMARY KEY, amount numeric(38,10), at timestamp(6), ts timestamptz, d date, t time(6),
      name varchar(20), doc jsonb, bin bytea, flag boolean, f double precision, tags text[]);
    INSERT INTO "default"."order" VALUES
      (9007199254740993, '1234567890123456789012345678.0123456789', '1969-07-20 20:17:40.000001', '2038-01-19 11:14:07.999999+08',
       '9999-12-31', '23:59:59.999999', '😀 中', '{"a": [1, "😀"]}', '\\x000100', true, 0.1, '{a,"b c"}'),
      (2, '-0.0000000001', '2024-03-10 02:30:00', '1970-01-01 00:00:01+00', '1900-02-28', '00:00:00.000001', '', 'null',
       '\\x', false, -2.5, '{}'),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  const dst = join(mkdtempSync(join(tmpdir(), 'ferry-pg-copy-')), 'dst.db');
  const run = await runJob(
    [postgresLink('src', db, { 'linkConfig.fetchSize': '2' }), sqliteLink('dst', dst)],
    tableJob('to_sqlite', { fromTable: 'order', fromInputs: { 'fromJobConfig.schemaName': 'default' }, toTable: 'order_copy' }),
  );
  expect(counters(run)).toMatchObject({ ROWS_READ: 3, ROWS_WRITTEN: 3 });

  const sqlite = new Database(dst, { readonly: true });
  sqlite.defaultSafeIntegers(true);
  const rows = sqlite.prepare('SELECT * FROM order_copy ORDER BY id').raw(true).all();
  sqlite.close();
  expect(rows).toEqual([
    [2n, '-0.0000000001', '2024-03-10 02:30:00', '1970-01-01T00:00:01+00:00', '1900-02-28', '00:00:00.000001', '', 'null', Buffer.alloc(0), 0n, -2.5, '{}'],
    [3n, null, null, null, null, null, null, null, null, null, null, null],
    [
      9007199254740993n,
      '1234567890123456789012345678.0123456789',
      '1969-07-20 20:17:40.000001',
      '2038-01-19T03:14:07.999999+00:00',
      '9999-12-31',
      '23:59:59.999999',
      '😀 中',
      '{"a": [1, "😀"]}',
      Buffer.from([0, 1, 0]),
      1n,
      0.1,
      '{a,"b c"}',
    ],
  ]);
});

it('a link to a PostgreSQL server that cannot be reached, or to a missing database, is refused naming host:port, never the password', async () => {
  api = await startApi();
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const unreachable = postgresLink('dst', db, { 'linkConfig.port': '1', 'linkConfig.password': 's3cret-pw' });
  const r = await api.call('POST', `${base}/link`, { links: [unreachable] });
  expect(r.status).toBe(500);
  expect(r.body['validation-result'][0].linkConfig[0]).toEqual({ message: expect.stringContaining('127.0.0.1:1'), status: 'ERROR' });
  expect(JSON.stringify(r.body)).not.toContain('s3cret-pw');
  expect((await api.call('GET', `${base}/link/dst`)).body.errCode).toBe('Cdm.0101');

  const missing = await api.call('POST', `${base}/link`, { links: [postgresLink('dst', db, { 'linkConfig.database': `${db.name}_missing` })] });
  expect(missing.body['validation-result'][0].linkConfig[0].message).toMatch(/127\.0\.0\.1:5432.*does not exist/);
});

it('a job whose database went away after the link was made fails with Cdm.0901 naming host:port, never the password', async () => {
  const gone = await createTestDatabase('pg_gone');
  const src = join(mkdtempSync(join(tmpdir(), 'ferry-pg-copy-')), 'src.db');
  makeOrders(src, 5);
  api = await startApi();
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const linked = await api.call('POST', `${base}/link`, { links: [sqliteLink('src', src), postgresLink('dst', gone, { 'linkConfig.password': 's3cret-pw' })] });
  expect(linked.status, JSON.stringify(linked.body)).toBe(200);
  await gone.drop();
  await api.call('POST', `${base}/job`, { jobs: [tableJob('nowhere')] });
  await api.call('PUT', `${base}/job/nowhere/start`);
  const status = async () => (await api!.call('GET', `${base}/job/nowhere/status`)).body.submissions[0];
  const run = await waitFor('the run to end', status, (v) => ['SUCCEEDED', 'FAILED'].includes(v.status));
  expect(run.status).toBe('FAILED');
  expect(run['error-summary']).toMatch(/^Cdm\.0901: .*127\.0\.0\.1:5432\b/);
  expect(JSON.stringify(run)).not.toContain('s3cret-pw');
});

it('a keyless PostgreSQL table copied one chunk per invocation arrives whole: no row lost or doubled across hand-overs', async () => {
  // Duplicate rows and NULLs: only the multiset of rows can tell a lost or repeated one.
  await db.query(`CREATE TABLE bag (a int, b text);
    INSERT INTO bag SELECT n % 13, CASE WHEN n % 4 = 0 THEN NULL ELSE 'v' || (n % 5) END FROM generate_series(1, 2000) n;
    CREATE TABLE bag_copy (a int, b text)`);
  // Every invocation has less time left than the margin, so each does one chunk and hands over.
  const run = await runJob(
    [postgresLink('src', db, { 'linkConfig.fetchSize': '250' }), postgresLink('dst', db)],
    tableJob('bag', {
      fromTable: 'bag',
      fromInputs: { 'fromJobConfig.schemaName': 'public' },
      toTable: 'bag_copy',
      toInputs: { 'toJobConfig.tablePreparation': 'DO_NOTHING' },
    }),
    'SUCCEEDED',
    { invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } },
  );
  expect(counters(run)).toMatchObject({ ROWS_READ: 2000, ROWS_WRITTEN: 2000 });
  const multiset = async (table: string) =>
    (await db.query(`SELECT a, b, count(*) AS n FROM ${table} GROUP BY a, b ORDER BY a, b NULLS LAST`)).map((r) => Object.values(r).join('|'));
  expect(await multiset('bag_copy')).toEqual(await multiset('bag'));
  expect(await db.query('SELECT run FROM __ferry_checkpoint')).toEqual([]);
});

it('an executor frozen after committing chunk 3 is taken over by the reaper; the late one writes nothing', async () => {
  const src = join(mkdtempSync(join(tmpdir(), 'ferry-pg-copy-')), 'src.db');
  makeOrders(src, 3_000);
  api = await startApi({ settings: { leaseMs: 400, bootGraceMs: 400, progressIntervalMs: 0 }, reaperIntervalMs: 100 });
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  await api.call('POST', `${base}/link`, { links: [sqliteLink('src', src, { 'linkConfig.fetchSize': '300' }), postgresLink('dst', db)] });
  await api.call('POST', `${base}/job`, { jobs: [tableJob('frozen', { toTable: 'frozen_copy' })] });
  // The executor stops dead after its sink committed chunk 3, before it could report it.
  const frozen = freezeProgressReport(api, 3);
  await api.call('PUT', `${base}/job/frozen/start`);
  const status = async () => (await api!.call('GET', `${base}/job/frozen/status`)).body.submissions[0];
  const s = await waitFor('the run to end', status, (v) => ['SUCCEEDED', 'FAILED'].includes(v.status));
  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  expect(counters(s)).toMatchObject({ ROWS_READ: 3_000, ROWS_WRITTEN: 3_000 });
  await frozen.thaw();
  await api.ferry.queue.idle();
  frozen.restore();
  const [counts] = await db.query('SELECT count(*) AS count, count(DISTINCT id) AS distinct FROM frozen_copy');
  expect(counts).toEqual({ count: '3000', distinct: '3000' });
});
