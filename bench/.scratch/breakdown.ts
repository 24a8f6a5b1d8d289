// One BINARY_FILE copy through the file source and sink (no engine), each store call timed.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileSink } from '../../lib/connectors/files/file-sink';
import { openFileSource } from '../../lib/connectors/files/file-source';
import type { FileStore } from '../../lib/connectors/files/file-store';
import { obsClient, obsStore } from '../../lib/connectors/obs/obs-store';
import { startS3Server } from '../support/s3-server';

const N = Number(process.argv[2] ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'ferry-scratch-'));
const s3 = await startS3Server(dir);
const times = new Map<string, { n: number; ms: number }>();
function timed(store: FileStore): FileStore {
  const t: any = {};
  for (const k of Object.keys(store) as (keyof FileStore)[]) {
    const v = store[k];
    if (typeof v !== 'function' || k === 'list' || k === 'describe') { t[k] = v; continue; }
    t[k] = async (...a: unknown[]) => {
      const t0 = performance.now();
      try { return await (v as any).apply(store, a); } finally {
        const e = times.get(k) ?? { n: 0, ms: 0 }; e.n++; e.ms += performance.now() - t0; times.set(k, e);
      }
    };
  }
  t.list = store.list.bind(store);
  t.describe = store.describe.bind(store);
  return t;
}
try {
  await s3.createBucket('src'); await s3.createBucket('dst');
  for (let i = 0; i < N; i++) await s3.put('src', `data/p${i}.bin`, randomBytes(64 * 1024 * 1024));
  const link = { 'linkConfig.server': 'http://127.0.0.1', 'linkConfig.port': String(s3.port), 'linkConfig.accessKey': 'S3RVER', 'linkConfig.securityKey': 'S3RVER' };
  const K = Number(process.argv[3] ?? 1);
  const t0 = performance.now();
  let readMs = 0;
  await Promise.all(Array.from({ length: K }, async (_x, k) => {
    const src = timed(obsStore(obsClient(link), 'src'));
    const dst = timed(obsStore(obsClient(link), 'dst'));
    const mine = Array.from({ length: N }, (_y, i) => i).filter((i) => i % K === k).map((i) => `/data/p${i}.bin`).join('|');
    const source = await openFileSource(src, { 'fromJobConfig.inputDirectory': mine, 'fromJobConfig.inputFormat': 'BINARY_FILE' });
    const run = { project: 'p', cluster: 'c', job: 'j', submissionId: 1, partition: k };
    const sink = await openFileSink(dst, { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE' }, run, source.schema);
    await sink.prepare();
    await sink.checkpoint();
    let tr = performance.now();
    let cp = { position: {}, rowsRead: 0, rowsWritten: 0, bytesRead: 0 };
    for await (const b of source.read(undefined, 10000)) {
      readMs += performance.now() - tr;
      cp = { ...cp, position: b.position, bytesRead: cp.bytesRead + b.bytes };
      await sink.write(b, cp);
      tr = performance.now();
    }
    await sink.seal?.(); await sink.finish();
    await sink.close(); await source.close();
  }));
  const total = performance.now() - t0;
  console.log(`total ${total.toFixed(0)} ms, ${(N * 67.108864 / (total / 1000)).toFixed(1)} MB/s; waiting for source pieces ${readMs.toFixed(0)} ms`);
  for (const [k, v] of times) console.log(`  ${k}: ${v.n} calls, ${v.ms.toFixed(0)} ms`);
} finally { await s3.close(); rmSync(dir, { recursive: true, force: true }); }
