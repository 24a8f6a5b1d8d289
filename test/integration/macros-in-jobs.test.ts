// Macros in a job's inputs, end to end: checked when the job is saved, resolved when the
// run starts, against the submission's start time and the start body's variables.
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

async function setUp(a: Api) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-macros-'));
  const src = join(dir, 'src.db');
  const dst = join(dir, 'dst.db');
  makeOrders(src, 50);
  const cluster = (await a.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  await a.call('POST', `${base}/link`, { links: [sqliteLink('src', src), sqliteLink('dst', dst)] });
  const run = async (job: string, variables?: Record<string, string>) => {
    const started = await a.call('PUT', `${base}/job/${job}/start`, variables ? { variables } : undefined);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const status = () => a.call('GET', `${base}/job/${job}/status`).then((r) => r.body.submissions[0]);
    const end = await waitFor('the run to end', status, (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED');
    return { started: started.body.submissions[0], end };
  };
  return { base, dst, run };
}

it('resolves date macros against the start time and variables from the start body', async () => {
  api = await startApi();
  const { base, dst, run } = await setUp(api);
  const job = tableJob('daily', {
    toTable: 'orders_${dateformat(yyyyMMdd)}',
    fromInputs: { 'fromJobConfig.whereClause': 'id <= ${max_id}' },
  });
  expect((await api.call('POST', `${base}/job`, { jobs: [job] })).status).toBe(200);

  const { started, end } = await run('daily', { max_id: '12' });
  expect(end.status, end['error-summary']).toBe('SUCCEEDED');
  const day = new Date(started['creation-date']).toISOString().slice(0, 10).replaceAll('-', '');
  const db = new Database(dst, { readonly: true });
  const count = db.prepare(`SELECT count(*) AS n, max(id) AS top FROM "orders_${day}"`).get() as { n: number; top: number };
  db.close();
  expect(count).toEqual({ n: 12, top: 12 });
});

it('fails the run, naming the input, when a variable has no value; and refuses a malformed macro when the job is saved', async () => {
  api = await startApi();
  const { base, run } = await setUp(api);
  const job = tableJob('needs-var', { fromInputs: { 'fromJobConfig.whereClause': 'id <= ${max_id}' } });
  expect((await api.call('POST', `${base}/job`, { jobs: [job] })).status).toBe(200);
  const { end } = await run('needs-var');
  expect(end.status).toBe('FAILED');
  expect(end['error-summary']).toMatch(/fromJobConfig\.whereClause: \$\{max_id\} has no value/);

  const bad = tableJob('bad', { toTable: 'orders_${dateformat(yyyyMMdd, -1, WEEK)}' });
  const refused = await api.call('POST', `${base}/job`, { jobs: [bad] });
  expect(refused.status).toBe(400);
  expect(refused.body.externalMessage).toMatch(/jobs\[0\].*toJobConfig\.tableName.*unit WEEK/);
  expect((await api.call('GET', `${base}/job/bad`)).status).toBe(400);
});
