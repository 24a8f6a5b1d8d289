// What a caller gets for a bad token or a bad body: a CDM error body that says what is
// wrong, the right HTTP status, and nothing written.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLink, tableJob } from '../support/cdm-bodies';
import { startApi, type Api } from '../support/embedded';
import { makeOrders } from '../support/sqlite-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'ferry-auth-'));
let api: Api;
let cluster: string;
const start = () => `/v1.1/p1/clusters/${cluster}/cdm/job/j1/start`;
const status = () => `/v1.1/p1/clusters/${cluster}/cdm/job/j1/status`;

beforeAll(async () => {
  makeOrders(join(dir, 'src.db'), 10);
  api = await startApi();
  cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id;
  await api.call('POST', `/v1.1/p1/clusters/${cluster}/cdm/link`, {
    links: [sqliteLink('src', join(dir, 'src.db')), sqliteLink('dst', join(dir, 'dst.db'))],
  });
  expect((await api.call('POST', `/v1.1/p1/clusters/${cluster}/cdm/job`, { jobs: [tableJob('j1')] })).status).toBe(200);
});
afterAll(() => api?.close());

async function foreignToken() {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ projects: ['p1'], roles: ['CDM FullAccess'] })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('mallory')
    .setIssuer('ferry-local')
    .setAudience('ferry')
    .setExpirationTime('1h')
    .sign(privateKey);
}

describe('a start refused for its token writes nothing', () => {
  it.each([
    ['no token', async () => null, 401, 'APIGW.0301', /missing/],
    ['a token signed by another key', foreignToken, 401, 'APIGW.0301', /signature/],
    ['an expired token', () => api.token({ expiresIn: Math.floor(Date.now() / 1000) - 60 }), 401, 'APIGW.0301', /expired/],
    ['a token for another project', () => api.token({ projects: ['p2'] }), 403, 'Cdm.0032', /project p1/],
    ['a read-only token', () => api.token({ roles: ['CDM ReadOnlyAccess'] }), 403, 'Cdm.0032', /cdm:job:start/],
    ['an unsigned token (alg none)', async () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwicHJvamVjdHMiOlsicDEiXX0.', 401, 'APIGW.0301', /not valid/],
  ])('%s', async (_what, token, httpStatus, code, message) => {
    const r = await api.call('PUT', start(), undefined, await token());
    expect(r.status).toBe(httpStatus);
    expect(r.body.errCode).toBe(code);
    expect(r.body.externalMessage).toMatch(message);
    const s = await api.call('GET', status());
    expect(s.body.submissions[0].status).toBe('NEVER_EXECUTED');
  });

  it('lets the common-operations role start but not create', async () => {
    const ops = await api.token({ roles: ['CDM CommonOperations'] });
    const create = await api.call('POST', `/v1.1/p1/clusters/${cluster}/cdm/job`, { jobs: [tableJob('j-ops')] }, ops);
    expect(create.status).toBe(403);
    expect(create.body.externalMessage).toContain('cdm:job:create');
  });
});

describe('bad bodies get a 400 that names the field', () => {
  const jobs = () => `/v1.1/p1/clusters/${cluster}/cdm/job`;

  it.each([
    ['malformed JSON', '{"jobs": [', 'Cdm.0018', /not valid JSON/],
    ['no jobs array', {}, 'Cdm.0014', /jobs is mandatory/],
    ['a missing mandatory field', { jobs: [{ ...tableJob('x'), 'to-link-name': undefined }] }, 'Cdm.0014', /jobs\[0\]\.to-link-name is mandatory/],
    ['a wrong type', { jobs: [{ ...tableJob('x'), name: 42 }] }, 'Cdm.0014', /jobs\[0\]\.name/],
    ['an unknown input', { jobs: [tableJob('x', { fromInputs: { 'fromJobConfig.tabelName': 't' } })] }, 'Cdm.0089', /fromJobConfig\.tabelName/],
    ['a bad enum value', { jobs: [tableJob('x', { toInputs: { 'toJobConfig.tablePreparation': 'MAYBE' } })] }, 'Cdm.0014', /DO_NOTHING, CREATE_WHEN_NOT_EXIST, DROP_AND_CREATE/],
    ['a non-integer number', { jobs: [{ ...tableJob('x'), 'driver-config-values': { configs: [{ name: 'throttlingConfig', inputs: [{ name: 'throttlingConfig.numExtractors', value: 'many' }] }] } }] }, 'Cdm.0004', /numExtractors must be an integer/],
    ['an unknown link', { jobs: [tableJob('x', { from: 'ghost' })] }, 'Cdm.0101', /ghost/],
    ['an unknown connector', { jobs: [{ ...tableJob('x'), 'from-connector-name': 'warp-connector' }] }, 'Cdm.0102', /warp-connector/],
  ])('%s', async (_what, body, code, message) => {
    const r = await api.call('POST', jobs(), body);
    expect(r.status).toBe(400);
    expect(r.body.errCode).toBe(code);
    expect(r.body.externalMessage).toMatch(message);
    expect((await api.call('GET', `${jobs()}/x`)).body.errCode).toBe('Cdm.0100');
  });

  it('writes no job of a list whose second job is bad', async () => {
    const r = await api.call('POST', jobs(), { jobs: [tableJob('first-ok'), tableJob('second-bad', { to: 'ghost' })] });
    expect(r.status).toBe(400);
    expect((await api.call('GET', `${jobs()}/first-ok`)).body.errCode).toBe('Cdm.0100');
  });

  it('accepts values as numbers and booleans, `values` for `value`, and `"inputs": {}`', async () => {
    const job = tableJob('lenient');
    job['from-config-values'].configs.push({ name: 'fromJobConfig', inputs: [{ name: 'fromJobConfig.useSql', values: false } as never] });
    const body = {
      jobs: [
        {
          ...job,
          'driver-config-values': {
            configs: [
              { name: 'throttlingConfig', inputs: [{ name: 'throttlingConfig.numExtractors', value: 2 }] },
              { name: 'jarConfig', inputs: {} },
            ],
          },
        },
      ],
    };
    const r = await api.call('POST', jobs(), body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const shown = (await api.call('GET', `${jobs()}/lenient`)).body.jobs[0];
    expect(JSON.stringify(shown)).toContain('"name":"throttlingConfig.numExtractors","value":"2"');
  });

  it('answers a start of an unknown job with Cdm.0100', async () => {
    const r = await api.call('PUT', `/v1.1/p1/clusters/${cluster}/cdm/job/ghost/start`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ errCode: 'Cdm.0100', externalMessage: "Job[ghost] doesn't exist." });
  });

  it('refuses a start body whose variables are not a map', async () => {
    const r = await api.call('PUT', start(), { variables: ['a'] });
    expect(r.status).toBe(400);
    expect(r.body.externalMessage).toMatch(/variables/);
  });
});
