// A bucket of any S3-compatible store (Huawei OBS, Amazon S3, MinIO, COS, KODO) as a
// FileStore. Staged files are multipart uploads: invisible until completed, parts
// replaceable by number, completion idempotent (a completed upload is recognised by its object).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';
import type { FileInfo, FileStore, StagedFile } from '../files/file-store';
import { directRead, storeIdleMs, withSocketReads } from './socket-reads';

/** S3 refuses parts below 5 MiB except the last one. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3 and OBS complete an upload of at most 10,000 parts. */
const MAX_PARTS = 10_000;

/**
 * Bytes of an object read ahead of its reader. The engine already reads the next batch while
 * the sink writes (engine/read-ahead.ts); this only keeps the socket busy between pieces, so
 * it stays small: every partition in flight holds it.
 */
const READ_AHEAD_BYTES = 1024 * 1024;

/** Reads of at least this many bytes come straight from a socket of their own (socket-reads.ts); smaller ones keep pooled connections. */
const DIRECT_READ_BYTES = 8 * 1024 * 1024;

/**
 * Parts and whole files are signed without hashing their bytes (SigV4's UNSIGNED-PAYLOAD, which
 * S3 and OBS accept): over plain HTTP the SDK would SHA-256 every byte uploaded in JavaScript's
 * thread. Integrity checks are toJobConfig.validateMD5's.
 */
const unsignedPayload = {
  step: 'build' as const,
  name: 'ferryUnsignedPayload',
};

/** Bytes a streamed upload takes before its writer waits: one binary piece (file-source.ts PIECE_BYTES) and a byte. */
const STREAM_AHEAD_BYTES = 8 * 1024 * 1024 + 1;

/**
 * The server and account of each client (never shown), and the client and bucket of each store:
 * a copy between two stores with the same account on the same server stays inside the server.
 */
const accounts = new WeakMap<S3Client, string>();
const buckets = new WeakMap<FileStore, { client: S3Client; bucket: string }>();

/**
 * How long the store may keep Ferry waiting. A host that takes no connection within
 * CONNECT_TIMEOUT_MS, or a connection silent for storeIdleMs() (no byte either way: a hung
 * server, a wrong port behind a proxy), fails the request (the SDK tries 3 times), where before
 * a run waited for ever. A link test tries once, silent at most LINK_TEST_IDLE_MS: its caller
 * waits on it. (Reads of large objects keep their own sockets: socket-reads.ts.)
 */
const CONNECT_TIMEOUT_MS = 30_000;
const LINK_TEST_IDLE_MS = 20_000;

export function obsClient(link: InputMap, linkTest = false): S3Client {
  const raw = (link['linkConfig.server'] ?? '').trim();
  const port = link['linkConfig.port'] || '443';
  const scheme = /^https?:\/\//i.test(raw) ? raw.slice(0, raw.indexOf(':')).toLowerCase() : port === '80' ? 'http' : 'https';
  const host = raw.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  const hasPort = /:\d+$/.test(host);
  const defaultPort = (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
  const endpoint = `${scheme}://${host}${hasPort || defaultPort ? '' : `:${port}`}`;
  const client = new S3Client({
    endpoint,
    region: link['linkConfig.region'] || regionOf(host),
    // A plain-HTTP endpoint is a local or private server: no DNS for bucket subdomains.
    forcePathStyle: scheme === 'http',
    credentials: { accessKeyId: link['linkConfig.accessKey'] ?? '', secretAccessKey: link['linkConfig.securityKey'] ?? '' },
    maxAttempts: linkTest ? 1 : 3,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: linkTest ? Math.min(LINK_TEST_IDLE_MS, storeIdleMs()) : storeIdleMs() },
    // No CRC32 of every byte sent and received, computed in JavaScript: it cost a binary copy
    // as much CPU as the copy itself, and S3-compatible stores (OBS, older MinIO) do not all
    // take its trailers. Integrity checks are toJobConfig.validateMD5's (the stores' MD5 ETags).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  accounts.set(client, JSON.stringify([endpoint, link['linkConfig.region'] ?? '', link['linkConfig.accessKey'] ?? '', link['linkConfig.securityKey'] ?? '']));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers && ['UploadPartCommand', 'PutObjectCommand'].includes(context.commandName ?? '')) {
        request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    unsignedPayload,
  );
  withSocketReads(client);
  return client;
}

/** `obs.cn-north-4.myhuaweicloud.com`, `s3.eu-west-1.amazonaws.com` → their region. */
function regionOf(host: string): string {
  return /^(?:obs|s3)[.-]([a-z0-9-]+)\./.exec(host)?.[1] ?? 'us-east-1';
}

const code = (e: unknown) => (e instanceof S3ServiceException ? e.name : (e as { name?: string })?.name ?? '');
const isMissing = (e: unknown) => ['NoSuchKey', 'NotFound', 'NoSuchUpload'].includes(code(e));

/** Turns the store's refusals into messages a user can act on. */
export function explainS3(e: unknown, what: string, bucketCall = false): Error {
  const c = code(e);
  const msg = (e as Error)?.message ?? String(e);
  // HEAD answers carry no error body: only the status says what went wrong.
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (bucketCall && status === 404) return errors.extractFailed(`${what}: the bucket does not exist.`, e);
  if (bucketCall && status === 403) {
    return errors.dbConnectFailed(`${what}: the object store refused the link's access key or secret key (HTTP 403).`, e);
  }
  if (c === 'NoSuchBucket') return errors.extractFailed(`${what}: the bucket does not exist.`, e);
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'InvalidSecurity'].includes(c)) {
    return errors.dbConnectFailed(`${what}: the object store refused the link's access key or secret key (${c}: ${msg}).`, e);
  }
  if ((e as { code?: string })?.code === 'ECONNREFUSED') return errors.dbConnectFailed(`${what}: cannot connect to the object store (${msg}).`, e);
  // The SDK's own words name its module and settings: the user needs what happened.
  if (c === 'TimeoutError') return errors.dbConnectFailed(`${what}: the object store timed out (no connection, or no answer for ${storeIdleMs() / 1000} s).`, e);
  return errors.extractFailed(`${what}: ${c ? `${c}: ` : ''}${msg}`, e);
}

