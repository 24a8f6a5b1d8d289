// What a file job checks and leaves beside its data for whoever consumes it: MD5
// validation against what the store reports (toJobConfig.validateMD5), the MD5 result file
// (recordMD5Result), the marker file of a successful run (markerFile); through the CDM API
// on the embedded runtime, to a directory (nas-connector) and a bucket of an S3-protocol
// server (s3rver, once behind a proxy that corrupts what it forwards).
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { useS3 } from '../../support/s3';
import { sqliteLink } from '../../support/cdm-bodies';
import { makeOrders } from '../../support/sqlite-fixtures';
import { bytes, cluster, link, md5, treeMd5, writeTree } from './file-harness';

const NAS = 'nas-connector';
const OBS = 'obs-connector';

const s3 = useS3();
let api: Api | undefined;
let bucketNo = 0;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const s3Link = (name: string, port: number) =>
  link(name, OBS, s3.linkInputs({ 'linkConfig.port': String(port) }));

async function setUp() {
  api = await startApi();
  const c = await cluster(api);
  const root = mkdtempSync(join(tmpdir(), 'ferry-results-'));
  const bucket = await newBucket();
  await c.links(link('disk', NAS, { 'linkConfig.rootDirectory': root }), s3Link('s3', s3.port));
  return { api, c, root, bucket };
}

async function newBucket(): Promise<string> {
  const name = `results-${++bucketNo}`;
  await s3.createBucket(name);
  return name;
}

/** Forwards to s3rver, flipping one byte of every uploaded part on the way: corruption S3 itself cannot see. */
async function corruptingProxy(): Promise<Server & { port: number }> {
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const data = Buffer.concat(body);
      if (req.method === 'PUT' && req.url?.includes('partNumber=') && data.length > 1000) data[data.length - 500] = data[data.length - 500]! ^ 0x01;
      const out = request({ host: '127.0.0.1', port: s3.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 500, r.headers);
        r.pipe(res);
      });
      out.end(data);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

const fromDisk = (extra: Record<string, string> = {}) => ({
  'fromJobConfig.inputDirectory': '/in',
  'fromJobConfig.inputFormat': 'BINARY_FILE',
  ...extra,
});

async function keys(b: string, prefix = ''): Promise<string[]> {
  const list = await s3.client.send(new ListObjectsV2Command({ Bucket: b, Prefix: prefix }));
  return (list.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

const text = async (b: string, key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: b, Key: key }))).Body!.transformToString();

describe('toJobConfig.markerFile', () => {
  it('a successful run ends with an empty marker in the output directory, in a bucket and in a directory', async () => {
    const { c, root, bucket } = await setUp();
    writeTree(join(root, 'in'), { 'a.bin': bytes(100, 1), 'sub/b.bin': bytes(200, 2) });
    await c.job('up', {
      from: ['disk', NAS],
      to: ['s3', OBS],
      fromInputs: fromDisk(),
      toInputs: { 'toJobConfig.bucketName': bucket, 'toJobConfig.outputDirectory': 'out', 'toJobConfig.outputFormat': 'BINARY_FILE', 'toJobConfig.markerFile': '_SUCCESS' },
    });
    const s = await c.run('up');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(await keys(bucket, 'out/')).toEqual(['_SUCCESS', 'a.bin', 'sub/b.bin']);
    expect((await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'out/_SUCCESS' }))).ContentLength).toBe(0);

    await c.job('down', {
      from: ['disk', NAS],
      to: ['disk', NAS],
      fromInputs: fromDisk(),
      toInputs: { 'toJobConfig.outputDirectory': '/copy', 'toJobConfig.outputFormat': 'BINARY_FILE', 'toJobConfig.markerFile': 'done.flag' },
    });
    expect((await c.run('down')).status).toBe('SUCCEEDED');
    expect(readdirSync(join(root, 'copy')).sort()).toEqual(['a.bin', 'done.flag', 'sub']);
    expect(statSync(join(root, 'copy', 'done.flag')).size).toBe(0);
  });

  it('a failed run writes no marker, even where some files were written', async () => {
    const { c, root } = await setUp();
    // 8 MiB: a batch of its own, written and committed before the next file fails.
    const good = bytes(8 * 1024 * 1024, 3);
    writeTree(join(root, 'in'), { 'a.bin': good, 'a.bin.md5': md5(good), 'z.bin': 'tampered', 'z.bin.md5': md5(Buffer.from('original')) });
    await c.job('half', {
      from: ['disk', NAS],
      to: ['disk', NAS],
      fromInputs: fromDisk({ 'fromJobConfig.md5FileSuffix': '.md5' }),
      toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE', 'toJobConfig.markerFile': '_SUCCESS' },
    });
    const s = await c.run('half');
    expect(s.status).toBe('FAILED');
    expect(existsSync(join(root, 'out', 'a.bin'))).toBe(true);
    expect(existsSync(join(root, 'out', '_SUCCESS'))).toBe(false);
  });

  it('a marker name with a / is refused when the job is created', async () => {
    const { c } = await setUp();
    const err = await c.refusedJob('bad', {
      from: ['disk', NAS],
      to: ['disk', NAS],
      fromInputs: fromDisk(),
      toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE', 'toJobConfig.markerFile': '../up' },
    });
    expect(err).toEqual({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining('toJobConfig.markerFile is a file name in toJobConfig.outputDirectory; got "../up".') });
  });
});

