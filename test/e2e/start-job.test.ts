// The walk-through a user does on `npm start`, over HTTP: cluster → links → job →
// start → status until SUCCEEDED, with a real SQLite-to-SQLite copy.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../support/embedded';
import { makeOrders, tableDump } from '../support/sqlite-fixtures';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

const dir = mkdtempSync(join(tmpdir(), 'ferry-e2e-'));
const src = join(dir, 'src.db');
const dst = join(dir, 'dst.db');
let api: Api;
let cluster: string;
const base = () => `/v1.1/p1/clusters/${cluster}/cdm`;

beforeAll(async () => {
  makeOrders(src, 2_500);
  api = await startApi();
  const c = await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'main' } });
  expect(c.status).toBe(200);
  cluster = c.body.id;
  const links = await api.call('POST', `${base()}/link`, {
    links: [sqliteLink('src', src, { 'linkConfig.fetchSize': '500' }), sqliteLink('dst', dst)],
  });
  expect(links.status, JSON.stringify(links.body)).toBe(200);
});
afterAll(() => api?.close());

describe('starting a job end to end', () => {
  it('creates a cluster that the cluster list shows', async () => {
    const list = await api.call('GET', '/v1.1/p1/clusters');
    expect(list.body.clusters.map((c: { id: string }) => c.id)).toContain(cluster);
  });

  it('answers the start with every StartJobSubmission field, then copies every row and reports SUCCEEDED', async () => {
    expect((await api.call('POST', `${base()}/job`, { jobs: [tableJob('copy-orders')] })).status).toBe(200);
    const before = Date.now();
    const start = await api.call('PUT', `${base()}/job/copy-orders/start`);
    expect(start.status).toBe(200);
    const s = start.body.submissions[0];
    expect(s).toMatchObject({
      'job-name': 'copy-orders',
      'submission-id': 1,
      status: 'BOOTING',
      progress: 0,
      'creation-user': 'ferry-user',
      'last-udpate-user': 'ferry-user',
      'last-update-user': 'ferry-user',
      isIncrementing: false,
      'is-execute-auto': false,
      isDeleteJob: false,
      isStopingIncrement: '',
      delete_rows: 0,
      update_rows: 0,
      write_rows: 0,
    });
    for (const f of ['creation-date', 'execute-date', 'last-update-date']) {
      expect(Number.isInteger(s[f]), f).toBe(true);
      expect(s[f]).toBeGreaterThanOrEqual(before - 1000);
    }

    const seen: { status: string; progress: number }[] = [];
    const final = await waitFor(
      'the submission to end',
      async () => {
        const r = (await api.call('GET', `${base()}/job/copy-orders/status`)).body.submissions[0];
        seen.push({ status: r.status, progress: r.progress });
        return r;
      },
      (r) => r.status === 'SUCCEEDED' || r.status === 'FAILED',
    );
    expect(final.status, final['error-summary']).toBe('SUCCEEDED');
    expect(final.progress).toBe(100);
    expect(final.counters['org.apache.sqoop.submission.counter.SqoopCounters']).toMatchObject({
      ROWS_READ: 2_500,
      ROWS_WRITTEN: 2_500,
      ROWS_WRITTEN_SKIPPED: 0,
      FILES_READ: -1,
    });
    // Progress never went backwards while we watched.
    const progresses = seen.map((x) => x.progress);
    expect(progresses).toEqual([...progresses].sort((a, b) => a - b));
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  });

  it('gives the next start the next id; appending the same keys again fails loudly and doubles no row', async () => {
    const start = await api.call('PUT', `${base()}/job/copy-orders/start`, { variables: {} });
    expect(start.body.submissions[0]['submission-id']).toBe(2);
    const r = await waitFor(
      'run 2 to end',
      async () => (await api.call('GET', `${base()}/job/copy-orders/status`)).body.submissions[0],
      (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED',
    );
    expect(r.status).toBe('FAILED');
    expect(r['error-summary']).toMatch(/Cdm\.0232.*UNIQUE constraint failed: orders_copy\.id/);
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  });

  it('clears the destination first when the job says shouldClearTable, so a re-run succeeds', async () => {
    const job = tableJob('reload-orders', { toInputs: { 'toJobConfig.beforeImportType': 'shouldClearTable' } });
    expect((await api.call('POST', `${base()}/job`, { jobs: [job] })).status).toBe(200);
    await api.call('PUT', `${base()}/job/reload-orders/start`);
    const r = await waitFor(
      'the reload to end',
      async () => (await api.call('GET', `${base()}/job/reload-orders/status`)).body.submissions[0],
      (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED',
    );
    expect(r.status, r['error-summary']).toBe('SUCCEEDED');
    expect(tableDump(dst, 'orders_copy')).toEqual(tableDump(src, 'orders'));
  });

  it('reports FAILED with progress -1 and an error-summary that names the missing table', async () => {
    await api.call('POST', `${base()}/job`, { jobs: [tableJob('broken', { fromTable: 'no_such_table' })] });
    await api.call('PUT', `${base()}/job/broken/start`);
    const r = await waitFor(
      'the broken run to fail',
      async () => (await api.call('GET', `${base()}/job/broken/status`)).body.submissions[0],
      (s) => s.status === 'FAILED',
    );
    expect(r.progress).toBe(-1);
    expect(r['error-summary']).toContain('no_such_table');
  });

  it('shows a stored job and link back in CDM form, with the password masked', async () => {
    const job = await api.call('GET', `${base()}/job/copy-orders`);
    expect(job.body.jobs[0]).toMatchObject({ name: 'copy-orders', 'from-link-name': 'src', status: 'FAILED' });
    await api.call('POST', `${base()}/link`, { links: [sqliteLink('secret', dst, { 'linkConfig.password': 's3cret-pw' })] });
    const link = await api.call('GET', `${base()}/link/secret`);
    expect(JSON.stringify(link.body)).not.toContain('s3cret-pw');
    expect(JSON.stringify(link.body)).toContain('******');
  });

  it('stores no plaintext secret: a scan of the raw table finds only ciphertext', async () => {
    const items = await api.ferry.runtime.store.links.get('p1', cluster, 'secret');
    expect(items?.inputs['linkConfig.password']).toMatch(/^local:v1:/);
    const raw = await rawTable(api);
    expect(raw).toContain('local:v1:');
    expect(raw).not.toContain('s3cret-pw');
  });

  it('refuses a job path under an unknown cluster', async () => {
    const r = await api.call('PUT', '/v1.1/p1/clusters/nope/cdm/job/copy-orders/start');
    expect(r.status).toBe(404);
    expect(r.body.errCode).toBe('Cdm.0001');
  });
});

/** Every item of the embedded table, as DynamoDB holds it, as one string. */
async function rawTable(a: Api): Promise<string> {
  const client = new DynamoDBClient({ endpoint: a.ferry.dynamoEndpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const r = await client.send(new ScanCommand({ TableName: 'ferry' }));
  client.destroy();
  return JSON.stringify(r.Items);
}
