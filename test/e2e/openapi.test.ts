// GET /v1.1/openapi.json: a public OpenAPI 3.1 document of every route, generated from
// the schemas the handlers validate with, so what it says is what the API does.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { apiRoutes } from '../../lib/api/openapi';
import { allConnectors } from '../../lib/connectors/registry';
import { TABLE_PREPARATIONS } from '../../lib/connectors/jdbc/jdbc-inputs';
import type { InputDecl } from '../../lib/connectors/inputs';
import { PROJECT_ROOT } from '../../lib/local/embedded';
import { loadHandler, readFunctions } from '../../lib/local/serverless-config';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, type Api } from '../support/embedded';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

let api: Api;
let doc: Json;
// concurrency 0: started jobs stay BOOTING, so stop has a run to stop and nothing runs behind the tests.
beforeAll(async () => {
  api = await startApi({ concurrency: 0, reaperIntervalMs: 3_600_000 });
  const r = await api.call('GET', '/v1.1/openapi.json', undefined, null);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  doc = r.body;
});
afterAll(() => api?.close());

const httpRoutes = () =>
  readFunctions(PROJECT_ROOT).flatMap((fn) => fn.http.map((h) => ({ function: fn.name, handler: fn.handler, ...h })));

/** The schema a local `$ref` points at. */
function deref(schema: Json): Json {
  let s = schema;
  while (s && typeof s.$ref === 'string') {
    expect(s.$ref, 'only local component references').toMatch(/^#\//);
    s = s.$ref.slice(2).split('/').reduce((node: Json, key: string) => node?.[key], doc);
    expect(s, `${schema.$ref} does not resolve`).toBeDefined();
  }
  return s;
}

/** Every subschema reachable from `schema`, references followed (each component once). */
function walk(schema: Json, seen = new Set<Json>()): Json[] {
  const s = deref(schema);
  if (!s || typeof s !== 'object' || seen.has(s)) return [];
  seen.add(s);
  const children = Object.values(s).flatMap((v: Json) => (Array.isArray(v) ? v : [v])).filter((v) => v && typeof v === 'object');
  return [s, ...children.flatMap((c) => walk(c, seen))];
}

const operation = (method: string, path: string): Json => doc.paths[path]?.[method.toLowerCase()];
const bodySchema = (fn: string): Json => {
  const r = apiRoutes().find((x) => x.function === fn)!;
  return operation(r.method, r.path).requestBody.content['application/json'].schema;
};
/** The documented `{"name": <input>, "value": …}` variant of a declared input. */
const pascal = (name: string) => name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());
const inputVariant = (fn: string, name: string): Json =>
  walk(bodySchema(fn)).find((s) => s.properties?.name?.const === name && s.properties?.value);

