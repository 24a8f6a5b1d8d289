// The files bench's Node floor: every object under a prefix streamed from one bucket to another
// over bare TCP sockets. Each GET's body goes, as read, into its PUT's socket: no HTTP parser,
// no SDK, no stream layers, no checkpoint, reads landing in a few reused buffers. No Node
// program can move these bytes with less work of its own, so beside s3rver on the same
// cores it shows how near to rclone a Node process can come at all. Plain HTTP and
// Content-Length bodies only, as s3rver answers; requests are signed with SigV4 (UNSIGNED-PAYLOAD).
// Usage: s3-socket-relay-main.ts <endpoint> <from-bucket> <prefix> <to-bucket> <concurrency>.
// Prints `copied <objects> objects, <bytes> bytes in <seconds> s`.
import { createHash, createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { listKeys, S3_ACCESS_KEY, S3_SECRET_KEY, s3Client } from './s3-server';

const [endpoint, fromBucket, prefix, toBucket, concurrency] = process.argv.slice(2);
if (!endpoint || !fromBucket || prefix === undefined || !toBucket || !concurrency) {
  throw new Error('usage: s3-socket-relay-main.ts <endpoint> <from-bucket> <prefix> <to-bucket> <concurrency>');
}
const { hostname, port, host } = new URL(endpoint);
const REGION = 'us-east-1';
/** Read buffers, reused once the PUT has sent what was read into them. */
const BUFFER_BYTES = 256 * 1024;
/** Reads written to a PUT and not yet sent before its GET waits. */
const MAX_IN_FLIGHT = 8;

/** An HTTP/1.1 request head signed with SigV4, the payload unsigned. */
function requestHead(method: 'GET' | 'PUT', path: string, extra: Record<string, string> = {}): string {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const scope = `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`;
  const signed = { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': amzDate };
  const names = Object.keys(signed).join(';');
  const canonical = [method, path, '', ...Object.entries(signed).map(([k, v]) => `${k}:${v}`), '', names, 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = ['aws4_request', 's3', REGION, amzDate.slice(0, 8)].reduceRight<Buffer | string>(
    (k, part) => createHmac('sha256', k).update(part).digest(),
    `AWS4${S3_SECRET_KEY}`,
  );
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const headers = {
    ...signed,
    ...extra,
    connection: 'close',
    authorization: `AWS4-HMAC-SHA256 Credential=${S3_ACCESS_KEY}/${scope}, SignedHeaders=${names}, Signature=${signature}`,
  };
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

const pool: Buffer[] = [];
const takeBuffer = () => pool.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES);

/** A socket reading into pooled buffers; `onBytes` gets each read (and owns its buffer). */
function open(onBytes: (buf: Buffer, n: number) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), onread: { buffer: takeBuffer, callback: (n: number, buf: Uint8Array) => (onBytes(buf as Buffer, n), true) } }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Collects a response head; the bytes read past it are the body's first. */
function headReader() {
  let head = Buffer.alloc(0);
  return (buf: Buffer, n: number): { status: number; length: number; rest: Buffer } | undefined => {
    head = Buffer.concat([head, buf.subarray(0, n)]);
    pool.push(buf);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const text = head.subarray(0, end).toString('latin1');
    return { status: Number(text.split(' ')[1]), length: Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? -1), rest: head.subarray(end + 4) };
  };
}

async function relay(key: string): Promise<number> {
  const path = (bucket: string) => `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  let onGet: (buf: Buffer, n: number) => void = () => undefined;
  let onPut: (buf: Buffer, n: number) => void = () => undefined;
  const get = await open((b, n) => onGet(b, n));
  const put = await open((b, n) => onPut(b, n));
  try {
    return await new Promise<number>((resolve, reject) => {
      // The GET's connection closes once its body is sent; before that it is a failure.
      get.once('error', reject).once('close', () => left > 0 && reject(new Error(`GET ${key}: connection closed ${left} bytes early`)));
      put.once('error', reject).once('close', () => reject(new Error(`PUT ${key}: connection closed early`)));
      const putHead = headReader();
      onPut = (b, n) => {
        const r = putHead(b, n);
        if (r) r.status === 200 ? resolve(length) : reject(new Error(`PUT ${key}: HTTP ${r.status} ${r.rest}`));
      };
      let length = 0;
      let left = 1;
      let inFlight = 0;
      const send = (chunk: Buffer, owned?: Buffer) => {
        left -= chunk.length;
        inFlight++;
        put.write(chunk, () => {
          if (owned) pool.push(owned);
          if (--inFlight < MAX_IN_FLIGHT && get.isPaused()) get.resume();
        });
        if (inFlight >= MAX_IN_FLIGHT) get.pause();
      };
      const getHead = headReader();
      onGet = (b, n) => {
        const r = getHead(b, n);
        if (!r) return;
        if (r.status !== 200 || r.length < 0) return reject(new Error(`GET ${key}: HTTP ${r.status} ${r.rest}`));
        length = left = r.length;
        put.write(requestHead('PUT', path(toBucket!), { 'content-length': String(length) }));
        send(r.rest);
        onGet = (body, m) => send(body.subarray(0, m), body);
      };
      get.write(requestHead('GET', path(fromBucket!)));
    });
  } finally {
    get.destroy();
    put.destroy();
  }
}

const client = s3Client(endpoint);
const t0 = performance.now();
const keys = await listKeys(client, fromBucket, prefix);
client.destroy();

let bytes = 0;
let next = 0;
async function worker(): Promise<void> {
  while (next < keys.length) bytes += await relay(keys[next++]!);
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
console.log(`copied ${keys.length} objects, ${bytes} bytes in ${((performance.now() - t0) / 1000).toFixed(3)} s`);
