// Encryption during migration (toJobConfig.encryption / fromJobConfig.decryption
// AES-256-GCM with a key in the job), through the CDM API on the embedded runtime, between
// directories (nas-connector), buckets of an S3-protocol server (s3rver) and FTP/SFTP servers; and the key
// as a secret: sealed at rest, masked on every read.
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cipherSize } from '../../../lib/connectors/files/file-crypto';
import { sqliteLink } from '../../support/cdm-bodies';
import { startApi, type Api } from '../../support/embedded';
import { FTP_PASSWORD, FTP_USER, startFtpServer } from '../../support/ftp-server';
import { useS3 } from '../../support/s3';
import { startSftpServer } from '../../support/sftp-server';
import { makeOrders } from '../../support/sqlite-fixtures';
import { bytes, cluster, counters, link, md5, treeMd5, writeTree } from './file-harness';

const DEK = '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0';
const OTHER_DEK = 'ff'.repeat(32);
const NAS = 'nas-connector';
const OBS = 'obs-connector';

const s3 = useS3();
let api: Api | undefined;
let bucketNo = 0;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function setUp(opts: Parameters<typeof startApi>[0] = {}) {
  api = await startApi(opts);
  const c = await cluster(api);
  const root = mkdtempSync(join(tmpdir(), 'ferry-crypt-'));
  const bucket = `crypt-${++bucketNo}`;
  await s3.createBucket(bucket);
  await c.links(
    link('disk', NAS, { 'linkConfig.rootDirectory': root }),
    link('s3', OBS, s3.linkInputs()),
  );
  return { api, c, root, bucket };
}

const object = async (b: string, key: string) =>
  Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: b, Key: key }))).Body!.transformToByteArray());

