// A table to CSV files and back, as a user moves one: every value returns as it was, from
// MariaDB (lines the server formats) and PostgreSQL (rows formatted by the sink) alike, or
// the run fails and says why; never a file with a value changed. Through the CDM API on the
// embedded runtime, against MariaDB, PostgreSQL and a nas-connector directory.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { createTestDatabase, mysqlLinkBody, type TestDatabase } from '../../support/mysql';
import { createTestDatabase as createPgDatabase, postgresLink, type TestDatabase as PgDatabase } from '../../support/postgres';
import { cluster, link } from './file-harness';

let api: Api;
let my: TestDatabase;
let pg: PgDatabase;
let root: string;
let c: Awaited<ReturnType<typeof cluster>>;
let jobs = 0;

beforeAll(async () => {
  [my, pg] = await Promise.all([createTestDatabase('csv_trips'), createPgDatabase('csv_trips')]);
  api = await startApi();
  c = await cluster(api);
  root = mkdtempSync(join(tmpdir(), 'csv_trips_'));
  // Three rows a page: a table's lines span many pages and batches.
  await c.links(
    mysqlLinkBody('my', my.name, { 'linkConfig.fetchSize': '3' }),
    postgresLink('pg', pg, { 'linkConfig.fetchSize': '3' }),
    link('disk', 'nas-connector', { 'linkConfig.rootDirectory': root }),
  );
});
afterAll(async () => {
  await api?.close();
  await my?.drop();
  await pg?.drop();
});

const schemaOf = (db: 'my' | 'pg') => (db === 'my' ? my.name : 'public');

/** Exports a table to a directory of its own; the run's submission, the directory and its files' bytes in name order. */
async function exportTable(db: 'my' | 'pg', table: string, to: Record<string, string>) {
  const name = `out${++jobs}`;
  await c.job(name, {
    from: [db, 'generic-jdbc-connector'],
    to: ['disk', 'nas-connector'],
    fromInputs: { 'fromJobConfig.schemaName': schemaOf(db), 'fromJobConfig.tableName': table },
    toInputs: { 'toJobConfig.outputDirectory': `/${name}`, 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.filePrefix': 'rows', ...to },
  });
  const status = await c.run(name);
  const files = status.status === 'SUCCEEDED' ? readdirSync(join(root, name)).sort() : [];
  return { status, dir: `/${name}`, bytes: Buffer.concat(files.map((f) => readFileSync(join(root, name, f)))) };
}

/** Imports a directory's CSV files into an existing table (id, s); the run's submission. */
async function importFiles(dir: string, db: 'my' | 'pg', table: string, from: Record<string, string>) {
  const name = `in${++jobs}`;
  await c.job(name, {
    from: ['disk', 'nas-connector'],
    to: [db, 'generic-jdbc-connector'],
    fromInputs: { 'fromJobConfig.inputDirectory': dir, 'fromJobConfig.inputFormat': 'CSV_FILE', ...from },
    toInputs: { 'toJobConfig.schemaName': schemaOf(db), 'toJobConfig.tableName': table, 'toJobConfig.columnList': 'id&s' },
  });
  return c.run(name);
}

/** A table (id, s) with these values, in both databases. */
async function createTables(table: string, values: readonly (string | null)[]) {
  await my.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, s VARCHAR(40))`);
  await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, s text)`);
  if (values.length === 0) return;
  const rows = values.map((_v, i) => `(${i + 1}, ?)`).join(', ');
  await my.query(`INSERT INTO ${table} VALUES ${rows}`, [...values]);
  await pg.query(`INSERT INTO ${table} VALUES ${values.map((_v, i) => `(${i + 1}, $${i + 1})`).join(', ')}`, [...values]);
}

/** The (id, s) rows of a table, in id order, alike from either database. */
async function rowsOf(db: 'my' | 'pg', table: string): Promise<[string, string | null][]> {
  if (db === 'my') return (await my.query(`SELECT id, s FROM ${table} ORDER BY id`)).map(([id, s]) => [String(id), s]);
  return (await pg.query(`SELECT id, s FROM ${table} ORDER BY id`)).map((r) => [r.id!, r.s!]);
}

