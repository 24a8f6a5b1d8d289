// The local S3 server of the files bench: s3rver in a child process of its own (so that
// it shares no event loop with the bench or a peer), buckets in a directory the caller
// owns, and a client for preparing and checking objects.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PROJECT_ROOT } from '../../lib/local/embedded';
import { processCpuSeconds } from './timed-process';

export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

export interface BenchS3 {
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Plain requests: no flexible checksums, so a streamed body goes as it is. */
  readonly client: S3Client;
  /** CPU seconds the server has used so far: what a peer's run cost it is the difference. */
  cpuSeconds(): number;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: Buffer): Promise<void>;
  /** Key → MD5 of every object in the bucket (the ETag when it is one, else read and hashed). */
  md5s(bucket: string): Promise<Map<string, string>>;
  /** Deletes every object of the bucket (the disk space of a verified copy). */
  empty(bucket: string): Promise<void>;
  close(): Promise<void>;
}

export const s3Client = (endpoint: string) =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

/** Every key under `prefix` in `bucket`, page after page. */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function startS3Server(directory: string): Promise<BenchS3> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench/support/s3rver-main.ts'), directory], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /s3rver listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited (code ${code}) before listening: ${out}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = s3Client(endpoint);

  async function* objects(bucket: string) {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      yield* page.Contents ?? [];
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  return {
    pid: child.pid!,
    port,
    endpoint,
    client,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    async createBucket(name) {
      // A copy that runs again finds its (emptied) bucket in place.
      await client.send(new CreateBucketCommand({ Bucket: name })).catch((e: Error) => {
        if (!['BucketAlreadyExists', 'BucketAlreadyOwnedByYou'].includes(e.name)) throw e;
      });
    },
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async md5s(bucket) {
      const out = new Map<string, string>();
      for await (const o of objects(bucket)) {
        const etag = o.ETag?.replace(/"/g, '') ?? '';
        // A multipart ETag (`<md5 of part md5s>-<parts>`) is no content MD5: hash the bytes.
        if (/^[0-9a-f]{32}$/.test(etag)) out.set(o.Key!, etag);
        else {
          const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
          const hash = createHash('md5');
          for await (const chunk of r.Body as AsyncIterable<Buffer>) hash.update(chunk);
          out.set(o.Key!, hash.digest('hex'));
        }
      }
      return out;
    },
    async empty(bucket) {
      for await (const o of objects(bucket)) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    },
    async close() {
      client.destroy();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
