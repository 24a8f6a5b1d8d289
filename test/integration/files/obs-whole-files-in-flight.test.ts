// Whole small files go to an object store a batch at a time, one batch still on its way while
// the next one starts (file-sink.ts writeWholeFiles). The checkpoint must name only batches
// whose every file the store has, and every batch before them: an executor that dies with one
// file held back (a later batch already landed) is resumed from its saved checkpoint, and every
// object ends once, byte-identical, the file counters exact. Against s3rver, with the real obs
// store; only the held-back PUT is staged by the test. The state is saved in the background at
// most about once a second (file-sink.ts SAVE_SPACING_MS), and at once when the run seals.
import { describe, expect, it } from 'vitest';
import { openFileSink } from '../../../lib/connectors/files/file-sink';
import { BINARY_SCHEMA } from '../../../lib/connectors/files/file-source';
import type { FileStore } from '../../../lib/connectors/files/file-store';
import { obsClient, obsStore } from '../../../lib/connectors/obs/obs-store';
import type { Checkpoint, RunKey, Sink, Value } from '../../../lib/engine/types';
import { useS3 } from '../../support/s3';
import { bytes, md5 } from './file-harness';
import { bucketMd5s, savedPosition } from './obs-sink-harness';

const s3 = useS3();
const RUN: RunKey = { project: 'p', cluster: 'c', job: 'j', submissionId: 1, partition: 0 };
const TO = { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE' };
const BATCHES = 6;
const PER_BATCH = 3;
const name = (i: number) => `f${String(i).padStart(2, '0')}.bin`;
const content = (i: number) => bytes(300_000 + i, i + 1);
/** Batch `b`: PER_BATCH whole files, each one row [path, size, offset 0, bytes]. */
const batch = (b: number): Value[][] =>
  Array.from({ length: PER_BATCH }, (_v, k) => {
    const data = content(b * PER_BATCH + k);
    return [name(b * PER_BATCH + k), BigInt(data.length), 0n, data];
  });
const cp = (n: number): Checkpoint => ({ position: { n }, rowsRead: 0, rowsWritten: 0, bytesRead: 0 });
const store = (bucket: string) => obsStore(obsClient(s3.linkInputs()), bucket);
const write = (sink: Sink, b: number) => sink.write({ rows: batch(b), position: { n: b + 1 }, bytes: 0 }, cp(b + 1));

/** The batches the saved checkpoint names written (0 before the first save, or while one is being written). */
const savedBatches = async (s: FileStore) => ((await savedPosition(s))?.n as number | undefined) ?? 0;

const objectMd5s = (bucket: string) => bucketMd5s(s3.client, bucket);

describe('whole files on their way to an object store', () => {
  it('an executor that dies with a file held back is resumed from its checkpoint: every object once, byte-identical, counters exact', async () => {
    await s3.createBucket('whole');
    const real = store('whole');
    // Executor 1: the PUT of batch 1's first file is held back until the test releases it.
    let release!: () => void;
    const released = new Promise<void>((ok) => (release = ok));
    let landed: Promise<void> | undefined;
    const held: FileStore = {
      ...real,
      put: (path, data) => (path === `out/${name(PER_BATCH)}` ? (landed = released.then(() => real.put(path, data))) : real.put(path, data)),
    };
    const dying = await openFileSink(held, TO, RUN, BINARY_SCHEMA);
    await write(dying, 0);
    await write(dying, 1);
    // Batch 2 is sent, but its write waits for batch 1, which never completes: the executor dies there.
    const stuck = write(dying, 2);
    stuck.catch(() => undefined);
    for (let k = 0; k < PER_BATCH; k++) {
      while (!(await real.stat(`out/${name(2 * PER_BATCH + k)}`))) await new Promise((r) => setTimeout(r, 10));
    }
    // Batch 2 has landed, batch 1 has not: the saved checkpoint names batch 0 at most.
    expect(await savedBatches(real)).toBeLessThanOrEqual(1);

    // Executor 2 resumes at the saved checkpoint and writes every batch after it.
    const resumed = await openFileSink(store('whole'), TO, RUN, BINARY_SCHEMA);
    const from = ((await resumed.checkpoint())?.position.n as number | undefined) ?? 0;
    expect(from).toBeLessThanOrEqual(1);
    for (let b = from; b < BATCHES; b++) await write(resumed, b);
    // The dead executor's held PUT lands late, over the same key: the same object.
    release();
    await landed;
    await resumed.seal!();
    const counters = resumed.counters!();
    await resumed.finish();
    await resumed.close();

    const files = Array.from({ length: BATCHES * PER_BATCH }, (_v, i) => i);
    expect(await objectMd5s('whole')).toEqual(new Map(files.map((i) => [`out/${name(i)}`, md5(content(i))])));
    expect(counters).toMatchObject({ filesWritten: files.length, bytesWritten: files.reduce((n, i) => n + content(i).length, 0) });
  });

  it('many batches in quick succession cost a save now and then, not one each; sealing saves the last', async () => {
    await s3.createBucket('spaced');
    const real = store('spaced');
    const saves: number[] = [];
    const counted: FileStore = {
      ...real,
      put: (path, data) => (path.includes('.ferry-checkpoint/') && saves.push(Date.now()), real.put(path, data)),
    };
    const sink = await openFileSink(counted, TO, RUN, BINARY_SCHEMA);
    const started = Date.now();
    const batches = 4 * BATCHES;
    for (let b = 0; b < batches; b++) await write(sink, b);
    const writing = Date.now() - started;
    const before = saves.length;
    await sink.seal!();
    // Sealed: the last batch is saved.
    expect(await savedBatches(real)).toBe(batches);
    // While batches came, saves began at least a second apart (one every batch before).
    expect(before).toBeLessThanOrEqual(1 + Math.floor(writing / 1000));
    for (let i = 1; i < before; i++) expect(saves[i]! - saves[i - 1]!).toBeGreaterThanOrEqual(990);
    await sink.finish();
    await sink.close();
    const files = Array.from({ length: batches * PER_BATCH }, (_v, i) => i);
    expect(await objectMd5s('spaced')).toEqual(new Map(files.map((i) => [`out/${name(i)}`, md5(content(i))])));
  });
});
