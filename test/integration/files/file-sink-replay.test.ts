// An encrypting file sink that dies after writing a part but before saving its checkpoint
// rewrites that part on retry; the part must hold the very same ciphertext, so the file
// decrypts whole. The crash is reproduced on a real directory: the tree as the dead
// invocation left it, with the checkpoint it had saved before the part.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, RunKey, TableSchema, Value } from '../../../lib/engine/types';
import { openWhole, parseDek, SEGMENT_BYTES } from '../../../lib/connectors/files/file-crypto';
import { openFileSink } from '../../../lib/connectors/files/file-sink';
import { BINARY_SCHEMA } from '../../../lib/connectors/files/file-source';
import { dirName } from '../../../lib/connectors/files/file-store';
import { PROJECT_ROOT } from '../../../lib/local/embedded';
import { nasStore } from '../../../lib/connectors/nas/nas-store';
import { bytes, md5, treeMd5 } from './file-harness';

const DEK = '7a'.repeat(32);
const RUN: RunKey = { project: 'p', cluster: 'c', job: 'j', submissionId: 1, partition: 0 };
const STATE = join('out', '.ferry-checkpoint', 'p_c_j_1_0.json');
const TEXT_SCHEMA: TableSchema = { engine: 'test', columns: [{ name: 'line', type: 'string', nullable: true }], primaryKey: [] };

const to = (format: string) => ({
  'toJobConfig.outputDirectory': '/out',
  'toJobConfig.outputFormat': format,
  'toJobConfig.encryption': 'AES-256-GCM',
  'toJobConfig.dek': DEK,
  'toJobConfig.filePrefix': 'f',
});

const cp = (n: number): Checkpoint => ({ position: { n }, rowsRead: n, rowsWritten: n, bytesRead: 0 });

async function write(root: string, format: string, schema: TableSchema, batches: Value[][][], from: number) {
  const sink = await openFileSink(nasStore(root), to(format), RUN, schema);
  await sink.checkpoint();
  for (let i = from; i < batches.length; i++) await sink.write({ rows: batches[i]!, position: { n: i + 1 }, bytes: 0 }, cp(i + 1));
  await sink.seal!();
  await sink.finish();
  await sink.close();
}

describe.each([
  {
    format: 'BINARY_FILE',
    schema: BINARY_SCHEMA,
    file: 'a.bin',
    // One file in three pieces of whole segments and a short last one.
    batches: (() => {
      const data = bytes(4 * SEGMENT_BYTES + 1000, 11);
      const piece = (at: number, end: number): Value[] => ['a.bin', BigInt(data.length), BigInt(at), data.subarray(at, end)];
      return { data, rows: [[piece(0, 2 * SEGMENT_BYTES)], [piece(2 * SEGMENT_BYTES, 4 * SEGMENT_BYTES)], [piece(4 * SEGMENT_BYTES, data.length)]] };
    })(),
  },
  {
    format: 'CSV_FILE',
    schema: TEXT_SCHEMA,
    file: 'f_00000.csv',
    // Batches that end inside segments: parts carry partial segments over.
    batches: (() => {
      const rows = (k: number): Value[][] => Array.from({ length: 3000 }, (_v, i) => [`batch ${k} line ${i} ${'x'.repeat(i % 37)}`]);
      const all = [rows(0), rows(1), rows(2)];
      const data = Buffer.from(all.flat().map((r) => `${r[0]}\r\n`).join(''));
      return { data, rows: all };
    })(),
  },
])('$format', ({ format, schema, file, batches }) => {
  it('a part rewritten after a crash holds the same ciphertext, and the file decrypts whole', async () => {
    const [a, b] = [mkdtempSync(join(tmpdir(), 'ferry-replay-')), mkdtempSync(join(tmpdir(), 'ferry-replay-'))];
    // Invocation 1 writes batch 1 and saves; then writes batch 2's part and dies before saving.
    const sink = await openFileSink(nasStore(a), to(format), RUN, schema);
    await sink.checkpoint();
    await sink.write({ rows: batches.rows[0]!, position: { n: 1 }, bytes: 0 }, cp(1));
    const saved = readFileSync(join(a, STATE));
    await sink.write({ rows: batches.rows[1]!, position: { n: 2 }, bytes: 0 }, cp(2));
    await sink.close();
    cpSync(a, b, { recursive: true });
    writeFileSync(join(b, STATE), saved);

    // The retry resumes from the saved checkpoint: batch 2 again, then the rest.
    await write(b, format, schema, batches.rows, 1);
    // The run that never crashed, for comparison.
    await write(a, format, schema, batches.rows, 2);

    const [left, right] = [readFileSync(join(a, 'out', file)), readFileSync(join(b, 'out', file))];
    expect(md5(right)).toBe(md5(left));
    expect(md5(openWhole(parseDek(DEK, 'toJobConfig.dek'), right)!)).toBe(md5(batches.data));
  });
});

/** Prints where `put` writes each path (argv) before renaming it. */
const PRINT_PUT_TEMPS = `import('./lib/connectors/files/file-store.ts').then((m) => { for (const p of process.argv.slice(1)) console.log(m.putTempPathOf(p)); })`;

describe('a put cut off by a kill', () => {
  it('leaves nothing once the resumed slice has written the same files and finished', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ferry-killed-put-'));
    const store = nasStore(root);
    const files = [0, 1, 2].map((i) => ({ name: `f${i}.bin`, data: bytes(100_000 + i, i + 1) }));
    // What a process killed inside the whole-file PUT of f1, inside a checkpoint save and inside a
    // carry file leaves: cut-short temp files beside each.
    // Another process: the names are its own (a resumed executor never runs in the killed one's).
    const dead = ['out/f1.bin', `out/.ferry-checkpoint/p_c_j_1_0.json`, `out/.ferry-checkpoint/p_c_j_1_0.carry-0`];
    const names = execFileSync(process.execPath, ['--import', 'tsx', '-e', PRINT_PUT_TEMPS, ...dead], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    for (const temp of names.trim().split('\n')) {
      mkdirSync(join(root, dirName(temp)), { recursive: true });
      writeFileSync(join(root, temp), 'cut sh');
    }
    const sink = await openFileSink(store, { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE' }, RUN, BINARY_SCHEMA);
    expect(await sink.checkpoint()).toBeUndefined();
    for (const [i, f] of files.entries()) {
      const row: Value[] = [f.name, BigInt(f.data.length), 0n, f.data];
      await sink.write({ rows: [row], position: { n: i + 1 }, bytes: f.data.length }, cp(i + 1));
    }
    await sink.seal!();
    await sink.finish();
    await sink.close();
    // Every file once, byte for byte, and nothing else: no temp file, no checkpoint directory.
    expect(treeMd5(root)).toEqual(Object.fromEntries(files.map((f) => [`out/${f.name}`, md5(f.data)])));
    expect(readdirSync(join(root, 'out')).sort()).toEqual(files.map((f) => f.name));
  });
});
