// File jobs with an S3-protocol object store (obs-connector, thirdparty-obs-connector)
// against s3rver running in-process, driven through the CDM API on the embedded runtime.
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteLink } from '../../support/cdm-bodies';
import { freezeProgressReport, startApi, type Api } from '../../support/embedded';
import { S3_ACCESS_KEY, S3_SECRET_KEY, useS3 } from '../../support/s3';
import { makeOrders, tableDump } from '../../support/sqlite-fixtures';
import { bytes, cluster, counters, link, md5, treeMd5, writeTree } from './file-harness';

const s3 = useS3();
let api: Api | undefined;
let bucketNo = 0;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const obsLink = (name: string, connector = 'obs-connector', keys = { ak: S3_ACCESS_KEY, sk: S3_SECRET_KEY }) =>
  link(name, connector, s3.linkInputs({ 'linkConfig.accessKey': keys.ak, 'linkConfig.securityKey': keys.sk }));

async function bucket(): Promise<string> {
  const name = `bucket-${++bucketNo}`;
  await s3.createBucket(name);
  return name;
}

/** Key → MD5 of every object in a bucket (Ferry's bookkeeping included, so leftovers show). */
async function bucketMd5(b: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const list = await s3.client.send(new ListObjectsV2Command({ Bucket: b, Prefix: prefix }));
  for (const o of list.Contents ?? []) {
    const r = await s3.client.send(new GetObjectCommand({ Bucket: b, Key: o.Key! }));
    out[o.Key!.slice(prefix.length)] = md5(Buffer.from(await r.Body!.transformToByteArray()));
  }
  return out;
}

const put = (b: string, key: string, body: Buffer | string) => s3.client.send(new PutObjectCommand({ Bucket: b, Key: key, Body: body }));

