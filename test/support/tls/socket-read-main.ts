// A large object read over HTTPS through the obs store's socket reads (socket-reads.ts), in a
// process of its own: Node trusts a test CA only from NODE_EXTRA_CA_CERTS, read at start.
// Usage: socket-read-main.ts <port> <bucket> <key>; prints `<bytes> <md5>` of the body read.
import { createHash } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { directRead, withSocketReads } from '../../../lib/connectors/obs/socket-reads';

const [port, bucket, key] = process.argv.slice(2);
const client = new S3Client({
  endpoint: `https://localhost:${port}`,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'k', secretAccessKey: 's' },
  maxAttempts: 1,
});
withSocketReads(client);
try {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: directRead().signal });
  const hash = createHash('md5');
  let bytes = 0;
  for await (const chunk of r.Body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  console.log(`${bytes} ${hash.digest('hex')}`);
} finally {
  client.destroy();
}
