// Incremental migration over the CDM API: each run copies only the rows above the
// high-water mark the last successful run left; a failed run leaves the mark where it was,
// and running again after it neither loses nor doubles a row.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../support/embedded';
import { tableDump } from '../support/sqlite-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'ferry-incr-'));
const src = join(dir, 'src.db');
const dst = join(dir, 'dst.db');
let api: Api;
let cdm: string;
let nextId = 1;

function addRows(n: number) {
  const db = new Database(src);
  db.exec("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, note TEXT)");
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?)');
  for (let i = 0; i < n; i++, nextId++) insert.run(nextId, `2024-01-01 00:00:${String(nextId % 60).padStart(2, '0')}.5`, nextId % 3 ? `e${nextId}` : null);
  db.close();
}

const incremental = (name: string, extra: Record<string, string> = {}) => ({
  ...tableJob(name, {
    fromTable: 'events',
    toTable: 'events',
    toInputs: { 'toJobConfig.useStageTable': 'true', ...extra },
  }),
  'driver-config-values': { configs: [{ name: 'ferryConfig', inputs: [{ name: 'ferryConfig.incrementalColumn', value: 'id' }] }] },
});

async function run(job: string) {
  const started = (await api.call('PUT', `${cdm}/job/${job}/start`)).body.submissions[0];
  expect(started.isIncrementing).toBe(true);
  const status = async () => (await api.call('GET', `${cdm}/job/${job}/status`)).body.submissions[0];
  return waitFor(`${job} to end`, status, (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED');
}
const rowsRead = (s: any) => s.counters['org.apache.sqoop.submission.counter.SqoopCounters'].ROWS_READ;

beforeAll(async () => {
  addRows(500);
  api = await startApi();
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'incr' } })).body.id;
  cdm = `/v1.1/p1/clusters/${cluster}/cdm`;
  await api.call('POST', `${cdm}/link`, { links: [sqliteLink('src', src, { 'linkConfig.fetchSize': '64' }), sqliteLink('dst', dst)] });
  expect((await api.call('POST', `${cdm}/job`, { jobs: [incremental('sync')] })).status).toBe(200);
});
afterAll(() => api?.close());

it('copies everything first, then only what is new, three runs while rows are added', async () => {
  const first = await run('sync');
  expect(first.status, first['error-summary']).toBe('SUCCEEDED');
  expect(rowsRead(first)).toBe(500);
  expect(tableDump(dst, 'events')).toEqual(tableDump(src, 'events'));

  addRows(120);
  const second = await run('sync');
  expect(second.status, second['error-summary']).toBe('SUCCEEDED');
  expect(rowsRead(second)).toBe(120);
  expect(tableDump(dst, 'events')).toEqual(tableDump(src, 'events'));

  const idle = await run('sync');
  expect(idle.status).toBe('SUCCEEDED');
  expect(rowsRead(idle)).toBe(0);
  expect(tableDump(dst, 'events')).toEqual(tableDump(src, 'events'));
});

it('keeps the mark when a run fails, so the next run copies that window exactly once', async () => {
  addRows(80);
  // The target refuses the new rows at the takeover: it has lost a column the rows need.
  const db = new Database(dst);
  db.exec('ALTER TABLE events RENAME TO events_full; CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL); INSERT INTO events SELECT id, at FROM events_full;');
  db.close();
  const failed = await run('sync');
  expect(failed.status).toBe('FAILED');

  const fix = new Database(dst);
  fix.exec('DROP TABLE events; ALTER TABLE events_full RENAME TO events;');
  fix.close();
  const retried = await run('sync');
  expect(retried.status, retried['error-summary']).toBe('SUCCEEDED');
  expect(rowsRead(retried)).toBe(80);
  expect(tableDump(dst, 'events')).toEqual(tableDump(src, 'events'));
});

it('refuses an incremental job whose retries could double rows', async () => {
  const r = await api.call('POST', `${cdm}/job`, { jobs: [incremental('unsafe', { 'toJobConfig.useStageTable': 'false' })] });
  expect(r.status).toBe(400);
  expect(r.body.externalMessage).toMatch(/incrementalColumn needs toJobConfig.useStageTable true, or toJobConfig.onConflict REPLACE or UPDATE/);
});
