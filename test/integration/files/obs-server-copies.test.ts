// Objects copied inside the server (one link for both buckets) go several at once per
// partition, and the checkpoint follows them in the source's order: it names a file only once
// it and every file before it are copied. An executor that dies with copies on their way (one
// held back, later ones already landed) is resumed from its saved checkpoint: every object ends
// at the destination once, with its source's MD5, none skipped. Against s3rver, with the real
// obs store, file source and file sink driven as the engine drives them; only the held-back
// copy is staged by the test.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { openFileSink } from '../../../lib/connectors/files/file-sink';
import { openFileSource } from '../../../lib/connectors/files/file-source';
import type { FileStore } from '../../../lib/connectors/files/file-store';
import { obsClient, obsStore } from '../../../lib/connectors/obs/obs-store';
import type { Checkpoint, RunKey, Sink, Source } from '../../../lib/engine/types';
import { useS3 } from '../../support/s3';
import { bytes, md5 } from './file-harness';
import { bucketMd5s, savedPosition } from './obs-sink-harness';

const s3 = useS3();
const RUN: RunKey = { project: 'p', cluster: 'c', job: 'j', submissionId: 1, partition: 0 };
/** Objects larger than a binary piece (8 MiB): each is handed over whole, and copied inside the server. */
const FILES = 8;
const SIZE = 8 * 1024 * 1024 + 100;
const name = (i: number) => `f${i}.bin`;
const TO = { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE' };
const from = (bucket: string) => ({ 'fromJobConfig.bucketName': bucket, 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE' });
const store = (bucket: string) => obsStore(obsClient(s3.linkInputs()), bucket);
/** A partition's read of a source bucket: its files listed now. */
const source = (bucket: string) => openFileSource(store(bucket), from(bucket));
const checkpointKey = 'out/.ferry-checkpoint/p_c_j_1_0.json';

/** A source bucket of FILES objects under in/; returns key → MD5. */
async function sourceBucket(bucket: string): Promise<Map<string, string>> {
  await s3.createBucket(bucket);
  const want = new Map<string, string>();
  for (let i = 0; i < FILES; i++) {
    const body = bytes(SIZE + i, 70 + i);
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `in/${name(i)}`, Body: body }));
    want.set(`out/${name(i)}`, md5(body));
  }
  return want;
}

const objectMd5s = (bucket: string) => bucketMd5s(s3.client, bucket);

const savedFile = async (s: FileStore) => (await savedPosition(s)) as { file?: string } | undefined;

/**
 * The destination store, its server-side copies watched: `copied` lists the source paths copied
 * (in the order the copies complete), `most` the most copies on their way at once. `hold(path)`
 * keeps that file's copy back until the test releases it; the executor that sent it never hears back.
 */
function watchedCopies(real: FileStore) {
  const copied: string[] = [];
  let active = 0;
  let most = 0;
  const held = new Map<string, { release: () => void; landed: Promise<void> }>();
  const watched: FileStore = {
    ...real,
    copierFrom(source) {
      const copy = real.copierFrom!(source);
      if (!copy) return undefined;
      return async (path, dest) => {
        most = Math.max(most, ++active);
        const hold = held.get(path);
        if (hold) {
          held.delete(path);
          let release!: () => void;
          const released = new Promise<void>((ok) => (release = ok));
          const landed = released.then(() => copy(path, dest)).then(() => void copied.push(path));
          hold.release = release;
          hold.landed = landed;
          return new Promise<void>(() => undefined);
        }
        try {
          await copy(path, dest);
          copied.push(path);
        } finally {
          active--;
        }
      };
    },
  };
  return {
    store: watched,
    copied,
    most: () => most,
    hold(path: string) {
      const h = { release: () => undefined, landed: Promise.resolve() } as { release: () => void; landed: Promise<void> };
      held.set(path, h);
      return { release: async () => (h.release(), await h.landed) };
    },
  };
}

/** One executor's turn, as the engine runs it: from the sink's checkpoint to the end, or until `stop` resolves. */
async function execute(read: Source, sink: Sink, stop?: Promise<void>): Promise<'done' | 'stopped'> {
  const start = await sink.checkpoint();
  let cp: Checkpoint = start ?? { position: {}, rowsRead: 0, rowsWritten: 0, bytesRead: 0 };
  const stopped = stop?.then(() => 'stopped' as const) ?? new Promise<never>(() => undefined);
  try {
    for await (const batch of read.read(start?.position, 1000, { fileStreamBytes: sink.fileStreamBytes?.() })) {
      cp = { ...cp, position: batch.position, bytesRead: cp.bytesRead + batch.bytes };
      if ((await Promise.race([sink.write(batch, cp).then(() => 'written' as const), stopped])) === 'stopped') return 'stopped';
    }
  } catch (e) {
    // A write that fails closes the sink, as the engine does: its saves end before anyone reads the state.
    await sink.close();
    throw e;
  }
  await sink.seal!();
  await sink.finish();
  await sink.close();
  return 'done';
}

