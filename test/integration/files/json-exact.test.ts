// JSON_FILE keeps every value exact: a number reaches the table as the text the file holds
// (never through a double), and a json column's document stays on its record's line, meaning
// the same. Reader and writer directly, then table -> JSON file -> table against MariaDB and
// PostgreSQL through the CDM API on the embedded runtime.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column } from '../../../lib/engine/types';
import { compactJson } from '../../../lib/connectors/files/exact-json';
import { JsonArrayReader } from '../../../lib/connectors/files/json-document';
import { formatJsonLine, JsonLinesParser, jsonToText } from '../../../lib/connectors/files/json-format';
import { startApi, type Api } from '../../support/embedded';
import { createTestDatabase, mysqlLinkBody, type TestDatabase } from '../../support/mysql';
import { createTestDatabase as createPg, postgresLink, type TestDatabase as PgDatabase } from '../../support/postgres';
import { cluster, link, writeTree } from './file-harness';

/** The records of the array at `node` in `doc`, fed to the reader `step` characters at a time. */
function documentRecords(doc: string, node: string, step = doc.length) {
  const reader = new JsonArrayReader(node);
  const out = [];
  for (let i = 0; i < doc.length; i += step) out.push(...reader.push(doc.slice(i, i + step)));
  out.push(...reader.end());
  return out;
}

/** The cells of JSON lines, as the file source hands them on. */
function cellsOf(text: string): (string | null)[][] {
  const p = new JsonLinesParser();
  return [...p.push(text), ...p.end()].map((l) => Object.keys(l.record).map((k) => jsonToText(l.record[k])));
}