describe('toJobConfig.validateMD5 and recordMD5Result', () => {
  it('a binary copy to a bucket checks every object against its ETag and lists each file\'s MD5 in a result in another bucket', async () => {
    const { c, root, bucket } = await setUp();
    const results = await newBucket();
    const files = { 'a.bin': bytes(3000, 1), 'empty.bin': Buffer.alloc(0), 'deep/big.bin': bytes(9 * 1024 * 1024 + 1, 2) };
    writeTree(join(root, 'in'), files);
    await c.job('up', {
      from: ['disk', NAS],
      to: ['s3', OBS],
      fromInputs: fromDisk(),
      toInputs: {
        'toJobConfig.bucketName': bucket,
        'toJobConfig.outputDirectory': 'out',
        'toJobConfig.outputFormat': 'BINARY_FILE',
        'toJobConfig.validateMD5': 'true',
        'toJobConfig.recordMD5Result': 'true',
        'toJobConfig.recordMD5Bucket': results,
        'toJobConfig.recordMD5Directory': '/md5',
      },
    });
    const s = await c.run('up');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(await keys(bucket)).toEqual(['out/a.bin', 'out/deep/big.bin', 'out/empty.bin']); // no bookkeeping left
    expect(await keys(results)).toEqual([`md5/up_${s['submission-id']}.md5`]);
    expect(await text(results, `md5/up_${s['submission-id']}.md5`)).toBe(
      `${md5(files['a.bin'])}  a.bin\n${md5(files['deep/big.bin'])}  deep/big.bin\n${md5(files['empty.bin'])}  empty.bin\n`,
    );
  });

  it('names with a line break or a backslash are written escaped, as md5sum writes them: md5sum -c checks every file', async () => {
    const { c, root } = await setUp();
    const files = { 'new\nline.bin': bytes(100, 1), 'back\\slash.bin': bytes(200, 2), 'plain.bin': bytes(300, 3) };
    writeTree(join(root, 'in'), files);
    await c.job('odd', {
      from: ['disk', NAS],
      to: ['disk', NAS],
      fromInputs: fromDisk(),
      toInputs: {
        'toJobConfig.outputDirectory': '/out',
        'toJobConfig.outputFormat': 'BINARY_FILE',
        'toJobConfig.recordMD5Result': 'true',
        'toJobConfig.recordMD5Directory': '/out',
      },
    });
    const s = await c.run('odd');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const name = `odd_${s['submission-id']}.md5`;
    expect(readFileSync(join(root, 'out', name), 'utf8')).toBe(
      `\\${md5(files['back\\slash.bin'])}  back\\\\slash.bin\n\\${md5(files['new\nline.bin'])}  new\\nline.bin\n${md5(files['plain.bin'])}  plain.bin\n`,
    );
    const checked = await promisify(execFile)('md5sum', ['-c', name], { cwd: join(root, 'out') });
    expect(checked.stdout.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('a table exported as CSV to a directory, in several files, is validated and recorded file by file', async () => {
    const { c, root } = await setUp();
    const db = join(root, 'db.sqlite');
    makeOrders(db, 30_000);
    await c.links(sqliteLink('db', db, { 'linkConfig.fetchSize': '2000' }));
    await c.job('export', {
      from: ['db', 'generic-jdbc-connector'],
      to: ['disk', NAS],
      fromInputs: { 'fromJobConfig.schemaName': 'main', 'fromJobConfig.tableName': 'orders', 'fromJobConfig.columnList': 'id&sku&note&amount&big&created_at' },
      toInputs: {
        'toJobConfig.outputDirectory': '/csv',
        'toJobConfig.outputFormat': 'CSV_FILE',
        'toJobConfig.writeFileSize': '1',
        'toJobConfig.validateMD5': 'true',
        'toJobConfig.recordMD5Result': 'true',
        'toJobConfig.recordMD5Directory': '/md5',
      },
    });
    const s = await c.run('export');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const written = treeMd5(join(root, 'csv'));
    expect(Object.keys(written).length).toBeGreaterThan(1);
    const lines = readFileSync(join(root, 'md5', `export_${s['submission-id']}.md5`), 'utf8');
    expect(lines).toBe(Object.entries(written).sort().map(([p, m]) => `${m}  ${p}\n`).join(''));
  });

  it('an object that arrives corrupted fails the run, naming it and both MD5s, and never appears', async () => {
    const { c, root, bucket } = await setUp();
    const proxy = await corruptingProxy();
    try {
      await c.links(s3Link('bad-net', proxy.port));
      writeTree(join(root, 'in'), { 'a.bin': bytes(5000, 4) });
      await c.job('up', {
        from: ['disk', NAS],
        to: ['bad-net', OBS],
        fromInputs: fromDisk(),
        toInputs: { 'toJobConfig.bucketName': bucket, 'toJobConfig.outputDirectory': 'out', 'toJobConfig.outputFormat': 'BINARY_FILE', 'toJobConfig.validateMD5': 'true' },
      });
      const s = await c.run('up');
      expect(s.status).toBe('FAILED');
      // The part's ETag gives it away before the upload is completed.
      expect(s['error-summary']).toMatch(
        new RegExp(`MD5 check failed for obs://${bucket}/out/a\\.bin \\(part 1\\): Ferry wrote ${md5(bytes(5000, 4))}, the store reports [0-9a-f]{32}; the file was not committed\\.`),
      );
      expect(await keys(bucket, 'out/a')).toEqual([]);
    } finally {
      proxy.close();
    }
  });

  it.each([
    ['validateMD5 with encryption', { 'toJobConfig.validateMD5': 'true', 'toJobConfig.encryption': 'AES-256-GCM', 'toJobConfig.dek': 'ab'.repeat(32) }, 'toJobConfig.validateMD5 cannot be combined with toJobConfig.encryption AES-256-GCM.'],
    ['recordMD5Result without a directory', { 'toJobConfig.recordMD5Result': 'true' }, 'toJobConfig.recordMD5Result needs toJobConfig.recordMD5Directory'],
    ['recordMD5Link', { 'toJobConfig.recordMD5Result': 'true', 'toJobConfig.recordMD5Directory': '/m', 'toJobConfig.recordMD5Link': 'other' }, 'toJobConfig.recordMD5Link=other is not supported by Ferry yet.'],
  ])('%s is refused when the job is created', async (_what, to, message) => {
    const { c, bucket } = await setUp();
    const err = await c.refusedJob('bad', {
      from: ['disk', NAS],
      to: ['s3', OBS],
      fromInputs: fromDisk(),
      toInputs: { 'toJobConfig.bucketName': bucket, 'toJobConfig.outputDirectory': 'out', 'toJobConfig.outputFormat': 'BINARY_FILE', ...to },
    });
    expect(err).toEqual({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining(message) });
  });
});