describe('quoteChar off when writing, on when reading: multi-character separators', () => {
  // Values holding each separator, and ending with each one's beginning ('a|' before '||' would
  // read as 'a', '|…'). Not '': with quoteChar off it is written as an empty field, which reads as NULL.
  const VALUES = ['a|', '|', '||', 'a||b', 'x#', '#', '##', 'x😀', '😀', 'x<', 'plain', 'say "hi"', 'two\nlines', 'cr\r', null, 'end|'];

  it.each([
    ['||', '##'],
    ['😀😀', '\\r\\n'],
    ['<>', '|#'],
    // A line separator that begins with the field separator: the trailing-delimiter layout.
    ['|', '|\\n'],
  ])('every value comes back, and both databases write the same file (%s, %s)', async (fs, ls) => {
    const table = `seps${jobs}`;
    await createTables(table, VALUES);
    const to = { 'toJobConfig.fieldSeparator': fs, 'toJobConfig.lineSeparator': ls, 'toJobConfig.quoteChar': 'false' };
    const from = { 'fromJobConfig.fieldSeparator': fs, 'fromJobConfig.lineSeparator': ls, 'fromJobConfig.quoteChar': 'true' };
    const written = { my: await exportTable('my', table, to), pg: await exportTable('pg', table, to) };
    for (const db of ['my', 'pg'] as const) expect(written[db].status.status, written[db].status['error-summary']).toBe('SUCCEEDED');
    expect(written.my.bytes.toString('utf8')).toBe(written.pg.bytes.toString('utf8'));
    for (const db of ['my', 'pg'] as const) {
      await (db === 'my' ? my : pg).query(`CREATE TABLE ${table}_back (id INT PRIMARY KEY, s ${db === 'my' ? 'VARCHAR(40)' : 'text'})`);
      const s = await importFiles(written[db].dir, db, `${table}_back`, from);
      expect(s.status, s['error-summary']).toBe('SUCCEEDED');
      expect(await rowsOf(db, `${table}_back`)).toEqual(VALUES.map((v, i) => [String(i + 1), v]));
    }
  });
});

describe('toJobConfig.encodeType', () => {
  it('ISO-8859-1 writes Latin-1 bytes that read back exactly', async () => {
    const values = ['café', 'ÿ ½ ß', 'a,b'];
    await createTables('latin', values);
    const lf = { 'toJobConfig.lineSeparator': '\\n', 'toJobConfig.encodeType': 'ISO-8859-1' };
    for (const db of ['my', 'pg'] as const) {
      const { status, dir, bytes } = await exportTable(db, 'latin', lf);
      expect(status.status, status['error-summary']).toBe('SUCCEEDED');
      expect(bytes.equals(Buffer.from('1,café\n2,ÿ ½ ß\n3,"a,b"\n', 'latin1'))).toBe(true);
      await (db === 'my' ? my : pg).query(`CREATE TABLE latin_back (id INT PRIMARY KEY, s ${db === 'my' ? 'VARCHAR(40)' : 'text'})`);
      const s = await importFiles(dir, db, 'latin_back', { 'fromJobConfig.lineSeparator': '\\n', 'fromJobConfig.quoteChar': 'true', 'fromJobConfig.encodeType': 'ISO-8859-1' });
      expect(s.status, s['error-summary']).toBe('SUCCEEDED');
      expect(await rowsOf(db, 'latin_back')).toEqual(values.map((v, i) => [String(i + 1), v]));
    }
  });

  it.each([
    ['ISO-8859-1', '中文 €', "'中' (U+4E2D)"],
    ['ISO-8859-1', '😀', "'😀' (U+1F600)"],
    ['US-ASCII', 'café', "'é' (U+00E9)"],
  ])('%s: a table holding %j fails the run, naming the character and its row', async (encodeType, value, named) => {
    const table = `unwritable${jobs}`;
    await createTables(table, ['plain', value]);
    for (const db of ['my', 'pg'] as const) {
      const { status } = await exportTable(db, table, { 'toJobConfig.lineSeparator': '\\n', 'toJobConfig.encodeType': encodeType });
      expect(status.status).toBe('FAILED');
      expect(status['error-summary']).toContain(`Cdm.0232: toJobConfig.encodeType ${encodeType} cannot hold ${named}, in "1,plain\\n2,${value}\\n"`);
    }
  });
});
