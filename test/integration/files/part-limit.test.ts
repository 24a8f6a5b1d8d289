// S3 and OBS complete a multipart upload of at most 10,000 parts. A file sink sends a binary
// file a part a piece and a text file a part every few MiB: equal parts of the minimum would
// end a file at 78 GiB (binary) or 49 GiB (a table exported without writeFileSize), the run
// failing there after hours of copying. Binary pieces grow with the file; text parts grow
// with their number (partBytesAt). Against s3rver (which takes any number of parts: the obs
// store here declares a lower limit, so the test's files stay small) and a sparse NAS file.
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileSink } from '../../../lib/connectors/files/file-sink';
import { openFileSource, pieceBytesFor } from '../../../lib/connectors/files/file-source';
import type { FileStore } from '../../../lib/connectors/files/file-store';
import { nasStore } from '../../../lib/connectors/nas/nas-store';
import { obsClient, obsStore } from '../../../lib/connectors/obs/obs-store';
import type { Checkpoint, RunKey, TableSchema, Value } from '../../../lib/engine/types';
import { useS3 } from '../../support/s3';
import { bucketObjects } from './obs-sink-harness';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const s3 = useS3();
const RUN: RunKey = { project: 'p', cluster: 'c', job: 'j', submissionId: 1, partition: 0 };
const SCHEMA: TableSchema = { engine: 'test', columns: [{ name: 'line', type: 'string', nullable: false }], primaryKey: [] };
const TO = { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.lineSeparator': '\\n', 'toJobConfig.filePrefix': 'rows' };
const ROWS_PER_BATCH = 10_000;
/** ~1 MiB a batch. */
const row = (n: number) => `${String(n).padStart(9, '0')} ${'x'.repeat(94)}`;
const batch = (i: number): Value[][] => Array.from({ length: ROWS_PER_BATCH }, (_v, k) => [row(i * ROWS_PER_BATCH + k)]);
const cp = (n: number): Checkpoint => ({ position: { n }, rowsRead: n * ROWS_PER_BATCH, rowsWritten: n * ROWS_PER_BATCH, bytesRead: 0 });

/** The obs store with a limit of `maxParts` parts a file; `parts` gets the size of each part sent. */
function limited(bucket: string, maxParts: number) {
  const real = obsStore(obsClient(s3.linkInputs()), bucket);
  const parts: number[] = [];
  const store: FileStore = {
    ...real,
    maxParts,
    sendPart: (file, index, data) => {
      parts.push(data.length);
      return real.sendPart!(file, index, data);
    },
  };
  return { store, parts };
}

async function writeBatches(store: FileStore, batches: number): Promise<void> {
  const sink = await openFileSink(store, TO, RUN, SCHEMA);
  try {
    for (let i = 0; i < batches; i++) await sink.write({ rows: batch(i), position: { n: i + 1 }, bytes: 0 }, cp(i + 1));
    await sink.seal!();
    await sink.finish();
  } finally {
    await sink.close();
  }
}

describe('a file larger than equal parts of the minimum could make', () => {
  it('a text file grows its parts with their number and stays within the store’s part limit, byte for byte', async () => {
    await s3.createBucket('grow');
    const { store, parts } = limited('grow', 2);
    // 24 batches of ~1 MiB: five parts of the 5 MiB minimum; here a first part of 5 MiB, then one of the rest (the second may hold 30 MiB).
    await writeBatches(store, 24);
    expect(parts.length).toBe(2);
    expect(parts[0]).toBeGreaterThanOrEqual(5 * MiB);
    const objects = await bucketObjects(s3.client, 'grow');
    expect([...objects.keys()]).toEqual(['out/rows_00000.csv']);
    const expected = Array.from({ length: 24 * ROWS_PER_BATCH }, (_v, n) => `${row(n)}\n`).join('');
    expect(objects.get('out/rows_00000.csv')!.toString('utf8') === expected).toBe(true);
  });

  it('a text file that would need more parts than the store completes fails naming writeFileSize, and no object appears', async () => {
    await s3.createBucket('over');
    const { store } = limited('over', 2);
    // 5 MiB + 30 MiB is the most two parts hold here.
    await expect(writeBatches(store, 40)).rejects.toThrow(/would take more than 2 parts.*toJobConfig\.writeFileSize/);
    const left = [...(await bucketObjects(s3.client, 'over')).keys()].filter((k) => !k.includes('.ferry-checkpoint'));
    expect(left).toEqual([]);
  });

  describe('a binary file over 78 GiB', () => {
    const root = mkdtempSync(join(tmpdir(), 'ferry-parts-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('is read in pieces of whole MiB few enough for 10,000 parts (a sparse 100 GiB file)', async () => {
      const size = 100 * GiB;
      const fd = openSync(join(root, 'big.img'), 'w');
      ftruncateSync(fd, size);
      closeSync(fd);
      const source = await openFileSource(nasStore(root), { 'fromJobConfig.inputDirectory': '/big.img', 'fromJobConfig.inputFormat': 'BINARY_FILE' });
      try {
        // 100 GiB / 10,000 is 10.24 MiB: pieces of 11 MiB, 9,310 of them.
        expect(await source.estimateRows()).toBe(Math.ceil(size / (11 * MiB)));
        const first = await source.read(undefined, 1000)[Symbol.asyncIterator]().next();
        const piece = first.value!.rows[0]!;
        expect((piece[3] as Buffer).length).toBe(11 * MiB);
        expect(first.value!.position).toMatchObject({ file: 'big.img', offset: 11 * MiB, done: false });
      } finally {
        await source.close();
      }
    });

    it('pieces of files up to S3’s 5 TiB object limit number 10,000 at most; up to 78 GiB they stay 8 MiB', () => {
      for (const size of [1, 8 * MiB, 78 * GiB, 10_000 * 8 * MiB, 10_000 * 8 * MiB + 1, 100 * GiB, 1024 * GiB, 5 * 1024 * GiB]) {
        const piece = pieceBytesFor(size);
        expect(piece % MiB).toBe(0);
        expect(Math.ceil(size / piece)).toBeLessThanOrEqual(10_000);
        if (size <= 10_000 * 8 * MiB) expect(piece).toBe(8 * MiB);
      }
    });
  });
});
