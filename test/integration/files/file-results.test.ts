// What a file job leaves beside its data for whoever consumes it: the marker file of a
// successful run (toJobConfig.markerFile), through the CDM API on the embedded runtime,
// to a directory (nas-connector) and a bucket of an S3-protocol server (s3rver).
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type TestS3 } from '../../support/s3';
import { bytes, cluster, link, md5, writeTree } from './file-harness';

const NAS = 'nas-connector';
const OBS = 'obs-connector';

let s3: TestS3;
let api: Api | undefined;
let bucketNo = 0;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(() => s3?.close());
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function setUp() {
  api = await startApi();
  const c = await cluster(api);
  const root = mkdtempSync(join(tmpdir(), 'ferry-results-'));
  const bucket = `results-${++bucketNo}`;
  await s3.createBucket(bucket);
  await c.links(
    link('disk', NAS, { 'linkConfig.rootDirectory': root }),
    link('s3', OBS, {
      'linkConfig.server': s3.server,
      'linkConfig.port': String(s3.port),
      'linkConfig.accessKey': S3_ACCESS_KEY,
      'linkConfig.securityKey': S3_SECRET_KEY,
    }),
  );
  return { api, c, root, bucket };
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

void text;
