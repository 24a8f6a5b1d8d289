// File jobs split across extractors (throttlingConfig.numExtractors): each partition
// reads its own disjoint set of the selected files, in parallel executor invocations, and
// the run's file and byte counters add up exactly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionFiles, SLICE_INPUT, SLICE_LIST_BUDGET, sliceFilter } from '../../../lib/connectors/files/file-partition';
import { selectFiles } from '../../../lib/connectors/files/file-select';
import { openFileSource } from '../../../lib/connectors/files/file-source';
import { nasStore } from '../../../lib/connectors/nas/nas-store';
import { startApi, type Api } from '../../support/embedded';
import { bytes, cluster, counters, md5, writeTree } from './file-harness';
import { useStores, type StoreArea } from './file-stores';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const kinds = useStores();

/** A BINARY_FILE job `name` copying `in` to `out` of the area with three extractors. */
async function binaryJob(c: Awaited<ReturnType<typeof cluster>>, area: StoreArea, connector: string, name: string): Promise<void> {
  await c.job(name, {
    from: [area.linkName, connector],
    to: [area.linkName, connector],
    fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'BINARY_FILE' }),
    toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
    driver: { 'throttlingConfig.numExtractors': '3' },
  });
}

describe.each(kinds)('$name', (kind) => {
  it('numExtractors=3 copies 20 files of mixed sizes in three partitions, every file once, counters exact', async () => {
    api = await startApi({ concurrency: 3 });
    const c = await cluster(api);
    const area = await kind.area(c);
    // Sizes from empty to a multi-piece file, so balancing by bytes matters.
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 20; i++) files[`in/${i % 3 ? 'sub/' : ''}f${String(i).padStart(2, '0')}.bin`] = bytes(i === 7 ? 9 * 1024 * 1024 : i * 37_000, i + 1);
    await area.write(files);
    const sent: number[] = [];
    const send = api.ferry.runtime.queue.send.bind(api.ferry.runtime.queue);
    api.ferry.runtime.queue.send = (m, o) => (m.reason === 'partition' && sent.push(m.partition!), send(m, o));
    await binaryJob(c, area, kind.name, 'split');
    const s = await c.run('split');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(sent.sort()).toEqual([1, 2]);
    expect(s.partitions).toHaveLength(3);
    const expected = Object.fromEntries(Object.entries(files).map(([k, v]) => [k.slice('in/'.length), md5(v)]));
    expect(await area.tree('out')).toEqual(expected);
    const total = Object.values(files).reduce((n, b) => n + b.length, 0);
    expect(counters(s)).toMatchObject({
      FILES_READ: 20,
      FILES_WRITTEN: 20,
      FILES_SKIPPED: 0,
      TOTAL_FILES: 20,
      TOTAL_SIZE: total,
      BYTES_READ: total,
      BYTES_WRITTEN: total,
    });
  });

  it('a file planned for a partition but gone when the partition reads it fails the run, naming the file: it is never passed over', async () => {
    api = await startApi({ concurrency: 3 });
    const c = await cluster(api);
    const area = await kind.area(c);
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 6; i++) files[`in/f${i}.bin`] = bytes(1000 + i, i + 1);
    await area.write(files);
    // Planning has listed the files and sliced them; before any partition reads, one goes.
    const send = api.ferry.runtime.queue.send.bind(api.ferry.runtime.queue);
    let removed = false;
    api.ferry.runtime.queue.send = async (m, o) => {
      if (m.reason === 'partition' && !removed) {
        removed = true;
        await area.remove('in/f3.bin');
      }
      return send(m, o);
    };
    await binaryJob(c, area, kind.name, 'vanish');
    const s = await c.run('vanish');
    expect(removed).toBe(true);
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(area.describe('in/f3.bin'));
  });

  it('two input paths with a same-named file, planned into different partitions, fail the run at planning naming both: nothing is written', async () => {
    api = await startApi({ concurrency: 3 });
    const c = await cluster(api);
    const area = await kind.area(c);
    // Largest first to the emptiest slice: the two a.bin files go to different partitions.
    await area.write({ 'in/x/a.bin': bytes(5000, 1), 'in/y/a.bin': bytes(4000, 2), 'in/x/b.bin': bytes(100, 3), 'in/y/c.bin': bytes(100, 4) });
    await c.job('clash', {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/in/x|/in/y', { 'fromJobConfig.inputFormat': 'BINARY_FILE' }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
      driver: { 'throttlingConfig.numExtractors': '3' },
    });
    const s = await c.run('clash');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Cdm.0014: ${area.describe('in/x/a.bin')} and ${area.describe('in/y/a.bin')} would both be written as a.bin`);
    expect(await area.tree('out')).toEqual({});
  });

  it('CSV files read by three extractors into CSV: each partition writes its own output files, no row lost or doubled', async () => {
    api = await startApi({ concurrency: 3 });
    const c = await cluster(api);
    const area = await kind.area(c);
    const files: Record<string, string> = {};
    for (let i = 0; i < 9; i++) {
      files[`in/${i}.csv`] = Array.from({ length: 50 }, (_v, r) => `${i * 50 + r},row ${i}-${r}\n`).join('');
    }
    await area.write(files);
    await c.job('csv', {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'CSV_FILE' }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.lineSeparator': '\\n' }),
      driver: { 'throttlingConfig.numExtractors': '3' },
    });
    const s = await c.run('csv');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(await area.tree('out')).sort()).toEqual(['csv_00000.csv', 'csv_p1_00000.csv', 'csv_p2_00000.csv']);
    const lines: string[] = [];
    for (const name of Object.keys(await area.tree('out'))) lines.push(...(await area.read(`out/${name}`)).toString('utf8').trimEnd().split('\n'));
    expect(lines.sort()).toEqual(Object.values(files).flatMap((f) => f.trimEnd().split('\n')).sort());
    expect(counters(s)).toMatchObject({ ROWS_READ: 450, ROWS_WRITTEN: 450, FILES_READ: 9, TOTAL_FILES: 9, FILES_WRITTEN: 3 });
  });
});

describe.each(kinds)('$name, one extractor over several invocations', (kind) => {
  // Each invocation has less time left than the margin: it copies one chunk and hands over.
  const handingOver = () => startApi({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
  const files: Record<string, Buffer> = Object.fromEntries(['a', 'b', 'c', 'd'].map((n, i) => [`data/${n}.bin`, bytes(5 * 1024 * 1024 + i, 50 + i)]));

  it('an output directory inside the input directory: each input file is copied once, never the run\'s own output', async () => {
    api = await handingOver();
    const c = await cluster(api);
    const area = await kind.area(c);
    await area.write(files);
    await c.job('inside', {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/data', { 'fromJobConfig.inputFormat': 'BINARY_FILE' }),
      toInputs: area.to('/data/copy', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
    });
    const s = await c.run('inside');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const expected = Object.fromEntries(Object.entries(files).map(([k, v]) => [k.slice('data/'.length), md5(v)]));
    expect(await area.tree('data/copy')).toEqual(expected);
    const total = Object.values(files).reduce((n, b) => n + b.length, 0);
    expect(counters(s)).toMatchObject({ TOTAL_FILES: 4, FILES_READ: 4, FILES_WRITTEN: 4, TOTAL_SIZE: total, BYTES_WRITTEN: total });
  });

  it('a file listed when the run was planned and gone before a later invocation reaches it fails the run, naming it: it is never passed over', async () => {
    api = await handingOver();
    const c = await cluster(api);
    const area = await kind.area(c);
    await area.write(files);
    const send = api.ferry.runtime.queue.send.bind(api.ferry.runtime.queue);
    let removed = false;
    api.ferry.runtime.queue.send = async (m, o) => {
      if (m.reason === 'continue' && !removed) {
        removed = true;
        await area.remove('data/d.bin');
      }
      return send(m, o);
    };
    await c.job('gone', {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/data', { 'fromJobConfig.inputFormat': 'BINARY_FILE' }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
    });
    const s = await c.run('gone');
    expect(removed).toBe(true);
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(area.describe('data/d.bin'));
  });
});

describe.each(kinds)('$name, a file rewritten between two invocations that copy it', (kind) => {
  it('fails the run naming it, rather than joining its old bytes to its new ones: same size, later modification time', async () => {
    // Each invocation copies one 8 MB piece and hands over: the 20 MB file spans three.
    api = await startApi({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const c = await cluster(api);
    const area = await kind.area(c);
    const disk = kind.name === 'nas-connector' ? area : await kinds[0]!.area(c, 'disk');
    const old = bytes(20 * 1024 * 1024, 61);
    await area.write({ 'in/big.bin': old });
    area.setModified('in/big.bin', new Date('2024-01-01T00:00:00Z'));
    const send = api.ferry.runtime.queue.send.bind(api.ferry.runtime.queue);
    let rewritten = false;
    api.ferry.runtime.queue.send = async (m, o) => {
      if (m.reason === 'continue' && !rewritten) {
        rewritten = true;
        await area.write({ 'in/big.bin': bytes(20 * 1024 * 1024, 62) });
        area.setModified('in/big.bin', new Date('2024-01-01T01:00:00Z'));
      }
      return send(m, o);
    };
    await c.job('rewrite', {
      from: [area.linkName, kind.name],
      to: [disk.linkName, 'nas-connector'],
      fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'BINARY_FILE' }),
      toInputs: disk.to('/out', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
    });
    const s = await c.run('rewrite');
    expect(rewritten).toBe(true);
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`${area.describe('in/big.bin')} changed since it was listed`);
    expect(await disk.tree('out')).toEqual({});
  });

  it('a CSV file read in chunks across invocations: the resumed read never skips records counted in the old content', async () => {
    // 25,000 rows: three chunks of (at most) 10,000, one an invocation.
    api = await startApi({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const c = await cluster(api);
    const area = await kind.area(c);
    const csv = (v: string) => Array.from({ length: 25_000 }, (_r, i) => `${String(i).padStart(6, '0')},${v}\n`).join('');
    await area.write({ 'in/rows.csv': csv('a') });
    area.setModified('in/rows.csv', new Date('2024-01-01T00:00:00Z'));
    const send = api.ferry.runtime.queue.send.bind(api.ferry.runtime.queue);
    let rewritten = false;
    api.ferry.runtime.queue.send = async (m, o) => {
      if (m.reason === 'continue' && !rewritten) {
        rewritten = true;
        await area.write({ 'in/rows.csv': csv('b') });
        area.setModified('in/rows.csv', new Date('2024-01-01T01:00:00Z'));
      }
      return send(m, o);
    };
    await c.job('rows', {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'CSV_FILE' }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.lineSeparator': '\\n' }),
    });
    const s = await c.run('rows');
    expect(rewritten).toBe(true);
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`${area.describe('in/rows.csv')} changed since it was listed`);
  });
});

describe('a partition that lists its files again (its list too long to carry)', () => {
  it('must find the files and bytes planning counted for it: one gone, added or grown fails it, never passed over or copied unplanned', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ferry-slices-'));
    // Names long enough that 1,200 of them overflow what a slice may carry.
    const name = (n: number) => `in/${String(n).padStart(4, '0')}-${'n'.repeat(90)}.bin`;
    writeTree(root, Object.fromEntries(Array.from({ length: 1200 }, (_v, n) => [name(n), `file ${n}`])));
    const from = { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE' };
    const planned = await selectFiles(nasStore(root), from);
    const slices = partitionFiles(from, planned, 2);
    // The premise: the lists did not fit, so each slice lists again.
    expect(JSON.stringify(planned).length).toBeGreaterThan(SLICE_LIST_BUDGET);
    expect(slices.every((s) => 'hash' in JSON.parse(s[SLICE_INPUT]!))).toBe(true);
    const listed = async (slice: Record<string, string>) => (await selectFiles(nasStore(root), slice)).length;
    expect((await Promise.all(slices.map(listed))).reduce((a, b) => a + b)).toBe(1200);

    const owner = (path: string) => slices.find((s) => sliceFilter(s)(path))!;
    rmSync(join(root, name(7)));
    await expect(listed(owner(name(7)))).rejects.toThrow(/The input changed since the run was planned/);
    writeFileSync(join(root, name(7)), 'file 7');
    writeFileSync(join(root, name(8)), 'file 8, rewritten longer');
    await expect(listed(owner(name(8)))).rejects.toThrow(/The input changed since the run was planned/);
    writeFileSync(join(root, name(8)), 'file 8');
    writeFileSync(join(root, 'in/new.bin'), 'new');
    await expect(listed(owner('in/new.bin'))).rejects.toThrow(/The input changed since the run was planned/);
  });

  it('refuses a same-named pair even when the other file hashes to another partition', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ferry-slices-'));
    writeTree(root, { 'in/x/c.bin': 'from x', 'in/y/c.bin': 'from y' });
    const from = { 'fromJobConfig.inputDirectory': '/in/x|/in/y', 'fromJobConfig.inputFormat': 'BINARY_FILE' };
    const slices = [0, 1].map((hash) => ({ ...from, [SLICE_INPUT]: JSON.stringify({ hash, of: 2 }) }));
    // The premise: each file belongs to a different slice.
    expect(slices.map((s) => sliceFilter(s)('in/x/c.bin'))).toEqual([false, true]);
    expect(slices.map((s) => sliceFilter(s)('in/y/c.bin'))).toEqual([true, false]);
    for (const slice of slices) {
      await expect(openFileSource(nasStore(root), slice)).rejects.toThrow(
        `${join(root, 'in/x/c.bin')} and ${join(root, 'in/y/c.bin')} would both be written as c.bin`,
      );
    }
  });
});