describe('server-side copies of objects', () => {
  it('several objects are copied at once, never more than the sink allows, each object once with its MD5', async () => {
    const want = await sourceBucket('many-src');
    await s3.createBucket('many-dst');
    const dst = watchedCopies(store('many-dst'));
    const read = await source('many-src');
    const sink = await openFileSink(dst.store, TO, RUN, read.schema);
    expect(await execute(read, sink)).toBe('done');

    expect(dst.copied.sort()).toEqual([...Array(FILES).keys()].map((i) => `in/${name(i)}`));
    // Four on their way at once (COPIES_IN_FLIGHT): one at a time would show 1.
    expect(dst.most()).toBe(4);
    // Every object with its source's MD5, and nothing of Ferry's own left behind.
    expect(await objectMd5s('many-dst')).toEqual(want);
    expect(sink.counters!()).toMatchObject({ filesWritten: FILES, bytesWritten: FILES * SIZE + (FILES * (FILES - 1)) / 2 });
  });

  it('an executor that dies with copies on their way is resumed from its checkpoint: no object skipped, each copied into the same result', async () => {
    const want = await sourceBucket('crash-src');
    await s3.createBucket('crash-dst');
    const schema = (await source('crash-src')).schema;

    // Executor 1: the copy of f1 is held back; f0 and the copies after f1 complete. With four
    // on their way the sink waits for f1, and the executor dies there.
    const first = watchedCopies(store('crash-dst'));
    const held = first.hold('in/f1.bin');
    const landed = new Promise<void>((ok) => {
      const poll = () => (first.copied.includes('in/f3.bin') && first.copied.includes('in/f4.bin') ? ok() : setTimeout(poll, 10));
      poll();
    });
    const dying = await openFileSink(first.store, TO, RUN, schema);
    expect(await execute(await source('crash-src'), dying, landed)).toBe('stopped');
    expect(first.copied).toEqual(expect.arrayContaining(['in/f0.bin', 'in/f2.bin', 'in/f3.bin', 'in/f4.bin']));
    expect(first.copied).not.toContain('in/f1.bin');
    // Its checkpoint (saved in the background) names f0, not the files copied after the held one.
    let saved: { file?: string } | undefined;
    while (saved?.file !== 'in/f0.bin') {
      saved = await savedFile(store('crash-dst'));
      expect(saved?.file ?? 'in/f0.bin').toBe('in/f0.bin');
      await new Promise((r) => setTimeout(r, 20));
    }

    // Executor 2 resumes after f0: f1 and every later file are copied, f0 not again.
    const second = watchedCopies(store('crash-dst'));
    const resumed = await openFileSink(second.store, TO, RUN, schema);
    expect((await resumed.checkpoint())?.position).toMatchObject({ file: 'in/f0.bin', done: true });
    // The dead executor's held copy lands late, over the same key: the same object.
    await held.release();
    expect(await execute(await source('crash-src'), resumed)).toBe('done');
    expect(second.copied.sort()).toEqual([...Array(FILES).keys()].slice(1).map((i) => `in/${name(i)}`));

    expect(await objectMd5s('crash-dst')).toEqual(want);
  });

  it('a copy that fails fails the write, and the checkpoint stays before the file it could not copy', async () => {
    await sourceBucket('gone-src');
    await s3.createBucket('gone-dst');
    const read = await source('gone-src');
    // Listed, then deleted before its copy: the server answers NoSuchKey.
    await store('gone-src').delete('in/f2.bin');
    const sink = await openFileSink(store('gone-dst'), TO, RUN, read.schema);
    await expect(execute(read, sink)).rejects.toThrow(/f2\.bin/);
    const saved = await savedFile(store('gone-dst'));
    expect(saved?.file === undefined || saved.file < 'in/f2.bin').toBe(true);
    // A fresh executor resumes there and fails on the same file: f2 is never passed over.
    const again = await openFileSink(store('gone-dst'), TO, RUN, read.schema);
    expect(((await again.checkpoint())?.position as { file?: string } | undefined)?.file ?? '').not.toMatch(/f[2-7]/);
  });
});