async function keys(b: string, prefix: string): Promise<string[]> {
  const list = await s3.client.send(new ListObjectsV2Command({ Bucket: b, Prefix: prefix }));
  return (list.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

/** NAS /in → bucket enc/ (encrypted with `dek`). */
const encryptJob = (bucket: string, dek = DEK, to: Record<string, string> = {}) => ({
  from: ['disk', NAS] as [string, string],
  to: ['s3', OBS] as [string, string],
  fromInputs: { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
  toInputs: {
    'toJobConfig.bucketName': bucket,
    'toJobConfig.outputDirectory': 'enc',
    'toJobConfig.outputFormat': 'BINARY_FILE',
    'toJobConfig.encryption': 'AES-256-GCM',
    'toJobConfig.dek': dek,
    ...to,
  },
});

/** bucket enc/ (decrypted with `dek`) → NAS /out. */
const decryptJob = (bucket: string, dek = DEK, to: Record<string, string> = {}) => ({
  from: ['s3', OBS] as [string, string],
  to: ['disk', NAS] as [string, string],
  fromInputs: {
    'fromJobConfig.bucketName': bucket,
    'fromJobConfig.inputDirectory': 'enc',
    'fromJobConfig.inputFormat': 'BINARY_FILE',
    'fromJobConfig.decryption': 'AES-256-GCM',
    'fromJobConfig.dek': dek,
  },
  toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE', ...to },
});

const SAMPLE = {
  'a.txt': Buffer.from('id,name\n1,plain text that must not be readable in the bucket\n'),
  'empty.dat': Buffer.alloc(0),
  // Two 8 MiB source pieces, so two parts of an S3 multipart upload, of many segments each.
  'deep/big.bin': bytes(9 * 1024 * 1024 + 5, 7),
};

describe('AES-256-GCM encryption during migration', () => {
  it('NAS → bucket encrypted → NAS decrypted gives every file back byte for byte; the objects hold no plaintext', async () => {
    const { c, root, bucket } = await setUp();
    writeTree(join(root, 'in'), SAMPLE);
    await c.job('enc', encryptJob(bucket));
    const enc = await c.run('enc');
    expect(enc.status, enc['error-summary']).toBe('SUCCEEDED');
    expect(await keys(bucket, 'enc/')).toEqual(['a.txt', 'deep/big.bin', 'empty.dat']);
    for (const [rel, plain] of Object.entries(SAMPLE)) {
      const stored = await object(bucket, `enc/${rel}`);
      expect(stored.length).toBe(cipherSize(plain.length));
      expect(md5(stored)).not.toBe(md5(plain));
    }
    expect((await object(bucket, 'enc/a.txt')).includes(Buffer.from('plain text'))).toBe(false);
    const written = Object.values(SAMPLE).reduce((n, b) => n + cipherSize(b.length), 0);
    expect(counters(enc)).toMatchObject({ FILES_WRITTEN: 3, BYTES_WRITTEN: written });

    await c.job('dec', decryptJob(bucket));
    const dec = await c.run('dec');
    expect(dec.status, dec['error-summary']).toBe('SUCCEEDED');
    expect(treeMd5(join(root, 'out'))).toEqual(treeMd5(join(root, 'in')));
    expect(counters(dec)).toMatchObject({ FILES_READ: 3, TOTAL_SIZE: Object.values(SAMPLE).reduce((n, b) => n + b.length, 0) });
  });

  it.each([['ftp-connector'], ['sftp-connector']])('files encrypted onto an %s server are read back decrypted from it', async (connector) => {
    const { c, root } = await setUp();
    const ftp = connector === 'ftp-connector';
    const server = ftp
      ? { ...(await startFtpServer()), username: FTP_USER, password: FTP_PASSWORD }
      : await startSftpServer();
    try {
      const login = { 'linkConfig.username': server.username, 'linkConfig.password': server.password };
      await c.links(link('remote', connector, { 'linkConfig.server': server.host, 'linkConfig.port': String(server.port), ...login }));
      writeTree(join(root, 'in'), { 'a.txt': SAMPLE['a.txt'], 'empty.dat': SAMPLE['empty.dat'] });
      // FTP paths are under the server's root; SFTP paths are absolute on its machine.
      const dir = `${ftp ? '' : server.root}/enc`;
      const binary = { 'fromJobConfig.inputFormat': 'BINARY_FILE' };
      const key = { 'toJobConfig.encryption': 'AES-256-GCM', 'toJobConfig.dek': DEK };
      await c.job('enc', { from: ['disk', NAS], to: ['remote', connector], fromInputs: { 'fromJobConfig.inputDirectory': '/in', ...binary }, toInputs: { 'toJobConfig.outputDirectory': dir, 'toJobConfig.outputFormat': 'BINARY_FILE', ...key } });
      expect((await c.run('enc'))['error-summary']).toBeUndefined();
      await c.job('dec', {
        from: ['remote', connector],
        to: ['disk', NAS],
        fromInputs: { 'fromJobConfig.inputDirectory': dir, ...binary, 'fromJobConfig.decryption': 'AES-256-GCM', 'fromJobConfig.dek': DEK },
        toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE' },
      });
      const dec = await c.run('dec');
      expect(dec.status, dec['error-summary']).toBe('SUCCEEDED');
      expect(treeMd5(join(root, 'out'))).toEqual(treeMd5(join(root, 'in')));
    } finally {
      await server.stop();
    }
  });

  it('a table exported as encrypted CSV, one small chunk per invocation, decrypts to exactly the plain export', async () => {
    // Every invocation does one chunk and hands over: partial segments wait in sealed carry files.
    const { c, root } = await setUp({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const db = join(root, 'db.sqlite');
    makeOrders(db, 6_000);
    await c.links(sqliteLink('db', db, { 'linkConfig.fetchSize': '700' }));
    const exportJob = (dir: string, extra: Record<string, string>) => ({
      from: ['db', 'generic-jdbc-connector'] as [string, string],
      to: ['disk', NAS] as [string, string],
      fromInputs: { 'fromJobConfig.schemaName': 'main', 'fromJobConfig.tableName': 'orders', 'fromJobConfig.columnList': 'id&sku&note&big' },
      toInputs: {
        'toJobConfig.outputDirectory': dir,
        'toJobConfig.outputFormat': 'CSV_FILE',
        'toJobConfig.firstRowAsHeader': 'true',
        'toJobConfig.filePrefix': 'orders',
        ...extra,
      },
    });
    await c.job('plain', exportJob('/plain', {}));
    await c.job('sealed', exportJob('/sealed', { 'toJobConfig.encryption': 'AES-256-GCM', 'toJobConfig.dek': DEK }));
    for (const j of ['plain', 'sealed']) expect((await c.run(j)).status).toBe('SUCCEEDED');
    const plain = treeMd5(join(root, 'plain'));
    expect(Object.keys(plain)).toEqual(['orders_00000.csv']);
    expect(treeMd5(join(root, 'sealed'))['orders_00000.csv']).not.toBe(plain['orders_00000.csv']);

    await c.job('open', {
      from: ['disk', NAS],
      to: ['disk', NAS],
      fromInputs: {
        'fromJobConfig.inputDirectory': '/sealed',
        'fromJobConfig.inputFormat': 'BINARY_FILE',
        'fromJobConfig.decryption': 'AES-256-GCM',
        'fromJobConfig.dek': DEK,
      },
      toInputs: { 'toJobConfig.outputDirectory': '/opened', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    expect((await c.run('open')).status).toBe('SUCCEEDED');
    expect(treeMd5(join(root, 'opened'))).toEqual(plain);

    // Read as CSV records too: decrypted, parsed, and written again as the same CSV.
    await c.job('recsv', {
      from: ['disk', NAS],
      to: ['disk', NAS],
      fromInputs: {
        'fromJobConfig.inputDirectory': '/sealed',
        'fromJobConfig.inputFormat': 'CSV_FILE',
        'fromJobConfig.firstRowAsHeader': 'true',
        'fromJobConfig.decryption': 'AES-256-GCM',
        'fromJobConfig.dek': DEK,
      },
      toInputs: { 'toJobConfig.outputDirectory': '/recsv', 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.firstRowAsHeader': 'true', 'toJobConfig.filePrefix': 'orders' },
    });
    const recsv = await c.run('recsv');
    expect(recsv.status, recsv['error-summary']).toBe('SUCCEEDED');
    expect(counters(recsv)).toMatchObject({ ROWS_READ: 6_000, ROWS_WRITTEN: 6_000 });
    expect(treeMd5(join(root, 'recsv'))).toEqual(plain);
  });

  it('binary files encrypted and decrypted one chunk per invocation (resumed inside files, at 8 MiB piece boundaries) come back byte for byte', async () => {
    const { c, root, bucket } = await setUp({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const files = {
      'exact.bin': bytes(8 * 1024 * 1024, 41),
      'two.bin': bytes(16 * 1024 * 1024, 42),
      'odd.bin': bytes(17 * 1024 * 1024 + 65_537, 43),
      'empty.bin': Buffer.alloc(0),
    };
    writeTree(join(root, 'in'), files);
    let continuations = 0;
    const send = api!.ferry.runtime.queue.send.bind(api!.ferry.runtime.queue);
    api!.ferry.runtime.queue.send = (m, o) => (m.reason === 'continue' && continuations++, send(m, o));
    await c.job('enc', encryptJob(bucket));
    const enc = await c.run('enc');
    expect(enc.status, enc['error-summary']).toBe('SUCCEEDED');
    for (const [rel, plain] of Object.entries(files)) expect((await object(bucket, `enc/${rel}`)).length).toBe(cipherSize(plain.length));
    await c.job('dec', decryptJob(bucket));
    const dec = await c.run('dec');
    expect(dec.status, dec['error-summary']).toBe('SUCCEEDED');
    expect(continuations).toBeGreaterThanOrEqual(6);
    expect(treeMd5(join(root, 'out'))).toEqual(treeMd5(join(root, 'in')));
    expect(counters(dec)).toMatchObject({ FILES_READ: 4, FILES_WRITTEN: 4 });
  });

  it('a wrong key fails the run with a clear error and, with writeToTempFile, writes nothing', async () => {
    const { c, root, bucket } = await setUp();
    writeTree(join(root, 'in'), SAMPLE);
    await c.job('enc', encryptJob(bucket));
    expect((await c.run('enc')).status).toBe('SUCCEEDED');
    await c.job('dec', decryptJob(bucket, OTHER_DEK, { 'toJobConfig.writeToTempFile': 'true' }));
    const s = await c.run('dec');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toMatch(
      /cannot decrypt obs:\/\/crypt-\d+\/enc\/a\.txt: wrong fromJobConfig\.dek or the file is not Ferry AES-256-GCM \/ was altered/,
    );
    expect(JSON.stringify(s)).not.toContain(OTHER_DEK);
    const out = join(root, 'out');
    expect(existsSync(out) ? readdirSync(out).filter((n) => !n.startsWith('.')) : []).toEqual([]);
  });

  it('one altered byte in an encrypted object fails the run with the same clear error', async () => {
    const { c, root, bucket } = await setUp();
    writeTree(join(root, 'in'), SAMPLE);
    await c.job('enc', encryptJob(bucket));
    expect((await c.run('enc')).status).toBe('SUCCEEDED');
    const big = await object(bucket, 'enc/deep/big.bin');
    big[5 * 1024 * 1024] = big[5 * 1024 * 1024]! ^ 0x40;
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'enc/deep/big.bin', Body: big }));
    await c.job('dec', decryptJob(bucket));
    const s = await c.run('dec');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('cannot decrypt obs://');
    expect(s['error-summary']).toContain('/enc/deep/big.bin: wrong fromJobConfig.dek or the file is not Ferry AES-256-GCM / was altered');
  });

  it('files the job does not select (a marker file, a file the filter leaves out) are not decrypted: the selected ones are', async () => {
    const { c, root, bucket } = await setUp();
    writeTree(join(root, 'in'), SAMPLE);
    await c.job('enc', encryptJob(bucket));
    expect((await c.run('enc')).status).toBe('SUCCEEDED');
    // Beside the encrypted objects: the producer's empty marker and a plain note, neither in Ferry's format.
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'enc/ok.txt', Body: Buffer.alloc(0) }));
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'enc/README.md', Body: Buffer.from('plain notes') }));
    const job = decryptJob(bucket);
    await c.job('dec', {
      ...job,
      fromInputs: {
        ...job.fromInputs,
        'fromJobConfig.useMarkerFile': 'true',
        'fromJobConfig.markerFile': 'ok.txt',
        'fromJobConfig.filterType': 'WILDCARD',
        'fromJobConfig.fileFilter': '*.txt,*.dat,*.bin',
      },
    });
    const s = await c.run('dec');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(treeMd5(join(root, 'out'))).toEqual(treeMd5(join(root, 'in')));
    expect(counters(s)).toMatchObject({ FILES_READ: 3, FILES_WRITTEN: 3, TOTAL_FILES: 3 });
  });

  it('a selected file that is not in Ferry\'s format still fails the run naming it', async () => {
    const { c, root, bucket } = await setUp();
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'enc/empty.dat', Body: Buffer.alloc(0) }));
    await c.job('dec', decryptJob(bucket));
    const s = await c.run('dec');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toMatch(/cannot decrypt obs:\/\/crypt-\d+\/enc\/empty\.dat: wrong fromJobConfig\.dek/);
    expect(existsSync(join(root, 'out', 'empty.dat'))).toBe(false);
  });

  it.each([
    ['a dek that is not 64 hex characters', { 'toJobConfig.dek': 'abc123' }, 'toJobConfig.dek must be 64 hexadecimal characters (a 256-bit AES key).'],
    ['no dek', { 'toJobConfig.dek': '' }, 'toJobConfig.dek must be 64 hexadecimal characters'],
    ['an IV', { 'toJobConfig.iv': '00'.repeat(12) }, 'toJobConfig.iv is not used: Ferry gives every file and segment its own nonce'],
    ['KMS', { 'toJobConfig.encryption': 'KMS' }, 'toJobConfig.encryption=KMS is not supported by Ferry yet.'],
    ['a dek without encryption', { 'toJobConfig.encryption': 'NONE' }, 'toJobConfig.dek is set but toJobConfig.encryption is NONE'],
  ])('%s is refused when the job is created (Cdm.0014), naming the input', async (_what, to, message) => {
    const { c, bucket } = await setUp();
    const err = await c.refusedJob('bad', encryptJob(bucket, DEK, to));
    expect(err.errCode).toBe('Cdm.0014');
    expect(err.externalMessage).toContain(message);
    expect(err.externalMessage).not.toContain('abc123');
  });

  it('a bad fromJobConfig.dek is refused when the job is created', async () => {
    const { c, bucket } = await setUp();
    const err = await c.refusedJob('bad', decryptJob(bucket, 'not-a-key'));
    expect(err).toMatchObject({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining('fromJobConfig.dek must be 64 hexadecimal characters') });
    expect(err.externalMessage).not.toContain('not-a-key');
  });
});