describe('the document', () => {
  it('is served without a token, as OpenAPI 3.1 with info, paths and the X-Auth-Token scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(doc.info.version).toEqual(expect.any(String));
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    expect(doc.components.securitySchemes.XAuthToken).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Auth-Token' }));
    expect(doc.security).toEqual([{ XAuthToken: [] }]);
  });

  it('resolves every $ref, declares every path parameter, and gives each operation a 200 and a CDM error body', () => {
    walk(doc); // throws on a dangling reference
    const error = deref({ $ref: '#/components/schemas/CdmError' });
    expect(error.required).toEqual(expect.arrayContaining(['errCode', 'externalMessage']));
    for (const [path, ops] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        const declared = op.parameters.filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
        expect(declared, `${where}: path parameters`).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
        expect(op.parameters.every((p: Json) => p.in !== 'path' || p.required === true), `${where}: path parameters are required`).toBe(true);
        expect(op.responses['200'].content['application/json'].schema, `${where}: 200`).toBeDefined();
        const failure = op.responses['500'].content['application/json'].schema;
        expect([failure, ...(failure.anyOf ?? [])].map((x: Json) => x.$ref), `${where}: 500`).toContain('#/components/schemas/CdmError');
        if (op.security?.length === 0) continue;
        for (const status of ['400', '401', '403']) {
          expect(op.responses[status]?.content['application/json'].schema.$ref, `${where}: ${status}`).toBe('#/components/schemas/CdmError');
        }
      }
    }
  });

  it('documents every route serverless.yml has, with its method, and no other', () => {
    const routed = httpRoutes();
    for (const r of routed) {
      const missing = `${r.method} ${r.path} (${r.function}) is not documented: add it to the route table in lib/api/openapi.ts`;
      expect(operation(r.method, r.path)?.operationId, missing).toBe(r.function);
    }
    const documented = Object.entries<Json>(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routed.map((r) => `${r.method} ${r.path}`).sort());
    // The route table the Lambda bundle carries is serverless.yml's, function for function.
    expect(apiRoutes().map((r) => ({ function: r.function, method: r.method, path: r.path }))).toEqual(
      routed.map((r) => ({ function: r.function, method: r.method, path: r.path })),
    );
  });

  it('states the permission each handler enforces, and marks only itself public', async () => {
    for (const r of httpRoutes()) {
      const handler = await loadHandler<{ permission?: string }>(PROJECT_ROOT, r.handler);
      const op = operation(r.method, r.path);
      expect(op, `${r.method} ${r.path} (${r.function}) is not documented`).toBeDefined();
      if (handler.permission === undefined) {
        expect(r.function, 'only the API description is public').toBe('openapi');
        expect(op.security).toEqual([]);
        expect(op['x-permission']).toBeUndefined();
      } else {
        expect(op['x-permission'], `${r.method} ${r.path}`).toBe(handler.permission);
        expect(op.description).toContain(handler.permission);
        expect(op.security, `${r.method} ${r.path} must not be public`).toBeUndefined();
      }
    }
  });
});

describe('request bodies come from the connectors\' declared inputs', () => {
  const sides: [string, string, (c: ReturnType<typeof allConnectors>[number]) => readonly InputDecl[]][] = [
    ['jobsCreate', 'source', (c) => c.fromInputs],
    ['jobsCreate', 'destination', (c) => c.toInputs],
    ['jobsUpdate', 'destination', (c) => c.toInputs],
    ['linksCreate', 'link', (c) => c.linkInputs],
  ];

  it('names toJobConfig.tablePreparation with its values and default in the job create body', () => {
    const v = inputVariant('jobsCreate', 'toJobConfig.tablePreparation');
    expect(v.properties.value.enum).toEqual([...TABLE_PREPARATIONS]);
    expect(v.properties.value.default).toBe('DO_NOTHING');
  });

  it.each(sides)('%s documents every declared %s input with its type, enum, default and secrecy', (fn, side, inputsOf) => {
    const component = { source: 'From', destination: 'To', link: 'Link' }[side];
    for (const c of allConnectors()) {
      // Each connector's inputs are their own component: two connectors may declare one name differently.
      const own = deref({ $ref: `#/components/schemas/${pascal(c.name)}${component}ConfigValues` });
      expect(own, `${fn}: ${c.name}`).toBeDefined();
      expect(walk(bodySchema(fn)).includes(own), `${fn} offers ${c.name}'s ${side} inputs`).toBe(true);
      for (const d of inputsOf(c)) {
        const value = deref(walk(own).find((s) => s.properties?.name?.const === d.name && s.properties?.value)?.properties.value);
        expect(value, `${fn}: ${d.name}`).toBeDefined();
        if (d.type === 'ENUM') expect(value.enum, d.name).toEqual(d.values);
        if (d.type === 'STRING') expect(value.type, d.name).toBe('string');
        if (d.type === 'INTEGER') expect(value.anyOf.map((a: Json) => a.type), d.name).toEqual(['integer', 'string']);
        if (d.type === 'BOOLEAN') expect(value.anyOf.map((a: Json) => a.type), d.name).toEqual(['boolean', 'string']);
        expect(value.default, d.name).toBe(d.default);
        expect(value.writeOnly === true, `${d.name} secret`).toBe(d.secret === true);
      }
    }
  });

  it('requires the mandatory inputs (toJobConfig.tableName) and offers only known connectors', () => {
    const contains = walk(bodySchema('jobsCreate')).flatMap((s) => (s.allOf ?? []).map((a: Json) => a.contains?.properties?.inputs?.contains?.properties?.name?.const));
    expect(contains).toContain('toJobConfig.tableName');
    const job = deref(deref(bodySchema('jobsCreate')).properties.jobs.items);
    expect(job.properties['from-connector-name'].enum).toEqual(allConnectors().filter((c) => c.openSource).map((c) => c.name));
  });
});

