// A CSV export to an object store sends several parts at once (FileStore.sendPart). Its
// checkpoint must name only parts the store has, and every part before them: an executor that
// dies with parts on their way (one held back, later ones already landed) is resumed from its
// saved checkpoint, and the objects end byte-identical to a run that never crashed, each row
// once. Against s3rver, with the real obs store; only the held-back part is staged by the test.
import { describe, expect, it } from 'vitest';
import { openFileSink } from '../../../lib/connectors/files/file-sink';
import type { FileStore } from '../../../lib/connectors/files/file-store';
import { obsClient, obsStore } from '../../../lib/connectors/obs/obs-store';
import type { Checkpoint, RunKey, TableSchema, Value } from '../../../lib/engine/types';
import { useS3 } from '../../support/s3';
import { md5 } from './file-harness';
import { bucketObjects, savedPosition } from './obs-sink-harness';

const s3 = useS3();
const RUN: RunKey = { project: 'p', cluster: 'c', job: 'j', submissionId: 1, partition: 0 };
const SCHEMA: TableSchema = { engine: 'test', columns: [{ name: 'line', type: 'string', nullable: false }], primaryKey: [] };
/** 40 batches of ~0.9 MB: parts of ~5.4 MB (the store's 5 MiB minimum), files of 16 MB. */
const BATCHES = 40;
const ROWS_PER_BATCH = 10_000;
const TO = {
  'toJobConfig.outputDirectory': '/out',
  'toJobConfig.outputFormat': 'CSV_FILE',
  'toJobConfig.lineSeparator': '\\n',
  'toJobConfig.writeFileSize': '16',
  'toJobConfig.filePrefix': 'rows',
};

const row = (n: number) => `${n} ${'x'.repeat(86)}`;
const batch = (i: number): Value[][] => Array.from({ length: ROWS_PER_BATCH }, (_v, k) => [row(i * ROWS_PER_BATCH + k)]);
const cp = (n: number): Checkpoint => ({ position: { n }, rowsRead: n * ROWS_PER_BATCH, rowsWritten: n * ROWS_PER_BATCH, bytesRead: 0 });
const store = (bucket: string) => obsStore(obsClient(s3.linkInputs()), bucket);

/** Writes batches `from`.. to the end, as a fresh executor resuming at the sink's checkpoint would. */
async function writeFrom(sink: Awaited<ReturnType<typeof openFileSink>>, from: number): Promise<void> {
  for (let i = from; i < BATCHES; i++) await sink.write({ rows: batch(i), position: { n: i + 1 }, bytes: 0 }, cp(i + 1));
  await sink.seal!();
  await sink.finish();
  await sink.close();
}

/** Batches the saved checkpoint names written (0 before the first save, or while one is being written). */
const savedBatches = async (s: FileStore) => ((await savedPosition(s))?.n as number | undefined) ?? 0;

const objects = (bucket: string) => bucketObjects(s3.client, bucket);

/**
 * The obs store, but part `index` of the file named `name` is held back: it leaves only on
 * release(), and then lands in the store without its sender ever hearing of it (that executor
 * is dead). `landed` resolves once `after` parts sent after it are in the store.
 */
function holdingPart(real: FileStore, name: string, index: number, after: number) {
  let release!: () => void;
  const released = new Promise<void>((ok) => (release = ok));
  let sentAfter = 0;
  let later!: () => void;
  const landed = new Promise<void>((ok) => (later = ok));
  let held: Promise<unknown> | undefined;
  const holding: FileStore = {
    ...real,
    async sendPart(file, i, data) {
      const mine = file.path.endsWith(name);
      if (mine && i === index) {
        held = released.then(() => real.sendPart!(file, i, data));
        return new Promise(() => undefined);
      }
      const sent = await real.sendPart!(file, i, data);
      if (held && ++sentAfter === after) later();
      return sent;
    },
  };
  return { store: holding, landed, release: async () => (release(), await released, await held) };
}

describe('CSV parts in flight to an object store', () => {
  it('an executor that dies with parts on their way is resumed from its checkpoint: objects byte-identical to a clean run, each row once', async () => {
    await s3.createBucket('clean');
    await s3.createBucket('crash');

    const clean = await openFileSink(store('clean'), TO, RUN, SCHEMA);
    expect(await clean.checkpoint()).toBeUndefined();
    await writeFrom(clean, 0);

    // Executor 1: the second part of the first file is held back; the two after it land. With
    // three parts on their way the sink waits for the held one, and the executor dies there.
    const real = store('crash');
    const hold = holdingPart(real, 'rows_00000.csv', 1, 2);
    const dying = await openFileSink(hold.store, TO, RUN, SCHEMA);
    await dying.checkpoint();
    let written = 0;
    for (; written < BATCHES; written++) {
      const write = dying.write({ rows: batch(written), position: { n: written + 1 }, bytes: 0 }, cp(written + 1));
      if ((await Promise.race([write.then(() => 'written'), hold.landed.then(() => 'stuck')])) === 'stuck') break;
    }
    expect(written).toBeLessThan(BATCHES);
    // Its last save (in the background) is in the store before it dies.
    for (let saved = 0; saved === 0; await new Promise((r) => setTimeout(r, 20))) saved = await savedBatches(real);

    // Executor 2 resumes where the saved checkpoint says: after the first part, not after
    // the parts that landed unrecorded.
    const resumed = await openFileSink(store('crash'), TO, RUN, SCHEMA);
    const at = await resumed.checkpoint();
    const from = (at?.position.n as number | undefined) ?? 0;
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThan(written);
    // The dead executor's held part lands late, over the same part: the same bytes.
    await hold.release();
    await writeFrom(resumed, from);
    await real.close();

    const want = await objects('clean');
    const got = await objects('crash');
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    // ~35 MB in files of 16 MB: the export rolled over, and nothing of Ferry's own is left.
    expect([...want.keys()].sort()).toEqual(['out/rows_00000.csv', 'out/rows_00001.csv', 'out/rows_00002.csv']);
    for (const [key, bytes] of want) expect({ key, md5: md5(got.get(key)!), size: got.get(key)!.length }).toEqual({ key, md5: md5(bytes), size: bytes.length });
    // Each row once: the rows' numbers, in order across the objects, are 0, 1, 2, …
    const numbers = ['out/rows_00000.csv', 'out/rows_00001.csv', 'out/rows_00002.csv'].flatMap((k) =>
      got.get(k)!.toString('utf8').split('\n').filter(Boolean).map((l) => Number(l.slice(0, l.indexOf(' ')))),
    );
    expect(numbers.length).toBe(BATCHES * ROWS_PER_BATCH);
    expect(numbers.findIndex((n, i) => n !== i)).toBe(-1);
  });
});
