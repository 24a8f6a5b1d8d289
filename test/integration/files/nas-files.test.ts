// File jobs between directories of the local file system (nas-connector), driven
// through the CDM API on the embedded runtime.
import { existsSync, lutimesSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { sqliteLink } from '../../support/cdm-bodies';
import { bytes, cluster, counters, link, md5, treeMd5, writeTree } from './file-harness';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const NAS = 'nas-connector';

async function setUp() {
  api = await startApi();
  const root = mkdtempSync(join(tmpdir(), 'ferry-nas-'));
  const c = await cluster(api);
  await c.links(link('disk', NAS, { 'linkConfig.rootDirectory': root }));
  return { c, root, src: join(root, 'in'), dst: join(root, 'out') };
}

const binaryJob = (extra: { from?: Record<string, string>; to?: Record<string, string> } = {}) => ({
  from: ['disk', NAS] as [string, string],
  to: ['disk', NAS] as [string, string],
  fromInputs: { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE', ...extra.from },
  toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE', ...extra.to },
});

describe('binary copies between directories', () => {
  it('copies a tree byte for byte, empty and multi-piece files included, with exact file counters', async () => {
    const { c, src, dst } = await setUp();
    const files = {
      'a.bin': bytes(1000, 1),
      'empty.dat': Buffer.alloc(0),
      'sub/deeper/big.bin': bytes(9 * 1024 * 1024 + 17, 2),
      'sub/ünïcödé 😀.txt': Buffer.from('hello'),
    };
    writeTree(src, files);
    await c.job('copy', binaryJob());
    const s = await c.run('copy');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(treeMd5(dst)).toEqual(treeMd5(src));
    expect(readdirSync(dst).sort()).toEqual(['a.bin', 'empty.dat', 'sub']); // no bookkeeping left behind
    const total = Object.values(files).reduce((n, b) => n + b.length, 0);
    expect(counters(s)).toMatchObject({
      FILES_READ: 4,
      FILES_WRITTEN: 4,
      FILES_SKIPPED: 0,
      TOTAL_FILES: 4,
      TOTAL_SIZE: total,
      BYTES_READ: total,
      BYTES_WRITTEN: total,
      ROWS_READ: -1,
      ROWS_WRITTEN: -1,
    });
  });
});

describe('names at the file system\'s limits', () => {
  it('files named as long as a file system allows (255 bytes) are copied: the hidden names Ferry stages them under stay within it', async () => {
    const { c, src, dst } = await setUp();
    // A small file goes in one put, a multi-piece one as staged parts: each beside a temp file of its own.
    const files = { ['x'.repeat(255)]: bytes(1000, 1), [`${'é'.repeat(125)}.bin`]: bytes(9 * 1024 * 1024 + 1, 2), 'short.bin': bytes(10, 3) };
    writeTree(src, files);
    await c.job('long', binaryJob({ to: { 'toJobConfig.writeToTempFile': 'true' } }));
    const s = await c.run('long');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(treeMd5(dst)).toEqual(treeMd5(src));
    expect(readdirSync(dst).sort()).toEqual(Object.keys(files).sort()); // no bookkeeping left behind
    expect(counters(s)).toMatchObject({ FILES_WRITTEN: 3, TOTAL_FILES: 3, BYTES_WRITTEN: 9 * 1024 * 1024 + 1011 });
  });
});

describe('selecting files', () => {
  it('filterType WILDCARD keeps the files whose directory matches pathFilter and name matches fileFilter', async () => {
    const { c, src, dst } = await setUp();
    writeTree(src, {
      'top.csv': 'x',
      '2024-01/a.csv': 'a',
      '2024-01/a.txt': 'no',
      '2024-02/b.csv': 'b',
      '2023-12/c.csv': 'no',
    });
    await c.job('pick', binaryJob({ from: { 'fromJobConfig.filterType': 'WILDCARD', 'fromJobConfig.pathFilter': '2024*', 'fromJobConfig.fileFilter': '*.csv,*.tsv' } }));
    const s = await c.run('pick');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(treeMd5(dst)).sort()).toEqual(['2024-01/a.csv', '2024-02/b.csv']);
  });

  it('several inputDirectory paths separated by | are all read', async () => {
    const { c, root, dst } = await setUp();
    writeTree(root, { 'x/1.bin': '1', 'y/2.bin': '2', 'z/3.bin': '3' });
    await c.job('multi', binaryJob({ from: { 'fromJobConfig.inputDirectory': '/x|/y' } }));
    const s = await c.run('multi');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(treeMd5(dst)).sort()).toEqual(['1.bin', '2.bin']);
  });

  it('two inputDirectory paths holding the same relative path fail the run before anything is written, naming both files', async () => {
    const { c, root, dst } = await setUp();
    writeTree(root, { 'x/a.bin': 'from x', 'x/b.bin': 'b', 'y/a.bin': 'from y', 'y/c.bin': 'c' });
    await c.job('clash', binaryJob({ from: { 'fromJobConfig.inputDirectory': '/x|/y' } }));
    const s = await c.run('clash');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Cdm.0014: ${join(root, 'x/a.bin')} and ${join(root, 'y/a.bin')} would both be written as a.bin`);
    expect(existsSync(dst) ? readdirSync(dst) : []).toEqual([]);
  });

  it.each([
    ['REPLACE', 'SUCCEEDED', 'new', { FILES_WRITTEN: 2, FILES_SKIPPED: 0 }],
    ['SKIP', 'SUCCEEDED', 'old', { FILES_WRITTEN: 1, FILES_SKIPPED: 1 }],
    ['ABANDON', 'FAILED', 'old', undefined],
  ])('duplicateFileOpType %s with a same-name, same-size file at the destination', async (op, status, kept, expected) => {
    const { c, src, dst } = await setUp();
    writeTree(src, { 'same.txt': 'new', 'fresh.txt': 'fresh' });
    writeTree(dst, { 'same.txt': 'old' });
    await c.job('dup', binaryJob({ to: { 'toJobConfig.duplicateFileOpType': op } }));
    const s = await c.run('dup');
    expect(s.status, s['error-summary']).toBe(status);
    expect(readFileSync(join(dst, 'same.txt'), 'utf8')).toBe(kept);
    if (expected) expect(counters(s)).toMatchObject(expected);
    else expect(s['error-summary']).toContain(`${join(dst, 'same.txt')} already exists with the same size`);
  });

  it('a missing input directory fails the run naming it', async () => {
    const { c, root } = await setUp();
    await c.job('none', binaryJob({ from: { 'fromJobConfig.inputDirectory': '/nowhere' } }));
    const s = await c.run('none');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Input path ${join(root, 'nowhere')} does not exist.`);
  });
});

