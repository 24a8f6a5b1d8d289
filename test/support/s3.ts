// A real S3-protocol server for tests: s3rver, in-process, on a random port, storing
// its buckets in a throwaway directory. Its one account is S3RVER / S3RVER.
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverServer;

// s3rver is CommonJS without type declarations; the slice of it used here is typed above.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

export interface TestS3 {
  readonly port: number;
  /** `linkConfig.server` for a link to this server: plain HTTP, so path-style. */
  readonly server: string;
  /** A client for preparing and checking data directly. */
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Sets an object's last-modified time (s3rver reports its backing file's mtime). */
  setModified(bucket: string, key: string, at: Date): void;
  close(): Promise<void>;
}

export async function startS3(): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'ferry-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, vhostBuckets: false });
  const { port } = await server.run();
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
  });
  return {
    port,
    server: 'http://127.0.0.1',
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    setModified(bucket, key, at) {
      const parts = key.split('/');
      utimesSync(join(directory, bucket, ...parts.slice(0, -1), `${parts.at(-1)}._S3rver_object`), at, at);
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
