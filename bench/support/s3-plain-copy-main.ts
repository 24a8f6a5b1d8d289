// The files bench's "plain copy" peer: every object under a prefix streamed from one bucket
// to another with the SDK, GetObject body straight into PutObject, a few objects at a time
// and nothing else (no staging, no checkpoints): the most a client can get from the server.
// Usage: s3-plain-copy-main.ts <endpoint> <from-bucket> <prefix> <to-bucket> <concurrency>.
// Prints `copied <objects> objects, <bytes> bytes in <seconds> s`.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { listKeys, s3Client } from './s3-server';

const [endpoint, fromBucket, prefix, toBucket, concurrency] = process.argv.slice(2);
if (!endpoint || !fromBucket || prefix === undefined || !toBucket || !concurrency) {
  throw new Error('usage: s3-plain-copy-main.ts <endpoint> <from-bucket> <prefix> <to-bucket> <concurrency>');
}
const client = s3Client(endpoint);
const t0 = performance.now();
const keys = await listKeys(client, fromBucket, prefix);

let bytes = 0;
let next = 0;
async function worker(): Promise<void> {
  while (next < keys.length) {
    const key = keys[next++]!;
    const r = await client.send(new GetObjectCommand({ Bucket: fromBucket, Key: key }));
    await client.send(new PutObjectCommand({ Bucket: toBucket, Key: key, Body: r.Body as Readable, ContentLength: r.ContentLength }));
    bytes += r.ContentLength ?? 0;
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
console.log(`copied ${keys.length} objects, ${bytes} bytes in ${((performance.now() - t0) / 1000).toFixed(3)} s`);
client.destroy();
