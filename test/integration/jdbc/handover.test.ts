// A Lambda that runs out of time hands its slice over to a continuation message: a MySQL
// → PostgreSQL job in three partitions, where every invocation has less time left than
// the continuation margin, so each copies one chunk and hands over. The destination
// table has no primary key, so a chunk written twice would show as extra rows.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExecutionMessage } from '../../../lib/queue/queue';
import { startApi, waitFor, type Api } from '../../support/embedded';
import * as my from '../../support/mysql';
import * as pg from '../../support/postgres';

const ROWS = 3_000;
const CHUNK = 100;

let mysqlDb: my.TestDatabase;
let pgDb: pg.TestDatabase;
let api: Api | undefined;

beforeAll(async () => {
  [mysqlDb, pgDb] = await Promise.all([my.createTestDatabase('handover'), pg.createTestDatabase('handover')]);
  await mysqlDb.query(`CREATE TABLE orders (id BIGINT PRIMARY KEY, grp INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(40),
    created DATETIME(6) NOT NULL)`);
  const values = Array.from({ length: ROWS }, (_, k) => {
    const i = k + 1;
    const note = i % 7 === 0 ? 'NULL' : i % 5 === 0 ? "''" : `'note ${i} 😀'`;
    return `(${i}, ${i % 13}, ${(i * 1.25).toFixed(2)}, ${note}, '2024-01-01 00:00:00' + INTERVAL ${i * 1_000_003} MICROSECOND)`;
  });
  await mysqlDb.query(`INSERT INTO orders VALUES ${values.join(', ')}`);
  await pgDb.query(`CREATE TABLE orders_copy (id bigint NOT NULL, grp integer NOT NULL, amount numeric(12,2), note varchar(40),
    created timestamp(6) NOT NULL)`);
});
afterAll(async () => {
  await api?.close();
  await Promise.all([mysqlDb?.drop(), pgDb?.drop()]);
});

const configs = (values: Record<string, Record<string, string>>) => ({
  configs: Object.entries(values).map(([name, inputs]) => ({
    name,
    inputs: Object.entries(inputs).map(([input, value]) => ({ name: input, value })),
  })),
});

/** Rows of both sides in key order, every value as text in the same spelling. */
async function bothSides() {
  const source = await mysqlDb.query(
    `SELECT id, grp, amount, note, DATE_FORMAT(created, '%Y-%m-%d %H:%i:%s.%f') FROM orders ORDER BY id`,
  );
  const copied = await pgDb.query(
    `SELECT id, grp, amount, note, to_char(created, 'YYYY-MM-DD HH24:MI:SS.US') AS created FROM orders_copy ORDER BY id`,
  );
  return {
    source: source.map((r) => r.map((v) => (v === null ? null : String(v)))),
    copied: copied.map((r) => [r.id, r.grp, r.amount, r.note, r.created]),
  };
}

it('a partitioned MySQL → PostgreSQL run whose invocations run out of time hands over chunk by chunk, losing and repeating nothing', async () => {
  // Every invocation has less time left than the margin: each copies one chunk and hands over.
  api = await startApi({ concurrency: 3, invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
  const sent: ExecutionMessage[] = [];
  const queue = api.ferry.runtime.queue;
  const send = queue.send.bind(queue);
  queue.send = (m, o) => (sent.push(m), send(m, o));

  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'handover' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const links = [my.mysqlLinkBody('my', mysqlDb.name, { 'linkConfig.fetchSize': String(CHUNK) }), pg.postgresLink('pg', pgDb)];
  expect((await api.call('POST', `${base}/link`, { links })).status).toBe(200);
  const job = {
    job_type: 'NORMAL_JOB',
    name: 'handover',
    'from-connector-name': 'generic-jdbc-connector',
    'to-connector-name': 'generic-jdbc-connector',
    'from-link-name': 'my',
    'to-link-name': 'pg',
    'from-config-values': configs({ fromJobConfig: { 'fromJobConfig.schemaName': mysqlDb.name, 'fromJobConfig.tableName': 'orders' } }),
    'to-config-values': configs({
      toJobConfig: { 'toJobConfig.schemaName': 'public', 'toJobConfig.tableName': 'orders_copy', 'toJobConfig.tablePreparation': 'DO_NOTHING' },
    }),
    'driver-config-values': configs({
      throttlingConfig: { 'throttlingConfig.numExtractors': '3' },
      ferryConfig: { 'ferryConfig.verify': 'true' },
    }),
  };
  const created = await api.call('POST', `${base}/job`, { jobs: [job] });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  expect((await api.call('PUT', `${base}/job/handover/start`)).status).toBe(200);
  const status = async () => (await api!.call('GET', `${base}/job/handover/status`)).body.submissions[0];
  const s = await waitFor('the run to end', status, (v) => ['SUCCEEDED', 'FAILED'].includes(v.status), 60_000);

  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  expect(s.counters['org.apache.sqoop.submission.counter.SqoopCounters']).toMatchObject({ ROWS_READ: ROWS, ROWS_WRITTEN: ROWS });
  expect(s.verification).toMatchObject({ matched: true, source: { rows: ROWS }, destination: { rows: ROWS } });
  // Three slices, each copied by a chain of invocations of one chunk each.
  expect(sent.filter((m) => m.reason === 'partition').map((m) => m.partition).sort()).toEqual([1, 2]);
  const continued = sent.filter((m) => m.reason === 'continue');
  for (const n of [0, 1, 2]) expect(continued.filter((m) => m.partition === n).length).toBeGreaterThanOrEqual(5);
  expect(continued.length).toBeGreaterThanOrEqual(ROWS / CHUNK - 3);

  await api.ferry.queue.idle();
  const { source, copied } = await bothSides();
  expect(copied).toHaveLength(ROWS);
  expect(copied).toEqual(source);
});