export function obsStore(client: S3Client, bucket: string): FileStore {
  const url = (key: string) => `obs://${bucket}/${key}`;
  const send = async <T>(what: string, fn: () => Promise<T>, bucketCall = false): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw explainS3(e, what, bucketCall);
    }
  };
  const headBucket = () => send(`Bucket ${bucket}`, () => client.send(new HeadBucketCommand({ Bucket: bucket })), true);
  /** An object's metadata, or undefined when there is no such object. */
  const head = (path: string) =>
    client
      .send(new HeadObjectCommand({ Bucket: bucket, Key: path }))
      .catch((e) => (isMissing(e) ? undefined : Promise.reject(explainS3(e, `Reading ${url(path)}`))));

  /**
   * Whether `file` was completed already. S3 names a completed object by the MD5 of its
   * parts' MD5s; servers that use the whole content's MD5 instead (s3rver) are recognised
   * by the exact size, written after the upload began (a clock-skew minute allowed).
   */
  async function isCompleted(file: StagedFile): Promise<boolean> {
    const { etags, sizes, startedAt } = file.state as { etags: string[]; sizes: number[]; startedAt: number };
    const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: file.path })).catch(() => undefined);
    if (!h) return false;
    const digests = Buffer.concat(etags.map((t) => Buffer.from(t.replace(/"/g, ''), 'hex')));
    if (h.ETag?.replace(/"/g, '') === `${createHash('md5').update(digests).digest('hex')}-${etags.length}`) return true;
    const size = sizes.reduce((a, b) => a + b, 0);
    return h.ContentLength === size && (h.LastModified?.getTime() ?? 0) >= startedAt - 60_000;
  }

  /** One part on its way; what comes back records it in its staged file (FileStore.sendPart). */
  const sendPart: NonNullable<FileStore['sendPart']> = async (file, index, data) => {
    const uploadId = file.state.uploadId as string;
    const r = await send(`Writing ${url(file.path)}`, () =>
      client.send(
        new UploadPartCommand({ Bucket: bucket, Key: file.path, UploadId: uploadId, PartNumber: index + 1, Body: data }),
      ),
    );
    const etag = r.ETag!;
    // Only the size is kept: the bytes are free to go once sent.
    const size = data.length;
    return (f) => {
      const etags = [...(f.state.etags as string[])];
      const sizes = [...(f.state.sizes as number[])];
      etags[index] = etag;
      sizes[index] = size;
      return { path: f.path, state: { ...f.state, etags, sizes } };
    };
  };

  const store: FileStore = {
    label: `bucket ${bucket}`,
    describe: url,
    minPartBytes: MIN_PART_BYTES,
    maxParts: MAX_PARTS,
    statsAsListed: true,
    async check() {
      await headBucket();
    },
    async *list(path, directory) {
      const prefix = path ? `${path}/` : '';
      const page = (token?: string) =>
        send(`Listing ${url(prefix)}`, () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })));
      // A path names one object, or a "directory": every key under `path/`. Both are asked at
      // once, each a round trip before the first file; an object's path drops the listing.
      // Written with a trailing slash it names the directory only.
      let next = page();
      if (path && !directory) {
        next.catch(() => undefined);
        const one = await this.stat(path);
        if (one) {
          yield one;
          return;
        }
      }
      let found = false;
      for (;;) {
        const listed = await next;
        for (const o of listed.Contents ?? []) {
          if (!o.Key) continue;
          // A "folder" placeholder object holds no data, but says the folder exists (an empty
          // one is an empty input, as an empty directory on a disk is).
          found = true;
          if (o.Key.endsWith('/')) continue;
          yield { path: o.Key, size: o.Size ?? 0, mtime: o.LastModified?.getTime() ?? 0 } satisfies FileInfo;
        }
        if (!listed.IsTruncated) break;
        next = page(listed.NextContinuationToken);
      }
      if (!found && path) throw errors.extractFailed(`Input path ${url(path)} does not exist.`);
    },
    async stat(path) {
      const h = await head(path);
      return h && { path, size: h.ContentLength ?? 0, mtime: h.LastModified?.getTime() ?? 0 };
    },
    async read(path, start, listed) {
      const direct = listed !== undefined && listed - start >= DIRECT_READ_BYTES ? directRead() : undefined;
      const r = await send(`Reading ${url(path)}`, () =>
        client.send(
          new GetObjectCommand({ Bucket: bucket, Key: path, Range: start > 0 ? `bytes=${start}-` : undefined }),
          direct && { abortSignal: direct.signal },
        ),
      );
      // Its own stream reads ahead as far; destroying it closes the socket.
      if (direct) return r.Body as Readable;
      const ahead = new PassThrough({ readableHighWaterMark: READ_AHEAD_BYTES });
      // An error of either ends both: the reader sees the download's error, and a reader that
      // stops early (destroys its stream) closes the download.
      pipeline(r.Body as Readable, ahead, () => undefined);
      return ahead;
    },
    async get(path) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: path }));
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw explainS3(e, `Reading ${url(path)}`);
      }
    },
    async put(path, data) {
      await send(`Writing ${url(path)}`, () => client.send(new PutObjectCommand({ Bucket: bucket, Key: path, Body: data })));
    },
    putStream(path, size, aheadBytes = STREAM_AHEAD_BYTES) {
      // One piece may wait behind the one being sent, so the upload goes on while the engine
      // records progress between chunks; a third waits until both are sent.
      const body = new PassThrough({ highWaterMark: aheadBytes });
      const abort = new AbortController();
      const done = send(`Writing ${url(path)}`, () =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: path, Body: body, ContentLength: size }), { abortSignal: abort.signal }),
      );
      done.catch(() => body.destroy());
      // The request's failure is `done`'s; the body's own errors only follow from it.
      body.on('error', () => undefined);
      /** Resolves when the body has sent what it holds; rejects as soon as the request fails. */
      const drained = () =>
        body.writableNeedDrain ? Promise.race([new Promise<void>((ok) => body.once('drain', ok)), done.then(() => undefined)]) : Promise.resolve();
      return {
        async write(data) {
          await drained();
          if (body.destroyed) await done; // failed: rejects with the request's error
          body.write(data);
        },
        async end() {
          body.end();
          await done;
        },
        abort() {
          abort.abort();
          body.destroy();
        },
      };
    },
    copierFrom(source) {
      const origin = buckets.get(source);
      if (!origin || accounts.get(origin.client) !== accounts.get(client)) return undefined;
      return async (from, path) => {
        const key = from.split('/').map(encodeURIComponent).join('/');
        await send(`Copying obs://${origin.bucket}/${from} to ${url(path)}`, () =>
          client.send(new CopyObjectCommand({ Bucket: bucket, Key: path, CopySource: `${origin.bucket}/${key}` })),
        );
      };
    },
    async delete(path) {
      await send(`Deleting ${url(path)}`, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: path })));
    },
    async prepareDirectory() {
      // Object stores have no directories; the bucket must exist.
      await headBucket();
    },
    async begin(path): Promise<StagedFile> {
      const r = await send(`Starting ${url(path)}`, () =>
        client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: path })),
      );
      return { path, state: { uploadId: r.UploadId, etags: [], sizes: [], startedAt: Date.now() } };
    },
    sendPart,
    async writePart(file, index, _offset, data) {
      return (await sendPart(file, index, data))(file);
    },
    async commit(file) {
      const etags = file.state.etags as string[];
      try {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: file.path,
            UploadId: file.state.uploadId as string,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        );
      } catch (e) {
        // Completed already, by an invocation that crashed before it could record that:
        // S3 answers NoSuchUpload (other servers other errors), and the object in place
        // has exactly the ETag these parts complete to.
        if (await isCompleted(file)) return;
        throw explainS3(e, `Completing ${url(file.path)}`);
      }
    },
    async abort(file) {
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: file.path, UploadId: file.state.uploadId as string }))
        .catch(() => undefined);
    },
    partMd5s(file) {
      return (file.state.etags as (string | undefined)[]).map((t) => t?.replace(/"/g, '').toLowerCase());
    },
    async reportedMd5(path) {
      return (await head(path))?.ETag?.replace(/"/g, '').toLowerCase();
    },
    async close() {
      client.destroy();
    },
  };
  buckets.set(store, { client, bucket });
  return store;
}

/** A link test: the endpoint answers and accepts the keys. */
export async function testObsLink(link: InputMap): Promise<void> {
  const client = obsClient(link, true);
  try {
    await client.send(new ListBucketsCommand({}));
  } catch (e) {
    throw explainS3(e, `Object store ${link['linkConfig.server']}`);
  } finally {
    client.destroy();
  }
}
