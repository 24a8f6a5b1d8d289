// Reading SQLite: pages of wide rows stay about a megabyte of data, and no row is lost or
// repeated across pages of different sizes or a resume.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDialect } from '../../../lib/connectors/jdbc/sqlite/sqlite-dialect';
import type { Position, RecordBatch } from '../../../lib/engine/types';
import type { InputMap } from '../../../lib/model/config-values';
import { testRun } from '../../support/postgres';

const dir = mkdtempSync(join(tmpdir(), 'ferry-sqlite-source-'));
const file = join(dir, 'src.db');
beforeAll(() => {
  // 10 KB a row: 1,000 rows (fetchSize) would be 10 MB of data, ~100 MB once read into values.
  const db = new Database(file);
  db.exec(`CREATE TABLE wide (id INTEGER PRIMARY KEY, body TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
    INSERT INTO wide SELECT i, replace(printf('%.10000c', '*'), '*', char(65 + i % 26)) FROM n;
    CREATE TABLE wide_heap (id INTEGER, body TEXT);
    INSERT INTO wide_heap SELECT * FROM wide;`);
  db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (from: InputMap) => sqliteDialect.openSource({ link: { 'linkConfig.database': file }, from, run: testRun() });

async function readAll(from: InputMap, chunkRows: number, position?: Position): Promise<RecordBatch[]> {
  const source = await open(from);
  try {
    const batches: RecordBatch[] = [];
    for await (const b of source.read(position, chunkRows)) batches.push(b);
    return batches;
  } finally {
    await source.close();
  }
}

describe('pages of wide rows', () => {
  const every = Array.from({ length: 1500 }, (_v, i) => i + 1);
  const ids = (batches: readonly RecordBatch[]) => batches.flatMap((b) => b.rows.map((r) => Number(r[0])));
  const byNumber = (a: number, b: number) => a - b;

  it.each([
    ['keyset pages on the primary key', { 'fromJobConfig.tableName': 'wide' }],
    ['keyset pages on the rowid (no primary key)', { 'fromJobConfig.tableName': 'wide_heap' }],
    ['pages of a useSql query', { 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': 'SELECT id, body FROM wide ORDER BY id' }],
  ])('read as %s hold about a megabyte each after the first; every row arrives once, and once after a resume', async (_how, from) => {
    const batches = await readAll(from, 1000);
    const sizes = batches.map((b) => b.rows.length);
    expect(batches[0]!.rows[0]![1]).toHaveLength(10_000);
    // The first page is fetchSize rows; the next ones as many as fit the budget (1.25 MiB of ~10 KB rows).
    expect(sizes[0]).toBe(1000);
    expect(sizes.slice(1).every((n) => n <= 131)).toBe(true);
    expect(ids(batches).sort(byNumber)).toEqual(every);
    // Resumed mid-way (after two narrow pages, as stored in JSON): the rest, none lost or repeated.
    const stored = JSON.parse(JSON.stringify(batches[2]!.position));
    const rest = await readAll(from, 1000, stored);
    expect([...ids(batches.slice(0, 3)), ...ids(rest)].sort(byNumber)).toEqual(every);
  });
});
