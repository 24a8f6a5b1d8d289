// The two kinds of file store a file-source suite runs over (describe.each): a NAS
// directory and an OBS bucket on s3rver. Each gives a link in a test cluster, the job
// inputs that point at a directory in it, and ways to put files there (with a chosen
// modification time) and to read a directory back as relative path → MD5.
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type TestS3 } from '../../support/s3';
import { link, md5, treeMd5, writeTree, type cluster } from './file-harness';

type Cluster = Awaited<ReturnType<typeof cluster>>;

export interface StoreArea {
  readonly linkName: string;
  readonly connector: string;
  /** The from-inputs reading `dir`, plus `extra`. */
  from(dir: string, extra?: Record<string, string>): Record<string, string>;
  /** The to-inputs writing to `dir`, plus `extra`. */
  to(dir: string, extra?: Record<string, string>): Record<string, string>;
  write(files: Record<string, string | Buffer>): Promise<void>;
  remove(path: string): Promise<void>;
  setModified(path: string, at: Date): void;
  /** Relative path → MD5 of every file under `dir` (Ferry's bookkeeping included, so leftovers show). */
  tree(dir: string): Promise<Record<string, string>>;
  read(path: string): Promise<Buffer>;
  /** How the store names a file in messages. */
  describe(path: string): string;
}

export interface StoreKind {
  readonly name: string;
  /** Creates the store's link (`linkName`) in `c` and an empty area to work in. */
  area(c: Cluster, linkName?: string): Promise<StoreArea>;
}

/** The NAS and OBS store kinds; registers the s3rver lifetime with the calling test file. */
export function useStores(): StoreKind[] {
  let s3: TestS3 | undefined;
  let buckets = 0;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(() => s3?.close());

  const nas: StoreKind = {
    name: 'nas-connector',
    async area(c, linkName = 'nas') {
      const root = mkdtempSync(join(tmpdir(), 'ferry-files-'));
      await c.links(link(linkName, 'nas-connector', { 'linkConfig.rootDirectory': root }));
      return {
        linkName,
        connector: 'nas-connector',
        from: (dir, extra = {}) => ({ 'fromJobConfig.inputDirectory': dir, ...extra }),
        to: (dir, extra = {}) => ({ 'toJobConfig.outputDirectory': dir, ...extra }),
        write: async (files) => writeTree(root, files),
        remove: async (path) => rmSync(join(root, path), { force: true }),
        setModified: (path, at) => utimesSync(join(root, path), at, at),
        tree: async (dir) => (existsSync(join(root, dir)) ? treeMd5(join(root, dir)) : {}),
        read: async (path) => readFileSync(join(root, path)),
        describe: (path) => join(root, path),
      };
    },
  };

  const obs: StoreKind = {
    name: 'obs-connector',
    async area(c, linkName = 'obs') {
      const server = s3!;
      const bucket = `files-${process.pid}-${++buckets}`;
      await server.createBucket(bucket);
      await c.links(
        link(linkName, 'obs-connector', {
          'linkConfig.server': server.server,
          'linkConfig.port': String(server.port),
          'linkConfig.accessKey': S3_ACCESS_KEY,
          'linkConfig.securityKey': S3_SECRET_KEY,
        }),
      );
      const get = async (key: string) =>
        Buffer.from(await (await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
      return {
        linkName,
        connector: 'obs-connector',
        from: (dir, extra = {}) => ({ 'fromJobConfig.bucketName': bucket, 'fromJobConfig.inputDirectory': dir, ...extra }),
        to: (dir, extra = {}) => ({ 'toJobConfig.bucketName': bucket, 'toJobConfig.outputDirectory': dir, ...extra }),
        async write(files) {
          for (const [key, body] of Object.entries(files)) {
            await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
          }
        },
        async remove(key) {
          await server.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        },
        setModified: (key, at) => server.setModified(bucket, key, at),
        async tree(dir) {
          const prefix = dir.replace(/^\/+|\/+$/g, '') + '/';
          const out: Record<string, string> = {};
          let token: string | undefined;
          do {
            const page = await server.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
            for (const o of page.Contents ?? []) out[o.Key!.slice(prefix.length)] = md5(await get(o.Key!));
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
          } while (token);
          return out;
        },
        read: get,
        describe: (key) => `obs://${bucket}/${key}`,
      };
    },
  };
  return [nas, obs];
}