describe.each(['obs-connector', 'thirdparty-obs-connector'])('%s', (connector) => {
  it('copies objects between buckets byte for byte, a multipart object included', async () => {
    api = await startApi();
    const c = await cluster(api);
    const [from, to] = [await bucket(), await bucket()];
    const files: Record<string, Buffer> = {
      'in/a.bin': bytes(3000, 3),
      'in/empty': Buffer.alloc(0),
      'in/deep/large.bin': bytes(9 * 1024 * 1024 + 5, 4),
    };
    for (const [k, v] of Object.entries(files)) await put(from, k, v);
    await put(from, 'other/not-selected.bin', 'x');
    await c.links(obsLink('s3', connector));
    await c.job('copy', {
      from: ['s3', connector],
      to: ['s3', connector],
      fromInputs: { 'fromJobConfig.bucketName': from, 'fromJobConfig.inputDirectory': '/in/', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.bucketName': to, 'toJobConfig.outputDirectory': 'copy', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    const s = await c.run('copy');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(await bucketMd5(to, 'copy/')).toEqual(await bucketMd5(from, 'in/'));
    expect(counters(s)).toMatchObject({ FILES_WRITTEN: 3, TOTAL_FILES: 3, BYTES_WRITTEN: 9 * 1024 * 1024 + 3005 });
  });
});

describe('tables and CSV objects', () => {
  it('a table exported to CSV objects split by writeFileSize loads back into a table value for value', async () => {
    api = await startApi();
    const c = await cluster(api);
    const b = await bucket();
    const dir = mkdtempSync(join(tmpdir(), 'ferry-obs-'));
    const db = join(dir, 'db.sqlite');
    makeOrders(db, 40_000);
    const cols = 'id&sku&note&amount&big&created_at';
    await c.links(obsLink('s3'), sqliteLink('db', db, { 'linkConfig.fetchSize': '1000' }));
    await c.job('export', {
      from: ['db', 'generic-jdbc-connector'],
      to: ['s3', 'obs-connector'],
      fromInputs: { 'fromJobConfig.schemaName': 'main', 'fromJobConfig.tableName': 'orders', 'fromJobConfig.columnList': cols },
      toInputs: {
        'toJobConfig.bucketName': b,
        'toJobConfig.outputDirectory': '/export',
        'toJobConfig.outputFormat': 'CSV_FILE',
        'toJobConfig.writeFileSize': '1',
        'toJobConfig.quoteChar': 'true',
        'toJobConfig.firstRowAsHeader': 'true',
        'toJobConfig.filePrefix': 'orders',
      },
    });
    const out = await c.run('export');
    expect(out.status, out['error-summary']).toBe('SUCCEEDED');
    expect(counters(out)).toMatchObject({ ROWS_READ: 40_000, ROWS_WRITTEN: 40_000 });
    const keys = Object.keys(await bucketMd5(b, 'export/')).sort();
    expect(keys.length).toBeGreaterThan(1);
    expect(keys).toEqual(keys.map((_k, i) => `orders_${String(i).padStart(5, '0')}.csv`));
    expect(counters(out).FILES_WRITTEN).toBe(keys.length);
    const first = await s3.client.send(new GetObjectCommand({ Bucket: b, Key: 'export/orders_00000.csv' }));
    expect((await first.Body!.transformToString()).split('\r\n')[0]).toBe('"id","sku","note","amount","big","created_at"');

    const back = new Database(db);
    back.exec(`CREATE TABLE orders_back (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, note TEXT, amount DECIMAL(12,2), big INTEGER, created_at DATETIME)`);
    back.close();
    await c.job('import', {
      from: ['s3', 'obs-connector'],
      to: ['db', 'generic-jdbc-connector'],
      fromInputs: {
        'fromJobConfig.bucketName': b,
        'fromJobConfig.inputDirectory': '/export',
        'fromJobConfig.inputFormat': 'CSV_FILE',
        'fromJobConfig.quoteChar': 'true',
        'fromJobConfig.firstRowAsHeader': 'true',
      },
      toInputs: { 'toJobConfig.tableName': 'orders_back' },
    });
    const inn = await c.run('import');
    expect(inn.status, inn['error-summary']).toBe('SUCCEEDED');
    expect(counters(inn)).toMatchObject({ ROWS_WRITTEN: 40_000, FILES_READ: keys.length, TOTAL_FILES: keys.length });
    const view = new Database(db);
    view.exec(`CREATE VIEW orders_src AS SELECT id, sku, note, amount, big, created_at FROM orders`);
    view.close();
    expect(tableDump(db, 'orders_back')).toEqual(tableDump(db, 'orders_src'));
  });
});

describe('exactly once', () => {
  it('a binary copy whose executor froze mid-job is resumed by the reaper; every file lands once, byte-identical', async () => {
    // A lease long enough for an 8 MB chunk on a busy machine; the freeze outlives it.
    api = await startApi({ settings: { leaseMs: 3_000, bootGraceMs: 3_000, progressIntervalMs: 0 }, reaperIntervalMs: 200 });
    const c = await cluster(api);
    const b = await bucket();
    const root = mkdtempSync(join(tmpdir(), 'ferry-obs-'));
    // 3 MB files: a batch holds up to 8 MB, so the copy takes several chunks; f6.bin, larger
    // than a piece, goes whole in one streamed request.
    writeTree(join(root, 'in'), {
      ...Object.fromEntries(Array.from({ length: 6 }, (_v, i) => [`f${i}.bin`, bytes(3 * 1024 * 1024 + i, 10 + i)])),
      'f6.bin': bytes(9 * 1024 * 1024 + 5, 16),
    });
    await c.links(obsLink('s3'), link('disk', 'nas-connector', { 'linkConfig.rootDirectory': root }));
    await c.job('up', {
      from: ['disk', 'nas-connector'],
      to: ['s3', 'obs-connector'],
      fromInputs: { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.bucketName': b, 'toJobConfig.outputDirectory': '/', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    // The executor stops dead after its sink committed the first chunk, before reporting it.
    const frozen = freezeProgressReport(api, 1);
    const s = await c.run('up');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    await frozen.thaw();
    await api.ferry.queue.idle();
    frozen.restore();
    expect(await bucketMd5(b)).toEqual(treeMd5(join(root, 'in')));
    expect(counters(s)).toMatchObject({ FILES_WRITTEN: 7, FILES_READ: 7 });
  });

  it('an object larger than a piece is streamed whole; one whose .md5 does not match never appears, and the run names it', async () => {
    api = await startApi();
    const c = await cluster(api);
    const [from, to] = [await bucket(), await bucket()];
    const big = bytes(9 * 1024 * 1024 + 3, 31);
    const bad = bytes(9 * 1024 * 1024, 32);
    await put(from, 'ok/big.bin', big);
    await put(from, 'ok/big.bin.md5', `${md5(big)}  big.bin\n`);
    await put(from, 'bad/bad.bin', bad);
    await put(from, 'bad/bad.bin.md5', md5(bytes(9 * 1024 * 1024, 33)));
    await c.links(obsLink('s3'));
    const copy = (name: string, dir: string) =>
      c.job(name, {
        from: ['s3', 'obs-connector'],
        to: ['s3', 'obs-connector'],
        fromInputs: { 'fromJobConfig.bucketName': from, 'fromJobConfig.inputDirectory': dir, 'fromJobConfig.inputFormat': 'BINARY_FILE', 'fromJobConfig.md5FileSuffix': '.md5' },
        toInputs: { 'toJobConfig.bucketName': to, 'toJobConfig.outputDirectory': dir, 'toJobConfig.outputFormat': 'BINARY_FILE' },
      });
    await copy('good', '/ok/');
    const ok = await c.run('good');
    expect(ok.status, ok['error-summary']).toBe('SUCCEEDED');
    expect(counters(ok)).toMatchObject({ FILES_WRITTEN: 1, BYTES_WRITTEN: big.length });
    await copy('tampered', '/bad/');
    const failed = await c.run('tampered');
    expect(failed.status).toBe('FAILED');
    expect(failed['error-summary']).toContain('MD5 mismatch for obs://');
    expect(failed['error-summary']).toContain('bad/bad.bin');
    const copied = await bucketMd5(to);
    expect(copied['ok/big.bin']).toBe(md5(big));
    expect(copied['ok/big.bin.md5']).toBeUndefined();
    // The tampered object's request never completed: its last bytes were held back. (S3 drops
    // an aborted PUT; s3rver keeps what arrived, so here a short object may be left.)
    const left = await s3.client.send(new ListObjectsV2Command({ Bucket: to, Prefix: 'bad/' }));
    for (const o of left.Contents ?? []) expect(o.Size).toBeLessThan(bad.length);
  });
});

describe('server-side copy', () => {
  it('between buckets of one server and account the server copies an object itself; another address of it streams the bytes', async () => {
    api = await startApi();
    const c = await cluster(api);
    const [from, same, other] = [await bucket(), await bucket(), await bucket()];
    const big = bytes(9 * 1024 * 1024 + 11, 41);
    // A copy inside the server keeps the object's metadata; a streamed PUT sets none.
    await s3.client.send(new PutObjectCommand({ Bucket: from, Key: 'in/big.bin', Body: big, ContentType: 'application/x-ferry-test', Metadata: { origin: 'source' } }));
    // The same server under another name: Ferry cannot know, so it reads and writes the bytes.
    const elsewhere = link('elsewhere', 'obs-connector', s3.linkInputs({ 'linkConfig.server': 'http://localhost' }));
    await c.links(obsLink('s3'), elsewhere);
    for (const [name, toLink, b] of [['inside', 's3', same], ['across', 'elsewhere', other]] as const) {
      await c.job(name, {
        from: ['s3', 'obs-connector'],
        to: [toLink, 'obs-connector'],
        fromInputs: { 'fromJobConfig.bucketName': from, 'fromJobConfig.inputDirectory': '/in/', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
        toInputs: { 'toJobConfig.bucketName': b, 'toJobConfig.outputDirectory': 'out', 'toJobConfig.outputFormat': 'BINARY_FILE' },
      });
      const s = await c.run(name);
      expect(s.status, s['error-summary']).toBe('SUCCEEDED');
      expect(counters(s)).toMatchObject({ FILES_WRITTEN: 1, BYTES_WRITTEN: big.length });
      expect(await bucketMd5(b)).toEqual({ 'out/big.bin': md5(big) });
    }
    const head = (b: string) => s3.client.send(new HeadObjectCommand({ Bucket: b, Key: 'out/big.bin' }));
    expect(await head(same)).toMatchObject({ ContentType: 'application/x-ferry-test', Metadata: { origin: 'source' } });
    expect((await head(other)).Metadata?.origin).toBeUndefined();
  });
});

describe('object keys', () => {
  /** Copies `dir` of bucket `from` to `out/` of a new bucket; the run and what landed. */
  async function copyDir(c: Awaited<ReturnType<typeof cluster>>, name: string, from: string, dir: string) {
    const to = await bucket();
    await c.job(name, {
      from: ['s3', 'obs-connector'],
      to: ['s3', 'obs-connector'],
      fromInputs: { 'fromJobConfig.bucketName': from, 'fromJobConfig.inputDirectory': dir, 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.bucketName': to, 'toJobConfig.outputDirectory': 'out', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    const s = await c.run(name);
    return { s, landed: await bucketMd5(to, 'out/') };
  }

  it('an object "a" beside keys under "a/": inputDirectory /a/ copies the folder, /a the object; "ab/" is neither', async () => {
    api = await startApi();
    const c = await cluster(api);
    const from = await bucket();
    const files = { a: 'the object a', 'a/b': 'bee', 'a/c/d': 'dee', 'ab/x': 'not under a/' };
    for (const [k, v] of Object.entries(files)) await put(from, k, v);
    await c.links(obsLink('s3'));
    const folder = await copyDir(c, 'folder', from, '/a/');
    expect(folder.s.status, folder.s['error-summary']).toBe('SUCCEEDED');
    expect(folder.landed).toEqual({ b: md5(Buffer.from('bee')), 'c/d': md5(Buffer.from('dee')) });
    expect(counters(folder.s)).toMatchObject({ TOTAL_FILES: 2, FILES_WRITTEN: 2, TOTAL_SIZE: 6, BYTES_WRITTEN: 6 });
    const object = await copyDir(c, 'object', from, '/a');
    expect(object.s.status, object.s['error-summary']).toBe('SUCCEEDED');
    expect(object.landed).toEqual({ a: md5(Buffer.from('the object a')) });
    expect(counters(object.s)).toMatchObject({ TOTAL_FILES: 1, FILES_WRITTEN: 1, TOTAL_SIZE: 12 });
  });

  it('an input of more keys than one listing page (1,205; pages of 1,000) is copied whole by 3 extractors, counters exact', async () => {
    api = await startApi({ concurrency: 2 });
    const c = await cluster(api);
    const from = await bucket();
    const objects = Array.from({ length: 1205 }, (_v, i) => [`in/${String(i).padStart(4, '0')}.txt`, `object ${i}`] as const);
    for (let i = 0; i < objects.length; i += 25) await Promise.all(objects.slice(i, i + 25).map(([k, v]) => put(from, k, v)));
    const root = mkdtempSync(join(tmpdir(), 'ferry-many-'));
    await c.links(obsLink('s3'), link('nas', 'nas-connector', { 'linkConfig.rootDirectory': root }));
    await c.job('many', {
      from: ['s3', 'obs-connector'],
      to: ['nas', 'nas-connector'],
      fromInputs: { 'fromJobConfig.bucketName': from, 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE' },
      driver: { 'throttlingConfig.numExtractors': '3' },
    });
    const s = await c.run('many');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(treeMd5(join(root, 'out'))).toEqual(Object.fromEntries(objects.map(([k, v]) => [k.slice('in/'.length), md5(Buffer.from(v))])));
    const total = objects.reduce((n, [, v]) => n + v.length, 0);
    expect(counters(s)).toMatchObject({ TOTAL_FILES: 1205, FILES_READ: 1205, FILES_WRITTEN: 1205, TOTAL_SIZE: total, BYTES_WRITTEN: total });
  });

  it('a folder holding only its placeholder object is an empty input, as an empty directory is; placeholders are never copied as files', async () => {
    api = await startApi();
    const c = await cluster(api);
    const from = await bucket();
    for (const k of ['empty/', 'full/', 'full/sub/']) await put(from, k, '');
    await put(from, 'full/sub/f.txt', 'data');
    await c.links(obsLink('s3'));
    const empty = await copyDir(c, 'empty', from, '/empty/');
    expect(empty.s.status, empty.s['error-summary']).toBe('SUCCEEDED');
    expect(empty.landed).toEqual({});
    expect(counters(empty.s)).toMatchObject({ TOTAL_FILES: 0, FILES_WRITTEN: 0, TOTAL_SIZE: 0 });
    const full = await copyDir(c, 'full', from, '/full');
    expect(full.s.status, full.s['error-summary']).toBe('SUCCEEDED');
    expect(full.landed).toEqual({ 'sub/f.txt': md5(Buffer.from('data')) });
    expect(counters(full.s)).toMatchObject({ TOTAL_FILES: 1, FILES_WRITTEN: 1, TOTAL_SIZE: 4 });
  });
});

describe('continuations', () => {
  it('a table export whose invocations each run out of time after one chunk writes every row once (unflushed output carried over)', async () => {
    // Every invocation has less time left than the margin: each does one chunk and hands over,
    // long before the 5 MB S3 part minimum is reached.
    api = await startApi({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const c = await cluster(api);
    const b = await bucket();
    const db = join(mkdtempSync(join(tmpdir(), 'ferry-obs-')), 'db.sqlite');
    makeOrders(db, 2_000);
    await c.links(obsLink('s3'), sqliteLink('db', db, { 'linkConfig.fetchSize': '250' }));
    await c.job('json', {
      from: ['db', 'generic-jdbc-connector'],
      to: ['s3', 'obs-connector'],
      fromInputs: { 'fromJobConfig.schemaName': 'main', 'fromJobConfig.tableName': 'orders', 'fromJobConfig.columnList': 'id&note&big' },
      toInputs: { 'toJobConfig.bucketName': b, 'toJobConfig.outputDirectory': 'j', 'toJobConfig.outputFormat': 'JSON_FILE' },
    });
    const s = await c.run('json');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(await bucketMd5(b))).toEqual(['j/json_00000.json']);
    const body = await (await s3.client.send(new GetObjectCommand({ Bucket: b, Key: 'j/json_00000.json' }))).Body!.transformToString();
    const lines = body.trimEnd().split('\n');
    expect(lines).toHaveLength(2_000);
    expect(lines.map((l) => Number(JSON.parse(l).id))).toEqual(Array.from({ length: 2_000 }, (_v, i) => i + 1));
    // 64-bit integers are written as exact number literals.
    expect(lines[0]).toBe('{"id":1,"note":"note 1 😀","big":9007199254740994}');
    expect(JSON.parse(lines[6]!).note).toBeNull();
  });
});

describe('continuations of binary copies', () => {
  it('objects sent in one streamed request, with invocations that run out of time after each chunk, land once and whole', async () => {
    // Each invocation copies one chunk and hands over: an object larger than a piece is one
    // chunk of its own, streamed whole; the others go between the handovers.
    api = await startApi({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const c = await cluster(api);
    const [from, to] = [await bucket(), await bucket()];
    const files: Record<string, Buffer> = { 'in/a.bin': bytes(17 * 1024 * 1024 + 7, 21), 'in/b.bin': bytes(1000, 22), 'in/c.bin': bytes(9 * 1024 * 1024, 23) };
    for (const [k, v] of Object.entries(files)) await put(from, k, v);
    await c.links(obsLink('s3'));
    await c.job('copy', {
      from: ['s3', 'obs-connector'],
      to: ['s3', 'obs-connector'],
      fromInputs: { 'fromJobConfig.bucketName': from, 'fromJobConfig.inputDirectory': '/in/', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.bucketName': to, 'toJobConfig.outputDirectory': 'copy', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    const s = await c.run('copy');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    // Only the files: no checkpoint or stray part is left.
    expect(await bucketMd5(to)).toEqual(Object.fromEntries(Object.entries(files).map(([k, v]) => [`copy/${k.slice(3)}`, md5(v)])));
    expect(counters(s)).toMatchObject({ FILES_WRITTEN: 3, BYTES_WRITTEN: 26 * 1024 * 1024 + 1007 });
  });
});

describe('bad input', () => {
  it('a missing bucket fails the run with an error naming the bucket', async () => {
    api = await startApi();
    const c = await cluster(api);
    await c.links(obsLink('s3'));
    await c.job('nobucket', {
      from: ['s3', 'obs-connector'],
      to: ['s3', 'obs-connector'],
      fromInputs: { 'fromJobConfig.bucketName': 'no-such-bucket', 'fromJobConfig.inputDirectory': '/', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      toInputs: { 'toJobConfig.bucketName': 'no-such-bucket', 'toJobConfig.outputDirectory': '/x', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    const s = await c.run('nobucket');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('Bucket no-such-bucket: the bucket does not exist.');
  });

  it('a link with a wrong access key is refused when created, and its secret is never echoed', async () => {
    api = await startApi();
    const c = await cluster(api);
    const r = await api.call('POST', `${c.base}/link`, { links: [obsLink('bad', 'obs-connector', { ak: 'NOBODY', sk: 'wrong-secret' })] });
    expect(r.status).toBe(500);
    const text = JSON.stringify(r.body);
    expect(text).toContain('refused the link');
    expect(text).not.toContain('wrong-secret');
  });

  it('stores the access key and secret key sealed and shows them masked', async () => {
    api = await startApi();
    const c = await cluster(api);
    await c.links(obsLink('s3'));
    const shown = JSON.stringify((await api.call('GET', `${c.base}/link/s3`)).body);
    expect(shown).not.toContain(`"${S3_SECRET_KEY}"`);
  });
});