describe('the handlers reject what the document rules out', () => {
  let base: string;
  beforeAll(async () => {
    const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'oa' } })).body.id;
    base = `/v1.1/p1/clusters/${cluster}/cdm`;
    const links = await api.call('POST', `${base}/link`, { links: [sqliteLink('src', join(tmpdir(), 'src.db')), sqliteLink('dst', join(tmpdir(), 'dst.db'))] });
    expect(links.status).toBe(200);
  });

  it('accepts a body that follows the document', async () => {
    expect((await api.call('POST', `${base}/job`, { jobs: [tableJob('fits')] })).status).toBe(200);
  });

  it('refuses a tablePreparation outside the documented enum, naming the allowed values', async () => {
    const allowed: string[] = inputVariant('jobsCreate', 'toJobConfig.tablePreparation').properties.value.enum;
    const r = await api.call('POST', `${base}/job`, { jobs: [tableJob('bad-prep', { toInputs: { 'toJobConfig.tablePreparation': 'TRUNCATE_FIRST' } })] });
    expect(allowed).not.toContain('TRUNCATE_FIRST');
    expect(r.status).toBe(400);
    expect(r.body.errCode).toBe('Cdm.0014');
    for (const v of allowed) expect(r.body.externalMessage).toContain(v);
    expect((await api.call('GET', `${base}/job/bad-prep`)).body.errCode).toBe('Cdm.0100');
  });

  it('answers a link whose connection test fails with the documented 500 body, and creates nothing', async () => {
    const route = apiRoutes().find((r) => r.function === 'linksCreate')!;
    const r = await api.call('POST', `${base}/link`, { links: [sqliteLink('unreachable', join(tmpdir(), 'no-such-dir-ferry', 'x.db'))] });
    expect(r.status).toBe(500);
    expect(operation(route.method, route.path).responses['500']).toBeDefined();
    const parsed = z.safeParse(route.failure!, r.body);
    expect(parsed.success, `${JSON.stringify(r.body)}: ${parsed.error?.message}`).toBe(true);
    expect((await api.call('GET', `${base}/link/unreachable`)).body.errCode).toBe('Cdm.0101');
  });

  it('refuses an integer input above its documented maximum', async () => {
    const max: number = deref(inputVariant('jobsCreate', 'throttlingConfig.numExtractors').properties.value).anyOf[0].maximum;
    const driver = { configs: [{ name: 'throttlingConfig', inputs: [{ name: 'throttlingConfig.numExtractors', value: String(max + 1) }] }] };
    const r = await api.call('POST', `${base}/job`, { jobs: [{ ...tableJob('too-many'), 'driver-config-values': driver }] });
    expect(r.status).toBe(400);
    expect(r.body.externalMessage).toContain('throttlingConfig.numExtractors');
  });

  it('refuses a job without its mandatory toJobConfig.tableName', async () => {
    const job = tableJob('no-table');
    job['to-config-values'].configs[0]!.inputs = job['to-config-values'].configs[0]!.inputs.filter((i) => i.name !== 'toJobConfig.tableName');
    const r = await api.call('POST', `${base}/job`, { jobs: [job] });
    expect(r.status).toBe(400);
    expect(r.body.externalMessage).toContain('toJobConfig.tableName is mandatory');
  });

  it('refuses an empty jobs list (minItems) and a cluster name outside the documented pattern', async () => {
    expect(deref(bodySchema('jobsCreate')).properties.jobs.minItems).toBe(1);
    expect((await api.call('POST', `${base}/job`, { jobs: [] })).status).toBe(400);

    const pattern = new RegExp(deref(bodySchema('clustersCreate')).properties.cluster.properties.name.pattern, 'u');
    expect(pattern.test('no spaces allowed')).toBe(false);
    const before = (await api.call('GET', '/v1.1/p1/clusters')).body.clusters.length;
    const r = await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'no spaces allowed' } });
    expect(r.status).toBe(400);
    expect(r.body.externalMessage).toContain('cluster.name');
    expect((await api.call('GET', '/v1.1/p1/clusters')).body.clusters.length).toBe(before);
  });
});

