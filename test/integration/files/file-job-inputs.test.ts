// File job inputs a run could only fail on are refused when the job is saved (created or
// modified), with CDM's error body naming the input; the valid shape of each is still taken.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLink } from '../../support/cdm-bodies';
import { startApi, type Api } from '../../support/embedded';
import { makeOrders } from '../../support/sqlite-fixtures';
import { cluster, job, link, writeTree, type JobSides } from './file-harness';

let api: Api;
let c: Awaited<ReturnType<typeof cluster>>;
let root: string;
beforeAll(async () => {
  api = await startApi();
  c = await cluster(api);
  root = mkdtempSync(join(tmpdir(), 'ferry-job-inputs-'));
  makeOrders(join(root, 'db.sqlite'), 3);
  writeTree(join(root, 'in'), { 'a.csv': '1,one\n2,two\n' });
  await c.links(link('disk', 'nas-connector', { 'linkConfig.rootDirectory': root }), sqliteLink('db', join(root, 'db.sqlite')));
});
afterAll(() => api?.close());

type Inputs = Record<string, string>;
const csvIn: Inputs = { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'CSV_FILE' };
const binaryIn: Inputs = { ...csvIn, 'fromJobConfig.inputFormat': 'BINARY_FILE' };
const csvOut: Inputs = { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'CSV_FILE' };
const binaryOut: Inputs = { ...csvOut, 'toJobConfig.outputFormat': 'BINARY_FILE' };
const files = (from: Inputs, to: Inputs): JobSides => ({ from: ['disk', 'nas-connector'], to: ['disk', 'nas-connector'], fromInputs: from, toInputs: to });
const fromTable = (to: Inputs): JobSides => ({
  from: ['db', 'generic-jdbc-connector'],
  to: ['disk', 'nas-connector'],
  fromInputs: { 'fromJobConfig.schemaName': 'main', 'fromJobConfig.tableName': 'orders' },
  toInputs: to,
});
const intoTable = (from: Inputs): JobSides => ({
  from: ['disk', 'nas-connector'],
  to: ['db', 'generic-jdbc-connector'],
  fromInputs: from,
  toInputs: { 'toJobConfig.tableName': 'copied', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' },
});

let n = 0;
const name = () => `j${++n}`;

describe('outputFormat BINARY_FILE takes a BINARY_FILE file source, and only it', () => {
  const needsBinarySource = 'toJobConfig.outputFormat BINARY_FILE needs a file source with fromJobConfig.inputFormat BINARY_FILE.';
  const needsBinaryOutput = 'A BINARY_FILE source is copied byte for byte: set toJobConfig.outputFormat to BINARY_FILE.';
  it.each([
    ['a CSV_FILE source, BINARY_FILE output', files(csvIn, binaryOut), needsBinarySource],
    ['a JSON_FILE source, BINARY_FILE output', files({ ...csvIn, 'fromJobConfig.inputFormat': 'JSON_FILE' }, binaryOut), needsBinarySource],
    ['a table source, BINARY_FILE output', fromTable(binaryOut), needsBinarySource],
    ['a BINARY_FILE source, CSV_FILE output', files(binaryIn, csvOut), needsBinaryOutput],
    ['a BINARY_FILE source, JSON_FILE output', files(binaryIn, { ...csvOut, 'toJobConfig.outputFormat': 'JSON_FILE' }), needsBinaryOutput],
    [
      'a BINARY_FILE source into a table',
      intoTable(binaryIn),
      'fromJobConfig.inputFormat BINARY_FILE copies files byte for byte: it needs a file destination with toJobConfig.outputFormat BINARY_FILE.',
    ],
  ])('%s is refused when the job is created', async (_what, sides, message) => {
    expect(await c.refusedJob(name(), sides)).toEqual({ errCode: 'Cdm.0014', externalMessage: `jobs[0]: ${message}` });
  });

  it.each([
    ['BINARY_FILE to BINARY_FILE', files(binaryIn, binaryOut)],
    ['CSV_FILE to CSV_FILE', files(csvIn, csvOut)],
    ['a table to JSON_FILE', fromTable({ ...csvOut, 'toJobConfig.outputFormat': 'JSON_FILE' })],
    ['CSV_FILE into a table', intoTable(csvIn)],
  ])('%s is accepted', async (_what, sides) => {
    await c.job(name(), sides);
  });
});

describe('paths stay inside the link (an empty input path would be all of it); filePrefix is a name', () => {
  const outsideRoot = (input: string, path: string) => `${input} must stay inside the link's root: no ".." segment; got "${path}".`;
  const notAName = (prefix: string) => `toJobConfig.filePrefix is the start of a file name: no "/", "\\" or ".."; got "${prefix}".`;
  it.each<[string, JobSides, string]>([
    ['/../../etc', files({ ...csvIn, 'fromJobConfig.inputDirectory': '/../../etc' }, csvOut), outsideRoot('fromJobConfig.inputDirectory', '/../../etc')],
    ['its second path', files({ ...csvIn, 'fromJobConfig.inputDirectory': '/in|in/../..' }, csvOut), outsideRoot('fromJobConfig.inputDirectory', 'in/../..')],
    ['a backslash path', files({ ...csvIn, 'fromJobConfig.inputDirectory': 'in\\..\\..' }, csvOut), outsideRoot('fromJobConfig.inputDirectory', 'in\\..\\..')],
    ['/../../etc', files(csvIn, { ...csvOut, 'toJobConfig.outputDirectory': '/../../etc' }), outsideRoot('toJobConfig.outputDirectory', '/../../etc')],
    ['/out/..', files(csvIn, { ...csvOut, 'toJobConfig.outputDirectory': '/out/..' }), outsideRoot('toJobConfig.outputDirectory', '/out/..')],
    [
      '../md5',
      files(binaryIn, { ...binaryOut, 'toJobConfig.recordMD5Result': 'true', 'toJobConfig.recordMD5Directory': '../md5' }),
      outsideRoot('toJobConfig.recordMD5Directory', '../md5'),
    ],
    ...['/in|', '|/in', '/in||/in2', '/in| '].map((p): [string, JobSides, string] => [
      `inputDirectory ${p}`,
      files({ ...csvIn, 'fromJobConfig.inputDirectory': p }, csvOut),
      `fromJobConfig.inputDirectory has an empty path (a separator at its start or end, or two in a row); got "${p}". Name the root as /.`,
    ]),
    ...['../x', 'a/b', 'a\\b', '.', '..', 'a..b'].map((p): [string, JobSides, string] => [p, fromTable({ ...csvOut, 'toJobConfig.filePrefix': p }), notAName(p)]),
  ])('%s is refused when the job is created: %j', async (_what, sides, message) => {
    expect(await c.refusedJob(name(), sides)).toEqual({ errCode: 'Cdm.0014', externalMessage: `jobs[0]: ${message}` });
  });

  it.each([
    ['a..b and dotted names', files({ ...csvIn, 'fromJobConfig.inputDirectory': '/in/a..b|./in' }, { ...csvOut, 'toJobConfig.outputDirectory': '/out/..x', 'toJobConfig.filePrefix': 'rows.v1' })],
    ['macros', files(
      { ...csvIn, 'fromJobConfig.inputDirectory': '/in/${dateformat(yyyy/MM/dd, -1, DAY)}|/in/${day}' },
      { ...csvOut, 'toJobConfig.outputDirectory': '/out/${dateformat(yyyy-MM-dd)}', 'toJobConfig.filePrefix': 'rows_${dateformat(yyyyMMdd)}_${timestamp()}' },
    )],
  ])('%s are accepted', async (_what, sides) => {
    await c.job(name(), sides);
  });

  it('a date macro in outputDirectory and filePrefix is resolved by the run', async () => {
    await c.job('dated', fromTable({ ...csvOut, 'toJobConfig.outputDirectory': '/dated/${dateformat(yyyy/MM)}', 'toJobConfig.filePrefix': 'o_${dateformat(yyyy)}' }));
    const s = await c.run('dated');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const now = new Date();
    const month = String(now.getUTCMonth() + 1).padStart(2, '0');
    expect(existsSync(join(root, 'dated', String(now.getUTCFullYear()), month, `o_${now.getUTCFullYear()}_00000.csv`))).toBe(true);
  });

  it('a modified job is checked as a new one is', async () => {
    await c.job('modified', fromTable(csvOut));
    const r = await api.call('PUT', `${c.base}/job/modified`, { jobs: [job('modified', fromTable({ ...csvOut, 'toJobConfig.filePrefix': '../x' }))] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining(notAName('../x')) });
  });
});

describe('columnList numbers start at 1', () => {
  it.each([
    ['fromJobConfig.columnList 0', files({ ...csvIn, 'fromJobConfig.columnList': '0' }, csvOut), 'fromJobConfig.columnList numbers start at 1; got "0".'],
    ['fromJobConfig.columnList 2&00', files({ ...csvIn, 'fromJobConfig.columnList': '2&00' }, csvOut), 'fromJobConfig.columnList numbers start at 1; got "2&00".'],
    ['toJobConfig.columnList 0&1', fromTable({ ...csvOut, 'toJobConfig.columnList': '0&1' }), 'toJobConfig.columnList numbers start at 1; got "0&1".'],
  ])('%s is refused when the job is created', async (_what, sides, message) => {
    expect(await c.refusedJob(name(), sides)).toEqual({ errCode: 'Cdm.0014', externalMessage: `jobs[0]: ${message}` });
  });

  it('1 and up are accepted on both sides', async () => {
    await c.job(name(), files({ ...csvIn, 'fromJobConfig.columnList': '2&1' }, { ...csvOut, 'toJobConfig.columnList': '1&2' }));
    await c.job(name(), fromTable({ ...csvOut, 'toJobConfig.columnList': '3&1' }));
  });
});
