// toJobConfig.columnList on CSV and JSON output: which of the source's columns a file job
// writes, by position, through the CDM API on the embedded runtime (SQLite → directory).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteLink } from '../../support/cdm-bodies';
import { startApi, type Api } from '../../support/embedded';
import { makeOrders } from '../../support/sqlite-fixtures';
import { cluster, link } from './file-harness';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function setUp() {
  api = await startApi();
  const c = await cluster(api);
  const root = mkdtempSync(join(tmpdir(), 'ferry-columns-'));
  makeOrders(join(root, 'db.sqlite'), 3);
  await c.links(link('disk', 'nas-connector', { 'linkConfig.rootDirectory': root }), sqliteLink('db', join(root, 'db.sqlite')));
  return { c, root };
}

const exportJob = (to: Record<string, string>) => ({
  from: ['db', 'generic-jdbc-connector'] as [string, string],
  to: ['disk', 'nas-connector'] as [string, string],
  fromInputs: { 'fromJobConfig.schemaName': 'main', 'fromJobConfig.tableName': 'orders', 'fromJobConfig.columnList': 'id&sku&note' },
  toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.filePrefix': 'o', ...to },
});

describe('toJobConfig.columnList', () => {
  it('CSV output holds the columns it names, in its order, header included', async () => {
    const { c, root } = await setUp();
    await c.job('csv', exportJob({ 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.firstRowAsHeader': 'true', 'toJobConfig.columnList': '3&1' }));
    const s = await c.run('csv');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(readFileSync(join(root, 'out', 'o_00000.csv'), 'utf8')).toBe('note,id\r\nnote 1 😀,1\r\nnote 2 😀,2\r\nnote 3 😀,3\r\n');
  });

  it('JSON output holds the columns it names', async () => {
    const { c, root } = await setUp();
    await c.job('json', exportJob({ 'toJobConfig.outputFormat': 'JSON_FILE', 'toJobConfig.columnList': '2' }));
    expect((await c.run('json')).status).toBe('SUCCEEDED');
    expect(readFileSync(join(root, 'out', 'o_00000.json'), 'utf8')).toBe('{"sku":"SKU-1"}\n{"sku":"SKU-2"}\n{"sku":"SKU-3"}\n');
  });

  it('a column beyond the source\'s fails the run naming the input', async () => {
    const { c } = await setUp();
    await c.job('wide', exportJob({ 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.columnList': '1&4' }));
    const s = await c.run('wide');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('toJobConfig.columnList names column 4, but the source has 3.');
  });

  it.each([
    [{ 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.columnList': 'id&name' }, 'toJobConfig.columnList must be column numbers separated by &, e.g. 1&3; got "id&name".'],
    [{ 'toJobConfig.outputFormat': 'BINARY_FILE', 'toJobConfig.columnList': '1' }, 'toJobConfig.columnList picks columns of CSV_FILE or JSON_FILE output'],
  ])('%j is refused when the job is created', async (to, message) => {
    const { c } = await setUp();
    const err = await c.refusedJob('bad', exportJob(to));
    expect(err).toEqual({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining(message) });
  });
});

describe('CSV separators', () => {
  it.each([
    [{ 'toJobConfig.fieldSeparator': '|', 'toJobConfig.lineSeparator': '|' }, 'toJobConfig.lineSeparator must not be toJobConfig.fieldSeparator or its beginning'],
    [{ 'toJobConfig.fieldSeparator': '||', 'toJobConfig.lineSeparator': '|' }, 'toJobConfig.lineSeparator must not be toJobConfig.fieldSeparator or its beginning'],
    [{ 'toJobConfig.fieldSeparator': '"' }, 'toJobConfig.fieldSeparator and toJobConfig.lineSeparator must not hold a double quote'],
  ])('CSV output with %j is refused when the job is created: no file could be split back', async (to, message) => {
    const { c } = await setUp();
    const err = await c.refusedJob('bad', exportJob({ 'toJobConfig.outputFormat': 'CSV_FILE', ...to }));
    expect(err).toEqual({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining(message) });
  });

  it('a CSV source whose line separator is its field separator is refused; a separator that only ends with a line separator is not', async () => {
    const { c } = await setUp();
    const read = (from: Record<string, string>) => ({
      from: ['disk', 'nas-connector'] as [string, string],
      to: ['disk', 'nas-connector'] as [string, string],
      fromInputs: { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'CSV_FILE', ...from },
      toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'CSV_FILE' },
    });
    const err = await c.refusedJob('bad', read({ 'fromJobConfig.fieldSeparator': '\\t', 'fromJobConfig.lineSeparator': '\\t' }));
    expect(err.externalMessage).toContain('fromJobConfig.lineSeparator must not be fromJobConfig.fieldSeparator or its beginning');
    await c.job('ok', read({ 'fromJobConfig.fieldSeparator': '|', 'fromJobConfig.lineSeparator': '|\\n' }));
  });
});
