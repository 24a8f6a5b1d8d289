// Every HTTP route in serverless.yml, called with each kind of bad token and with each of
// CDM's three ready roles. The routes are read from serverless.yml and each one's
// permission from its handler, so a new route is covered without touching this file.
// The API description (GET /v1.1/openapi.json) is the one public route.
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../lib/api/openapi';
import { PERMISSIONS } from '../../lib/auth/permissions';
import { PROJECT_ROOT } from '../../lib/local/embedded';
import { loadHandler, readFunctions } from '../../lib/local/serverless-config';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, type Api } from '../support/embedded';

const PUBLIC = new Set(['openapi']);

interface Route {
  function: string;
  method: string;
  path: string;
  /** What the handler enforces; undefined for a public route. */
  permission?: string;
}

const routes: Route[] = await Promise.all(
  readFunctions(PROJECT_ROOT).flatMap((fn) =>
    fn.http.map(async (h) => ({
      function: fn.name,
      ...h,
      permission: (await loadHandler<{ permission?: string }>(PROJECT_ROOT, fn.handler)).permission,
    })),
  ),
);
const guarded = routes.filter((r) => !PUBLIC.has(r.function));
const label = (r: Route) => `${r.method} ${r.path}`;
type Refusal = [what: string, token: () => Promise<string | null>, status: number, code: string, message: RegExp];

let api: Api;
let dynamo: DynamoDBClient;
// concurrency 0: a started job stays BOOTING (stop has a run to stop) and no executor or
// reaper writes behind the tests, so the table changes only when a call changes it.
beforeAll(async () => {
  api = await startApi({ concurrency: 0, reaperIntervalMs: 3_600_000 });
  dynamo = new DynamoDBClient({ endpoint: api.ferry.dynamoEndpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  dynamo?.destroy();
  await api?.close();
});

/** Every item in the table, in key order: equal before and after means nothing was written. */
async function table(): Promise<string[]> {
  const items: string[] = [];
  let start: Record<string, never> | undefined;
  do {
    const r = await dynamo.send(new ScanCommand({ TableName: 'ferry', ExclusiveStartKey: start }));
    items.push(...(r.Items ?? []).map(canonical));
    start = r.LastEvaluatedKey as typeof start;
  } while (start);
  return items.sort();
}

/** JSON with keys sorted at every level, so equal items give equal strings. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/**
 * A fresh cluster with links src, dst, spare and job j1 (started when `started`), and the
 * call that route makes on it: one that succeeds with a full-access token.
 */
async function world(r: Route) {
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'auth' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const links = [sqliteLink('src', '/tmp/src.db'), sqliteLink('dst', '/tmp/dst.db'), sqliteLink('spare', '/tmp/spare.db')];
  expect((await api.call('POST', `${base}/link`, { links })).status).toBe(200);
  expect((await api.call('POST', `${base}/job`, { jobs: [tableJob('j1')] })).status).toBe(200);
  if (r.path.endsWith('/stop')) expect((await api.call('PUT', `${base}/job/j1/start`)).status).toBe(200);

  const values: Record<string, string> = { project_id: 'p1', cluster_id: cluster, job_name: 'j1', link_name: 'spare' };
  const path = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    expect(values[name], `${label(r)}: give path parameter ${name} a value here`).toBeDefined();
    return encodeURIComponent(values[name]!);
  });
  // Bodies a real client would send; the refusals need none (authorization comes first).
  const bodies: Record<string, unknown> = {
    clustersCreate: { cluster: { name: 'another' } },
    linksCreate: { links: [sqliteLink('new-link', '/tmp/new.db')] },
    linksUpdate: { links: [sqliteLink('spare', '/tmp/moved.db')] },
    jobsCreate: { jobs: [tableJob('new-job')] },
    jobsUpdate: { jobs: [tableJob('j1', { toTable: 'elsewhere' })] },
    jobsCreateAndStart: { clusters: [cluster], jobs: [tableJob('new-job')] },
  };
  const query = r.function === 'submissions' ? '?jname=j1' : '';
  // A route that takes a body this file lacks (or that the API description does not know
  // yet) can only be checked to pass authorization; test/e2e/openapi.test.ts flags the latter.
  const documented = apiRoutes().find((d) => d.function === r.function);
  const complete = r.function in bodies || (documented !== undefined && documented.body?.required !== true);
  return { path: `${path}${query}`, body: bodies[r.function], complete };
}