describe('reading JSON', () => {
  it.each([
    ['9007199254740993'],
    ['1234567890123456789'],
    ['-9223372036854775807'],
    ['18446744073709551615'],
    ['0.1000000000000000055511'],
    ['123456789012345678901234567890.123456789'],
    ['1e400'],
    ['-1E-400'],
    ['1.50'],
    ['-0'],
    ['2.0e+3'],
  ])('a number %s reaches the cell as written', (n) => {
    expect(cellsOf(`{"n":${n}}\n`)).toEqual([[n]]);
    expect(documentRecords(`{"data":[{"n":${n}}]}`, 'data').map((r) => jsonToText(r.record.n))).toEqual([n]);
  });

  it('objects and arrays become compact JSON text with their numbers as written', () => {
    const line = '{"o": { "big" : 12345678901234567890, "s": "a  b\\n", "l": [ 1.0 , true, null ] }, "a":[ ]}\n';
    expect(cellsOf(line)).toEqual([['{"big":12345678901234567890,"s":"a  b\\n","l":[1.0,true,null]}', '[]']]);
  });

  it('strings, booleans and null read as JSON.parse reads them', () => {
    const line = String.raw`{"s":"tab\there \"q\" \\ \/ \u00e9 \ud83d\ude00 \u0000 end","e":"","t":true,"f":false,"z":null}`;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(cellsOf(line)).toEqual([['tab\there "q" \\ / é 😀 \u0000 end', '', 'true', 'false', null]]);
    expect(parsed.s).toBe(cellsOf(line)[0]![0]);
  });

  it('__proto__ is a field like any other, and a field the line lacks is NULL, never an inherited one', () => {
    const p = new JsonLinesParser();
    const [first, second] = [...p.push('{"__proto__":"p","id":1}\n{"id":2}\n'), ...p.end()];
    expect(Object.keys(first!.record)).toEqual(['__proto__', 'id']);
    expect(jsonToText(first!.record['__proto__'])).toBe('p');
    expect(['constructor', 'toString', '__proto__'].map((k) => jsonToText(second!.record[k]))).toEqual([null, null, null]);
  });

  // Whatever JSON.parse refuses, we refuse with its words; whatever it takes, we take.
  it.each([
    '{"a":1,}',
    '{"a":01}',
    '{"a":1.}',
    '{"a":.5}',
    '{"a":+1}',
    '{"a":1e}',
    '{"a":-}',
    '{"a":NaN}',
    '{"a":"raw\ttab"}',
    '{"a":"\\x41"}',
    '{"a":"\\u12G4"}',
    '{"a":"never closed}',
    "{'a':1}",
    '{"a":[1,]}',
    '{"a":1} x',
    '{"a" 1}',
    '{"a":tru}',
    '{"a":1',
  ])('%s is malformed, as JSON.parse has it', (line) => {
    const native = (() => {
      try {
        JSON.parse(line);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(native).toBeDefined();
    const p = new JsonLinesParser(true);
    expect([...p.push(`${line}\n`), ...p.end()]).toEqual([{ record: {}, line: 1, raw: line, error: native }]);
  });

  it.each([' {"a" : 1 } \r', '{"a":"\u007f\u2028"}', '{"":[[[]]],"b":{}}', '{"a":1,"a":2}'])('%j is read as JSON.parse reads it', (line) => {
    const p = new JsonLinesParser(true);
    const [r] = [...p.push(`${line}\n`), ...p.end()];
    expect(r!.error).toBeUndefined();
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(r!.record)).toEqual(Object.keys(parsed));
    expect(Object.keys(parsed).map((k) => jsonToText(r!.record[k]))).toEqual(
      Object.values(parsed).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
    );
  });
});

describe('writing a json column', () => {
  const columns: Column[] = [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'j', type: 'json', nullable: true },
  ];

  it.each([
    ['a pretty-printed object', '{\n  "a": 1,\n  "b": [ 1.50, 12345678901234567890 ]\n}', '{"a":1,"b":[1.50,12345678901234567890]}'],
    ['a number among whitespace', '\t1.50 \r\n', '1.50'],
    ['a number no double holds', '1e400', '1e400'],
    ['arrays nested 10,000 deep', '['.repeat(10_000) + ']'.repeat(10_000), '['.repeat(10_000) + ']'.repeat(10_000)],
  ])('%s goes in compact, on one line, meaning the same', (_what, stored, written) => {
    expect(compactJson(stored)).toBe(written);
    expect(formatJsonLine(columns, [1n, stored], '\n')).toBe(`{"id":1,"j":${written}}\n`);
  });

  it('a string among whitespace compacts to the string', () => {
    expect(compactJson('\t"text with  spaces\\n"\r\n')).toBe('"text with  spaces\\n"');
  });

  it.each([['"123"'], ['"true"'], ['"abc"'], ['null'], [' "a\\"b" '], ['"{\\"a\\":1}"']])(
    'a document that is a string or null, %s, goes in as a JSON string of its text and reads back as that text, not its content or NULL',
    (stored) => {
      const line = formatJsonLine(columns, [1n, stored], '\n');
      expect(line).toBe(`{"id":1,"j":${JSON.stringify(stored)}}\n`);
      expect(cellsOf(line)).toEqual([['1', stored]]);
    },
  );

  it('text that is no JSON value goes in as a JSON string and reads back as it was', () => {
    const stored = '{"a": 1,\n oops';
    const line = formatJsonLine(columns, [1n, stored], '\r\n');
    expect(line).toBe('{"id":1,"j":"{\\"a\\": 1,\\n oops"}\r\n');
    expect(cellsOf(line)).toEqual([['1', stored]]);
  });
});

describe('table -> JSON_FILE -> table', () => {
  let api: Api;
  let my: TestDatabase;
  let pg: PgDatabase;
  let root: string;
  let c: Awaited<ReturnType<typeof cluster>>;
  let n = 0;
  beforeAll(async () => {
    [my, pg, api] = await Promise.all([createTestDatabase('json_exact'), createPg('json_exact'), startApi()]);
    c = await cluster(api);
    root = mkdtempSync(join(tmpdir(), 'json_exact_'));
    await c.links(mysqlLinkBody('my', my.name), postgresLink('pg', pg), link('disk', 'nas-connector', { 'linkConfig.rootDirectory': root }));
  });
  afterAll(async () => {
    await api?.close();
    await my?.drop();
    await pg?.drop();
  });

  const table = (which: 'my' | 'pg', name: string) => ({ link: which, schema: which === 'my' ? my.name : 'public', name });

  /** Runs one job to its end; it must succeed. */
  async function run(from: [string, string], to: [string, string], fromInputs: Record<string, string>, toInputs: Record<string, string>) {
    const s = await attempt(from, to, fromInputs, toInputs);
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  }

  /** Runs one job to its end; returns the submission. */
  async function attempt(from: [string, string], to: [string, string], fromInputs: Record<string, string>, toInputs: Record<string, string>) {
    const name = `j${++n}`;
    await c.job(name, { from, to, fromInputs, toInputs });
    return c.run(name);
  }

  const exportTable = (t: ReturnType<typeof table>, dir: string) =>
    run(
      [t.link, 'generic-jdbc-connector'],
      ['disk', 'nas-connector'],
      { 'fromJobConfig.schemaName': t.schema, 'fromJobConfig.tableName': t.name },
      { 'toJobConfig.outputDirectory': dir, 'toJobConfig.outputFormat': 'JSON_FILE', 'toJobConfig.filePrefix': 'rows' },
    );

  const importSides = (dir: string, t: ReturnType<typeof table>, from: Record<string, string> = {}): Parameters<typeof attempt> =>
    [
      ['disk', 'nas-connector'],
      [t.link, 'generic-jdbc-connector'],
      { 'fromJobConfig.inputDirectory': dir, 'fromJobConfig.inputFormat': 'JSON_FILE', ...from },
      { 'toJobConfig.schemaName': t.schema, 'toJobConfig.tableName': t.name, 'toJobConfig.tablePreparation': 'DO_NOTHING' },
    ];
  const importFiles = (dir: string, t: ReturnType<typeof table>, from: Record<string, string> = {}) => run(...importSides(dir, t, from));
  const tryImport = (dir: string, t: ReturnType<typeof table>, from: Record<string, string> = {}) => attempt(...importSides(dir, t, from));

  /** Exports `src` and imports the files into `dst`; returns the file's lines. */
  async function roundTrip(which: 'my' | 'pg', src: string, dst: string): Promise<string[]> {
    const dir = `/${src}_${++n}`;
    await exportTable(table(which, src), dir);
    const text = readdirSync(join(root, dir)).sort().map((f) => readFileSync(join(root, dir, f), 'utf8')).join('');
    await importFiles(dir, table(which, dst));
    return text.split('\n').filter(Boolean);
  }

  it('MariaDB: BIGINT beyond 2^53, both ends of BIGINT and BIGINT UNSIGNED, and JSON documents come back exact', async () => {
    const cols = 'id INT PRIMARY KEY, big BIGINT, ubig BIGINT UNSIGNED, j JSON';
    await my.query(`CREATE TABLE big_src (${cols})`);
    await my.query(`CREATE TABLE big_dst (${cols})`);
    await my.query(
      `INSERT INTO big_src VALUES (1, 9007199254740993, 18446744073709551615, '{\\n  "a": 1,\\n  "n": 12345678901234567890123\\n}'),
       (2, 1234567890123456789, 9007199254740993, '[1.50, "x\\\\ny"]'), (3, -9223372036854775808, 0, NULL), (4, 9223372036854775807, NULL, 'true')`,
    );
    const lines = await roundTrip('my', 'big_src', 'big_dst');
    expect(lines).toEqual([
      '{"id":1,"big":9007199254740993,"ubig":18446744073709551615,"j":{"a":1,"n":12345678901234567890123}}',
      '{"id":2,"big":1234567890123456789,"ubig":9007199254740993,"j":[1.50,"x\\ny"]}',
      '{"id":3,"big":-9223372036854775808,"ubig":0,"j":null}',
      '{"id":4,"big":9223372036854775807,"ubig":null,"j":true}',
    ]);
    const rows = 'SELECT id, CAST(big AS CHAR) AS big, CAST(ubig AS CHAR) AS ubig, j FROM';
    const [src, dst] = [await my.query(`${rows} big_src ORDER BY id`), await my.query(`${rows} big_dst ORDER BY id`)];
    // Numbers exact; each document the same JSON, now compact.
    expect(dst.map((r: any) => r.slice(0, 3))).toEqual(src.map((r: any) => r.slice(0, 3)));
    expect(dst.map((r: any) => r[3])).toEqual(['{"a":1,"n":12345678901234567890123}', '[1.50,"x\\ny"]', null, 'true']);
  });

  it('PostgreSQL: bigint, numeric and json/jsonb documents with big numbers come back exact', async () => {
    const cols = 'id int PRIMARY KEY, big bigint, num numeric, j json, jb jsonb';
    await pg.query(`CREATE TABLE big_src (${cols})`);
    await pg.query(`CREATE TABLE big_dst (${cols})`);
    await pg.query(
      `INSERT INTO big_src VALUES (1, -9223372036854775807, 123456789012345678901234567890.123456789, E'{\\n  "a": 1,\\n  "n": 12345678901234567890123.5\\n}', '{"n": 0.1000000000000000055511, "b": [1e400]}'),
       (2, 9007199254740993, 0.1000000000000000055511, '[]', '[-0.0, 1E+2]')`,
    );
    expect(await roundTrip('pg', 'big_src', 'big_dst')).toHaveLength(2);
    const rows = 'SELECT id, big::text, num::text, j::text, jb::text FROM';
    const dst = await pg.query(`${rows} big_dst ORDER BY id`);
    expect(dst.map((r) => [r.id, r.big, r.num, r.j])).toEqual([
      ['1', '-9223372036854775807', '123456789012345678901234567890.123456789', '{"a":1,"n":12345678901234567890123.5}'],
      ['2', '9007199254740993', '0.1000000000000000055511', '[]'],
    ]);
    expect(dst.map((r) => r.jb)).toEqual((await pg.query(`${rows} big_src ORDER BY id`)).map((r) => r.jb));
  });

  it('json documents that are a string or null come back as themselves, not as their content or SQL NULL', async () => {
    const docs = ['"123"', '"true"', '"abc"', 'null', '"null"', '"{\\"a\\": 1}"', '{"s":"x"}'];
    const values = docs.map((d, i) => `(${i + 1}, '${d}', '${d}')`).join(', ');
    await pg.query('CREATE TABLE strdoc_src (id int PRIMARY KEY, j json, jb jsonb)');
    await pg.query('CREATE TABLE strdoc_dst (id int PRIMARY KEY, j json, jb jsonb)');
    await pg.query(`INSERT INTO strdoc_src VALUES ${values}, (${docs.length + 1}, NULL, NULL)`);
    await roundTrip('pg', 'strdoc_src', 'strdoc_dst');
    const rows = 'SELECT id, j::text, jb::text, j IS NULL AS jn, jb IS NULL AS jbn FROM';
    expect(await pg.query(`${rows} strdoc_dst ORDER BY id`)).toEqual(await pg.query(`${rows} strdoc_src ORDER BY id`));

    await my.query('CREATE TABLE strdoc_src (id INT PRIMARY KEY, j JSON)');
    await my.query('CREATE TABLE strdoc_dst (id INT PRIMARY KEY, j JSON)');
    await my.query(`INSERT INTO strdoc_src VALUES ${docs.map((d, i) => `(${i + 1}, '${d.replace(/\\/g, '\\\\')}')`).join(', ')}, (${docs.length + 1}, NULL)`);
    await roundTrip('my', 'strdoc_src', 'strdoc_dst');
    const src = await my.query('SELECT id, j FROM strdoc_src ORDER BY id');
    expect(src.map((r: any) => r[1])).toEqual([...docs, null]);
    expect(await my.query('SELECT id, j FROM strdoc_dst ORDER BY id')).toEqual(src);
  });

  it('a JSON file written elsewhere: bare integers and decimals of any size reach the table as written', async () => {
    await pg.query('CREATE TABLE nums (id bigint, d numeric, t text, j jsonb)');
    writeTree(join(root, 'elsewhere'), {
      'a.json': '{"id": 9223372036854775807, "d": 0.1000000000000000055511, "t": 1e400, "j": {"x": [18446744073709551616, 2.50]}}\n{"id":-9223372036854775808,"d":-123456789012345678901234567890.5,"t":1.50,"j":7}\n',
    });
    await importFiles('/elsewhere', table('pg', 'nums'));
    expect(await pg.query('SELECT id::text, d::text, t, j::text FROM nums ORDER BY id')).toEqual([
      { id: '-9223372036854775808', d: '-123456789012345678901234567890.5', t: '1.50', j: '7' },
      { id: '9223372036854775807', d: '0.1000000000000000055511', t: '1e400', j: '{"x": [18446744073709551616, 2.50]}' },
    ]);
  });

  it('a record with a field the first record lacks (or spells in another case) fails the run naming it, never loaded without it', async () => {
    await pg.query('CREATE TABLE sparse (id bigint, name text)');
    writeTree(join(root, 'sparse'), { 'a.json': '{"id":1,"name":"a"}\n{"id":2}\n{"id":3,"name":"c","note":"kept nowhere"}\n' });
    const s = await tryImport('/sparse', table('pg', 'sparse'));
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`line 3: field "note" is not one of the first record's ("id", "name")`);
    expect(await pg.query('SELECT count(*)::int AS n FROM sparse')).toEqual([{ n: '0' }]);

    writeTree(join(root, 'cased'), { 'a.json': '{"data":[{"ID":1,"name":"a"},{"id":2,"name":"b"}]}' });
    const cased = await tryImport('/cased', table('pg', 'sparse'), { 'fromJobConfig.jsonReferenceNode': 'data' });
    expect(cased['error-summary']).toContain(`field "id" is not one of the first record's ("ID", "name")`);
  });

  it('an empty first file gives no schema: the columns come from the first file with a record, and every row loads', async () => {
    await pg.query('CREATE TABLE after_empty (id bigint, name text)');
    writeTree(join(root, 'after_empty_json'), { 'a.json': '', 'b.json': '\n\r\n', 'c.json': '{"id":1,"name":"x"}\n{"id":2,"name":"y"}\n' });
    await importFiles('/after_empty_json', table('pg', 'after_empty'));
    writeTree(join(root, 'after_empty_csv'), { 'a.csv': '', 'b.csv': '\r\n', 'c.csv': 'id,name\n3,z\n' });
    await importFiles('/after_empty_csv', table('pg', 'after_empty'), { 'fromJobConfig.inputFormat': 'CSV_FILE', 'fromJobConfig.firstRowAsHeader': 'true' });
    expect(await pg.query('SELECT id, name FROM after_empty ORDER BY id')).toEqual([
      { id: '1', name: 'x' },
      { id: '2', name: 'y' },
      { id: '3', name: 'z' },
    ]);
  });

  it('a string escaping half a surrogate pair fails the run naming line and field, never stored as U+FFFD', async () => {
    await pg.query('CREATE TABLE halves (id bigint, s text, j json)');
    const lines = ['{"id":1,"s":"\\ud83d\\ude00","j":{"k":"\\ud800 stays escaped in a document"}}', '{"id":2,"s":"a\\ud800b","j":null}'];
    writeTree(join(root, 'halves'), { 'a.json': lines.join('\n') });
    const s = await tryImport('/halves', table('pg', 'halves'));
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('halves/a.json line 2: field "s" holds a lone surrogate (\\ud800), which no Unicode text can hold');
    expect(await pg.query('SELECT count(*)::int AS n FROM halves')).toEqual([{ n: '0' }]);

    writeTree(join(root, 'halves'), { 'a.json': lines[0]! });
    await importFiles('/halves', table('pg', 'halves'));
    expect(await pg.query('SELECT id, s, j::text FROM halves')).toEqual([{ id: '1', s: '😀', j: '{"k":"\\ud800 stays escaped in a document"}' }]);
  });

  it('encodeType: a UTF-16 file with a byte-order mark loads exactly; bytes that are not UTF-8 fail the run naming the file', async () => {
    await pg.query('CREATE TABLE encoded (id bigint, name text)');
    const text = '{"id":1,"name":"中文 😀 é"}\r\n{"id":2,"name":"\\ud83d\\ude00"}\r\n';
    writeTree(join(root, 'utf16be'), { 'a.json': Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]) });
    await importFiles('/utf16be', table('pg', 'encoded'), { 'fromJobConfig.encodeType': 'UTF-16' });
    expect(await pg.query('SELECT id, name FROM encoded ORDER BY id')).toEqual([
      { id: '1', name: '中文 😀 é' },
      { id: '2', name: '😀' },
    ]);

    writeTree(join(root, 'gbk_as_utf8'), { 'a.json': Buffer.concat([Buffer.from('{"id":3,"name":"'), Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), Buffer.from('"}\n')]) });
    const s = await tryImport('/gbk_as_utf8', table('pg', 'encoded'));
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('gbk_as_utf8/a.json failed: it holds bytes that are not UTF-8 text (fromJobConfig.encodeType); nothing was read changed');
    expect(await pg.query('SELECT count(*)::int AS n FROM encoded')).toEqual([{ n: '2' }]);
  });
});