describe('the dek is a secret', () => {
  it('is stored sealed (job, submission and partition items), shown masked by GET and list, and kept when a read-back job is saved', async () => {
    const { api, c, root, bucket } = await setUp();
    writeTree(join(root, 'in'), { 'x.bin': bytes(1000, 3) });
    await c.job('enc', encryptJob(bucket));
    const one = JSON.stringify((await api.call('GET', `${c.base}/job/enc`)).body);
    const all = JSON.stringify((await api.call('GET', `${c.base}/job/all`)).body);
    for (const shown of [one, all]) {
      expect(shown).not.toContain(DEK);
      expect(shown).toContain('{"name":"toJobConfig.dek","value":"******"}');
    }
    expect((await c.run('enc')).status).toBe('SUCCEEDED');

    // Saving the job as read back (the mask in place of the key) keeps the key.
    const readBack = (await api.call('GET', `${c.base}/job/enc`)).body.jobs[0];
    const put = await api.call('PUT', `${c.base}/job/enc`, { jobs: [readBack] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const again = await c.run('enc');
    expect(again.status, again['error-summary']).toBe('SUCCEEDED');
    await c.job('dec', decryptJob(bucket));
    expect((await c.run('dec')).status).toBe('SUCCEEDED');
    expect(treeMd5(join(root, 'out'))).toEqual(treeMd5(join(root, 'in')));

    const stored = await api.ferry.runtime.store.jobs.get('p1', c.id, 'enc');
    expect(stored!.to['toJobConfig.dek']).toMatch(/^local:v1:/);
    const dynamo = new DynamoDBClient({ endpoint: api.ferry.dynamoEndpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const items = JSON.stringify((await dynamo.send(new ScanCommand({ TableName: 'ferry' }))).Items);
    dynamo.destroy();
    expect(items).toContain('SUB#');
    expect(items).toContain('local:v1:');
    expect(items.toLowerCase()).not.toContain(DEK);
    const history = JSON.stringify((await api.call('GET', `${c.base}/submissions?jname=enc`)).body);
    expect(history).not.toContain(DEK);
  });
});
