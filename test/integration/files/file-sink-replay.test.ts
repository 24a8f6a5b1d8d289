// An encrypting file sink that dies after writing a part but before saving its checkpoint
// rewrites that part on retry; the part must hold the very same ciphertext, so the file
// decrypts whole. The crash is reproduced on a real directory: the tree as the dead
// invocation left it, with the checkpoint it had saved before the part.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, RunKey, TableSchema, Value } from '../../../lib/engine/types';
import { openWhole, parseDek, SEGMENT_BYTES } from '../../../lib/connectors/files/file-crypto';
import { openFileSink } from '../../../lib/connectors/files/file-sink';
import { BINARY_SCHEMA } from '../../../lib/connectors/files/file-source';
import { nasStore } from '../../../lib/connectors/nas/nas-store';
import { bytes, md5 } from './file-harness';

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
