// A real S3-protocol server for tests: s3rver, in-process, on a random port, storing
// its buckets in a throwaway directory. Its one account is S3RVER / S3RVER.
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverServer;

// s3rver is CommonJS without type declarations; the slice of it used here is typed above.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

const LINK_SERVER = 'http://127.0.0.1';

export interface TestS3 {
  readonly port: number;
  /** `linkConfig.server` for a link to this server: plain HTTP, so path-style. */
  readonly server: string;
  /** An obs-connector link's inputs for this server and its account; `over` replaces some. */
  linkInputs(over?: Record<string, string>): Record<string, string>;
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
    server: LINK_SERVER,
    linkInputs: (over = {}) => ({
      'linkConfig.server': LINK_SERVER,
      'linkConfig.port': String(port),
      'linkConfig.accessKey': S3_ACCESS_KEY,
      'linkConfig.securityKey': S3_SECRET_KEY,
      ...over,
    }),
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

/**
 * An S3 server for the tests of the calling file or describe block: started before them and
 * closed after them. The handle it returns is filled in once the server runs.
 */
export function useS3(): TestS3 {
  const handle = {} as TestS3;
  beforeAll(async () => {
    Object.assign(handle, await startS3());
  });
  afterAll(() => handle.close?.());
  return handle;
}