describe('responses', () => {
  it('every route answers a successful call with the documented body', async () => {
    const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'shapes' } })).body.id;
    const c = `/v1.1/p1/clusters/${cluster}`;
    // A second cluster with links, for the random-cluster start (its run outlives this test's deletes).
    const elsewhere = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'elsewhere' } })).body.id;
    await api.call('POST', `/v1.1/p1/clusters/${elsewhere}/cdm/link`, {
      links: [sqliteLink('src', join(tmpdir(), 'src.db')), sqliteLink('dst', join(tmpdir(), 'dst.db'))],
    });
    // One successful call per function, in an order that leaves each the state it needs.
    const calls: [fn: string, method: string, path: string, body?: unknown][] = [
      ['clustersCreate', 'POST', '/v1.1/p1/clusters', { cluster: { name: 'another' } }],
      ['clustersList', 'GET', '/v1.1/p1/clusters'],
      ['clustersShow', 'GET', c],
      ['linksCreate', 'POST', `${c}/cdm/link`, { links: [sqliteLink('src', join(tmpdir(), 'src.db'), { 'linkConfig.password': 'pw' }), sqliteLink('dst', join(tmpdir(), 'dst.db')), sqliteLink('spare', join(tmpdir(), 'x.db'))] }],
      ['linksShow', 'GET', `${c}/cdm/link/src`],
      ['linksUpdate', 'PUT', `${c}/cdm/link/spare`, { links: [sqliteLink('spare', join(tmpdir(), 'y.db'))] }],
      ['jobsCreate', 'POST', `${c}/cdm/job`, { jobs: [tableJob('j1')] }],
      ['jobsShow', 'GET', `${c}/cdm/job/j1`],
      ['jobsShow', 'GET', `${c}/cdm/job/all`],
      ['jobsUpdate', 'PUT', `${c}/cdm/job/j1`, { jobs: [tableJob('j1', { toTable: 'other' })] }],
      ['jobsCreateAndStart', 'POST', '/v1.1/p1/clusters/job', { jobs: [tableJob('j2')], clusters: [elsewhere] }],
      ['jobStatus', 'GET', `${c}/cdm/job/j1/status`],
      ['jobStart', 'PUT', `${c}/cdm/job/j1/start`, { variables: { day: '2024-01-01' } }],
      ['jobStatus', 'GET', `${c}/cdm/job/j1/status`],
      ['jobStop', 'PUT', `${c}/cdm/job/j1/stop`],
      ['submissions', 'GET', `${c}/cdm/submissions?jname=j1`],
      ['jobStatus', 'GET', `${c}/cdm/job/j1/status`],
      ['jobsDelete', 'DELETE', `${c}/cdm/job/j1`],
      ['linksDelete', 'DELETE', `${c}/cdm/link/spare`],
      ['clustersDelete', 'DELETE', c],
      ['openapi', 'GET', '/v1.1/openapi.json'],
    ];
    for (const [fn, method, path, body] of calls) {
      const r = await api.call(method, path, body);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(200);
      const schema = apiRoutes().find((x) => x.function === fn)!.response;
      const parsed = z.safeParse(schema, r.body);
      expect(parsed.success, `${method} ${path} answered ${JSON.stringify(r.body)}: ${parsed.error?.message}`).toBe(true);
    }
    expect(new Set(calls.map(([fn]) => fn))).toEqual(new Set(httpRoutes().map((r) => r.function)));
  });
});
