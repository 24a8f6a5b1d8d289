// ferryConfig.verify: after the copy, both sides are counted and checksummed; the
// result is on the submission, and a destination that differs fails the run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../support/embedded';
import { makeOrders } from '../support/sqlite-fixtures';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const verifying = (name: string, toInputs: Record<string, string> = {}) => ({
  ...tableJob(name, { toInputs }),
  'driver-config-values': { configs: [{ name: 'ferryConfig', inputs: [{ name: 'ferryConfig.verify', value: 'true' }] }] },
});

async function setUp(a: Api) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-verify-'));
  const src = join(dir, 'src.db');
  const dst = join(dir, 'dst.db');
  makeOrders(src, 300);
  const cluster = (await a.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  await a.call('POST', `${base}/link`, { links: [sqliteLink('src', src, { 'linkConfig.fetchSize': '64' }), sqliteLink('dst', dst)] });
  const run = async (job: string) => {
    expect((await a.call('PUT', `${base}/job/${job}/start`)).status).toBe(200);
    const status = () => a.call('GET', `${base}/job/${job}/status`).then((r) => r.body.submissions[0]);
    return waitFor('the run to end', status, (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED');
  };
  return { base, dst, run };
}

it('reports matching counts and checksums for an exact copy', async () => {
  api = await startApi();
  const { base, run } = await setUp(api);
  await api.call('POST', `${base}/job`, { jobs: [verifying('v1')] });
  const end = await run('v1');
  expect(end.status, end['error-summary']).toBe('SUCCEEDED');
  expect(end.verification.matched).toBe(true);
  expect(end.verification.source.rows).toBe(300);
  expect(end.verification.destination).toEqual(end.verification.source);
  expect(end.verification.source.checksum).toMatch(/^[0-9a-f]{32}$/);
});

it('fails the run when the destination holds other rows than the source', async () => {
  api = await startApi();
  const { base, dst, run } = await setUp(api);
  // A row already in the destination, which a plain append (beforeImportType none) keeps.
  const db = new Database(dst);
  db.exec('CREATE TABLE orders_copy (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, note TEXT, amount DECIMAL(12,2), big INTEGER, created_at DATETIME, payload BLOB)');
  db.prepare('INSERT INTO orders_copy VALUES (100000, ?, NULL, NULL, NULL, NULL, NULL)').run('stray');
  db.close();
  await api.call('POST', `${base}/job`, { jobs: [verifying('v2', { 'toJobConfig.tablePreparation': 'DO_NOTHING' })] });
  const end = await run('v2');
  expect(end.status).toBe('FAILED');
  expect(end['error-summary']).toMatch(/Verification failed: the source has 300 rows .* the destination 301/);
  expect(end.verification.matched).toBe(false);
});
