// The files bench's S3 server process: s3rver on 127.0.0.1 and a free port, keeping its
// buckets in the directory given as the first argument. Prints `s3rver listening on <port>`
// once it accepts requests; SIGTERM closes it.
import { createRequire } from 'node:module';

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
// s3rver is CommonJS without type declarations; the slice of it used here is typed above.
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: Record<string, unknown>) => S3rverServer;

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3rver-main.ts <directory>');
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, vhostBuckets: false });
const { port } = await server.run();
console.log(`s3rver listening on ${port}`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