describe.each(guarded.map((r) => [label(r), r] as const))('%s', (_label, r) => {
  it('is guarded by a permission its handler declares', () => {
    expect(PERMISSIONS, `${label(r)}: its handler must be made with httpHandler(permission, …)`).toContain(r.permission);
  });

  it.each<Refusal>([
    ['no token', async () => null, 401, 'APIGW.0301', /X-Auth-Token/],
    ['a token for another project', () => api.token({ projects: ['p2'] }), 403, 'Cdm.0032', /project p1/],
    // The handler's permission, and any other the API description says the route needs.
    ...[r.permission, ...(apiRoutes().find((d) => d.function === r.function)?.alsoNeeds ?? [])].map(
      (missing) =>
        [
          `a token with every permission but ${missing}`,
          () => api.token({ roles: [], permissions: PERMISSIONS.filter((p) => p !== missing) }),
          403,
          'Cdm.0032',
          new RegExp(String(missing).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
        ] satisfies Refusal,
    ),
  ])('refuses %s with a CDM error body and writes nothing', async (_what, token, status, code, message) => {
    const call = await world(r);
    const before = await table();
    const res = await api.call(r.method, call.path, call.body, await token());
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ errCode: code, externalMessage: expect.stringMatching(message) });
    expect(await table()).toEqual(before);
  });
});

describe('the three ready roles', () => {
  // What each role is for, stated by the kind of call rather than read back from ROLES.
  const isRead = (r: Route) => r.method === 'GET';
  const isRunControl = (r: Route) => /\/(start|stop)$/.test(r.path);
  const cases = guarded.flatMap((r) => [
    ['CDM ReadOnlyAccess', isRead(r), label(r), r] as const,
    ['CDM CommonOperations', isRead(r) || isRunControl(r), label(r), r] as const,
    ['CDM FullAccess', true, label(r), r] as const,
  ]);

  it.each(cases)('%s (allowed: %s) %s', async (role, allowed, _label, route) => {
    const call = await world(route);
    const before = await table();
    const res = await api.call(route.method, call.path, call.body, await api.token({ roles: [role] }));
    if (allowed && !call.complete) {
      expect([401, 403], `${label(route)}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
    } else if (allowed) {
      expect(res.status, `${label(route)}: ${JSON.stringify(res.body)}`).toBe(200);
      // Reads write nothing; every other call does (which also shows the refusals' check can see a write).
      if (isRead(route)) expect(await table()).toEqual(before);
      else expect(await table()).not.toEqual(before);
    } else {
      expect(res.status).toBe(403);
      expect(res.body.errCode).toBe('Cdm.0032');
      expect(res.body.externalMessage).toContain(route.permission);
      expect(await table()).toEqual(before);
    }
  });

  it('read-only can read a job but not create or start one; common operations can start and stop but not create or delete', async () => {
    const jobs = guarded.find((r) => r.function === 'jobsCreate')!;
    const { path } = await world(jobs);
    const readOnly = await api.token({ roles: ['CDM ReadOnlyAccess'] });
    const ops = await api.token({ roles: ['CDM CommonOperations'] });

    expect((await api.call('GET', `${path}/j1`, undefined, readOnly)).body.jobs[0].name).toBe('j1');
    expect((await api.call('POST', path, { jobs: [tableJob('ro-job')] }, readOnly)).status).toBe(403);
    expect((await api.call('PUT', `${path}/j1/start`, undefined, readOnly)).status).toBe(403);
    expect((await api.call('GET', `${path}/ro-job`)).body.errCode).toBe('Cdm.0100');
    expect((await api.call('GET', `${path}/j1/status`)).body.submissions[0].status).toBe('NEVER_EXECUTED');

    expect((await api.call('POST', path, { jobs: [tableJob('ops-job')] }, ops)).status).toBe(403);
    expect((await api.call('DELETE', `${path}/j1`, undefined, ops)).status).toBe(403);
    expect((await api.call('PUT', `${path}/j1/start`, undefined, ops)).body.submissions[0].status).toBe('BOOTING');
    expect((await api.call('PUT', `${path}/j1/stop`, undefined, ops)).status).toBe(200);
    expect((await api.call('GET', `${path}/j1/status`, undefined, ops)).body.submissions[0].status).toBe('FAILED');
    expect((await api.call('GET', `${path}/j1`)).body.jobs[0].name).toBe('j1');
  });
});

describe('the public API description', () => {
  it('is the only route without a permission, and answers without a token', async () => {
    expect(routes.filter((r) => r.permission === undefined).map((r) => r.function)).toEqual([...PUBLIC]);
    for (const r of routes.filter((x) => PUBLIC.has(x.function))) {
      const res = await api.call(r.method, r.path, undefined, null);
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\.1\./);
    }
  });
});