describe('symbolic links in an input directory are followed', () => {
  it('a linked file is copied byte for byte under the link\'s name, with its target\'s size, time and .md5 sibling', async () => {
    const { c, root, src, dst } = await setUp();
    const b = bytes(9 * 1024 * 1024 + 5, 3);
    writeTree(root, { 'in/a.bin': 'a', 'in/a.bin.md5': md5(Buffer.from('a')), 'elsewhere/target.bin': b, 'in/b.bin.md5': md5(b) });
    symlinkSync(join(root, 'elsewhere/target.bin'), join(src, 'b.bin'));
    // Only the target's time is in the TIME window: a filter reading the link's own time would drop b.bin.
    utimesSync(join(root, 'elsewhere/target.bin'), new Date('2024-06-01T00:00:00Z'), new Date('2024-06-01T00:00:00Z'));
    utimesSync(join(src, 'a.bin'), new Date('2024-06-01T00:00:00Z'), new Date('2024-06-01T00:00:00Z'));
    lutimesSync(join(src, 'b.bin'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const time = { 'fromJobConfig.filterType': 'TIME', 'fromJobConfig.startTime': '2024-01-01 00:00:00', 'fromJobConfig.endTime': '2025-01-01 00:00:00' };
    await c.job('linkedfile', binaryJob({ from: { 'fromJobConfig.md5FileSuffix': '.md5', ...time } }));
    const s = await c.run('linkedfile');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(treeMd5(dst)).toEqual({ 'a.bin': md5(Buffer.from('a')), 'b.bin': md5(b) });
    expect(counters(s)).toMatchObject({ TOTAL_FILES: 2, TOTAL_SIZE: b.length + 1, BYTES_WRITTEN: b.length + 1, FILES_SKIPPED: 0 });
  });

  it('a linked directory\'s files are copied under the link\'s name, subdirectories included', async () => {
    const { c, root, src, dst } = await setUp();
    writeTree(root, { 'in/a.bin': 'a', 'shared/x.bin': 'x', 'shared/deeper/y.bin': 'y' });
    symlinkSync(join(root, 'shared'), join(src, 'linked'));
    await c.job('linkeddir', binaryJob());
    const s = await c.run('linkeddir');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(treeMd5(dst)).sort()).toEqual(['a.bin', 'linked/deeper/y.bin', 'linked/x.bin']);
    expect(counters(s)).toMatchObject({ TOTAL_FILES: 3, FILES_WRITTEN: 3 });
  });

  it.each([
    // The link back to /in is not walked again: its files are already copied under their own path.
    ['/in', ['a.bin', 'sub/x.bin']],
    // From /in/sub, up leads above the input and is followed, but not back into /in/sub.
    ['/in/sub', ['up/a.bin', 'x.bin']],
  ])('a loop (sub/up links to its parent, self to its own directory) ends: input %s copies %j', async (input, copied) => {
    const { c, src, dst } = await setUp();
    writeTree(src, { 'a.bin': 'a', 'sub/x.bin': 'x' });
    symlinkSync('..', join(src, 'sub/up'));
    symlinkSync('.', join(src, 'sub/self'));
    await c.job('loop', binaryJob({ from: { 'fromJobConfig.inputDirectory': input } }));
    const s = await c.run('loop');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(treeMd5(dst)).sort()).toEqual(copied);
  });

  it.each([
    ['to a missing file', join('..', 'nowhere.csv'), 'ENOENT'],
    ['to itself', 'dangling.csv', 'ELOOP'],
  ])('a link %s fails the run naming it, before anything is written', async (_, target, code) => {
    const { c, src, dst } = await setUp();
    writeTree(src, { 'a.csv': 'a' });
    symlinkSync(target, join(src, 'dangling.csv'));
    await c.job('dangling', binaryJob());
    const s = await c.run('dangling');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Input ${join(src, 'dangling.csv')} is a symbolic link to ${target}, which cannot be read (${code}).`);
    expect(existsSync(dst) ? readdirSync(dst) : []).toEqual([]);
  });
});

describe('compressed input of a binary copy', () => {
  it('fromCompression GZIP is refused when the job is created: a BINARY_FILE copy would copy the .gz files unopened', async () => {
    const { c, dst } = await setUp();
    const err = await c.refusedJob('gz', binaryJob({ from: { 'fromJobConfig.fromCompression': 'GZIP', 'fromJobConfig.compressedFileSuffix': '.gz' } }));
    expect(err).toEqual({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining('fromJobConfig.fromCompression GZIP') });
    expect(existsSync(dst)).toBe(false);
  });
});

describe('MD5 verification (md5FileSuffix)', () => {
  it('copies files whose .md5 sibling matches and never copies the .md5 files', async () => {
    const { c, src, dst } = await setUp();
    const a = bytes(5000, 7);
    writeTree(src, { 'a.bin': a, 'a.bin.md5': `${md5(a)}  a.bin\n` });
    await c.job('md5ok', binaryJob({ from: { 'fromJobConfig.md5FileSuffix': '.md5' } }));
    const s = await c.run('md5ok');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(treeMd5(dst)).toEqual({ 'a.bin': md5(a) });
  });

  it('a mismatch fails the run with a message naming the file, and that file is not written', async () => {
    const { c, src, dst } = await setUp();
    writeTree(src, { 'good.bin': 'good', 'good.bin.md5': md5(Buffer.from('good')), 'bad.bin': 'tampered', 'bad.bin.md5': md5(Buffer.from('original')) });
    await c.job('md5bad', binaryJob({ from: { 'fromJobConfig.md5FileSuffix': '.md5' } }));
    const s = await c.run('md5bad');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`MD5 mismatch for ${join(src, 'bad.bin')}`);
    expect(existsSync(join(dst, 'bad.bin'))).toBe(false);
  });
});

describe('writeToTempFile', () => {
  it.each([
    ['true', []],
    ['false', ['a.bin']],
  ])('writeToTempFile=%s: a run failing after the first file was copied leaves %j visible', async (temp, visible) => {
    const { c, src, dst } = await setUp();
    // a.bin fills a whole chunk (8 MB), so it is written and checkpointed before b.bin fails its MD5 check.
    const a = bytes(8 * 1024 * 1024, 9);
    writeTree(src, { 'a.bin': a, 'a.bin.md5': md5(a), 'b.bin': 'bbb', 'b.bin.md5': '0'.repeat(32) });
    await c.job('tmp', binaryJob({ from: { 'fromJobConfig.md5FileSuffix': '.md5' }, to: { 'toJobConfig.writeToTempFile': temp } }));
    const s = await c.run('tmp');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('b.bin');
    expect(readdirSync(dst).filter((n) => !n.startsWith('.'))).toEqual(visible);
    // Nor is anything of the failed run's own left: no temp file, no checkpoint.
    expect(readdirSync(dst)).toEqual(visible);
  });
});

describe('CSV and JSON files into a table', () => {
  async function load(c: Awaited<ReturnType<typeof setUp>>['c'], root: string, name: string, from: Record<string, string>) {
    const db = join(root, `${name}.db`);
    await c.links(sqliteLink(`${name}-db`, db));
    await c.job(name, {
      from: ['disk', NAS],
      to: [`${name}-db`, 'generic-jdbc-connector'],
      fromInputs: { 'fromJobConfig.inputDirectory': '/in', ...from },
      toInputs: { 'toJobConfig.tableName': 't', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' },
    });
    const s = await c.run(name);
    const rows = s.status === 'SUCCEEDED' ? (new Database(db).prepare('SELECT * FROM t ORDER BY rowid').all() as unknown[]) : [];
    return { s, rows };
  }

  it('a malformed CSV row fails the run with an error naming the file and line', async () => {
    const { c, root, src } = await setUp();
    writeTree(src, { 'a.csv': 'id,name\n1,one\n2,two\n3,three,extra\n' });
    const { s } = await load(c, root, 'bad', { 'fromJobConfig.inputFormat': 'CSV_FILE', 'fromJobConfig.firstRowAsHeader': 'true' });
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Malformed CSV row in ${join(src, 'a.csv')} line 4: 3 fields, expected 2`);
  });

  it('the header is the first line that is not blank, in every file: blank lines before it are not data, nor is it', async () => {
    const { c, root, src } = await setUp();
    writeTree(src, { 'a.csv': '\r\n\r\nname,city\r\nann,paris\r\n', 'b.csv': '\nname,city\nbob,rome\n\n' });
    const { s, rows } = await load(c, root, 'blank', { 'fromJobConfig.inputFormat': 'CSV_FILE', 'fromJobConfig.firstRowAsHeader': 'true' });
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(rows).toEqual([
      { name: 'ann', city: 'paris' },
      { name: 'bob', city: 'rome' },
    ]);
  });

  it('loads CSV: header names the columns, quoted separators and quotes survive, "" is empty and an empty field NULL', async () => {
    const { c, root, src } = await setUp();
    writeTree(src, {
      '1.csv.gz': gzipSync('id;name;note\r\n1;"semi;colon";\r\n2;"say ""hi""";""\r\n'),
      '2.csv': 'id;name;note\n3;"multi\nline";汉字 😀\n',
    });
    const { s, rows } = await load(c, root, 'good', {
      'fromJobConfig.inputFormat': 'CSV_FILE',
      'fromJobConfig.fromCompression': 'GZIP',
      'fromJobConfig.compressedFileSuffix': '.gz',
      'fromJobConfig.fieldSeparator': ';',
      'fromJobConfig.quoteChar': 'true',
      'fromJobConfig.firstRowAsHeader': 'true',
    });
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(rows).toEqual([
      { id: '1', name: 'semi;colon', note: null },
      { id: '2', name: 'say "hi"', note: '' },
      { id: '3', name: 'multi\nline', note: '汉字 😀' },
    ]);
    expect(counters(s)).toMatchObject({ ROWS_WRITTEN: 3, FILES_READ: 2, TOTAL_FILES: 2 });
  });

  it('reads the encoding encodeType names (GBK) and picks fields by columnList numbers', async () => {
    const { c, root, src } = await setUp();
    writeTree(src, { 'g.csv': Buffer.concat([Buffer.from('1,skip,'), Buffer.from([0xba, 0xba, 0xd7, 0xd6]), Buffer.from('\r\n')]) });
    const { s, rows } = await load(c, root, 'gbk', {
      'fromJobConfig.inputFormat': 'CSV_FILE',
      'fromJobConfig.encodeType': 'GBK',
      'fromJobConfig.columnList': '1&3',
    });
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(rows).toEqual([{ column1: '1', column3: '汉字' }]);
  });

  it('loads JSON lines and a JSON document array under jsonReferenceNode', async () => {
    const { c, root, src } = await setUp();
    writeTree(src, { 'a.json': '{"id":1,"name":"one","tags":["x"]}\n\n{"id":2,"name":null}\n' });
    const lines = await load(c, root, 'jl', { 'fromJobConfig.inputFormat': 'JSON_FILE' });
    expect(lines.s.status, lines.s['error-summary']).toBe('SUCCEEDED');
    expect(lines.rows).toEqual([
      { id: '1', name: 'one', tags: '["x"]' },
      { id: '2', name: null, tags: null },
    ]);
    writeTree(src, { 'a.json': '{"data":{"items":[{"k":"v1"},{"k":"v2"}]}}' });
    const doc = await load(c, root, 'jd', { 'fromJobConfig.inputFormat': 'JSON_FILE', 'fromJobConfig.jsonReferenceNode': 'data.items' });
    expect(doc.s.status, doc.s['error-summary']).toBe('SUCCEEDED');
    expect(doc.rows).toEqual([{ k: 'v1' }, { k: 'v2' }]);
  });
});
