// Slices of a file read (throttlingConfig.numExtractors): every selected file in exactly one
// slice, and a partition reads the files planning gave it — names, sizes and times as they
// were listed — without listing the store again, unless the list is too long to carry.
import { describe, expect, it } from 'vitest';
import { partitionFiles, SLICE_INPUT, SLICE_LIST_BUDGET } from '../../lib/connectors/files/file-partition';
import { selectFiles, type SelectedFile } from '../../lib/connectors/files/file-select';
import type { FileInfo, FileStore } from '../../lib/connectors/files/file-store';

const from = { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE' };

const filesOf = (n: number, pathLength = 0): SelectedFile[] =>
  Array.from({ length: n }, (_v, i) => {
    const rel = `${'d/'.repeat(pathLength)}f${String(i).padStart(6, '0')}.bin`;
    return { path: `in/${rel}`, rel, size: (i % 7) * 1000 + 1, mtime: 1_700_000_000_000 + i };
  });

/** A store that holds `files` and counts its listings. */
function storeOf(files: FileInfo[]) {
  const store = {
    lists: 0,
    async *list() {
      store.lists++;
      yield* files;
    },
  };
  return store as typeof store & FileStore;
}

describe('file slices', () => {
  it('give every file to exactly one slice, balanced by bytes, and a partition reads its files as planned without listing', async () => {
    const files = filesOf(50);
    const slices = partitionFiles(from, files, 3)!;
    expect(slices).toHaveLength(3);
    const store = storeOf([]);
    const read = await Promise.all(slices.map((s) => selectFiles(store, s)));
    expect(store.lists).toBe(0);
    const byPath = (a: SelectedFile, b: SelectedFile) => (a.path < b.path ? -1 : 1);
    expect(read.flat().sort(byPath)).toEqual([...files].sort(byPath));
    for (const slice of read) expect(slice).toEqual([...slice].sort(byPath));
    const bytes = read.map((s) => s.reduce((n, f) => n + f.size, 0));
    expect(Math.max(...bytes) - Math.min(...bytes)).toBeLessThanOrEqual(6001);
  });

  it('a list too long to carry makes each partition list the store and keep the files whose path hashes to it', async () => {
    const files = filesOf(2000, 30);
    expect(JSON.stringify(files).length / 3).toBeGreaterThan(SLICE_LIST_BUDGET);
    const slices = partitionFiles(from, files, 3)!;
    const store = storeOf(files);
    const read = await Promise.all(slices.map((s) => selectFiles(store, s)));
    expect(store.lists).toBe(3);
    expect(read.flat().map((f) => f.path).sort()).toEqual(files.map((f) => f.path).sort());
    for (const slice of read) expect(slice.length).toBeGreaterThan(500);
  });

  it('a slice planned before slices carried their files (a run in flight across an upgrade) lists the store and keeps its own paths', async () => {
    const files = filesOf(5);
    const store = storeOf(files);
    const slice = { ...from, [SLICE_INPUT]: JSON.stringify({ paths: [files[1]!.path, files[3]!.path] }) };
    expect(await selectFiles(store, slice)).toEqual([files[1], files[3]]);
    expect(store.lists).toBe(1);
  });

  it('fewer files than extractors make one slice a file; no file, or one extractor, one slice that still carries its list', () => {
    const planned = (slices: ReturnType<typeof partitionFiles>) => slices.map((s) => JSON.parse(s[SLICE_INPUT]!).files.map((f: unknown[]) => f[0]));
    expect(planned(partitionFiles(from, filesOf(1), 4))).toEqual([['in/f000000.bin']]);
    expect(planned(partitionFiles(from, filesOf(3), 1))).toEqual([['in/f000000.bin', 'in/f000001.bin', 'in/f000002.bin']]);
    expect(planned(partitionFiles(from, [], 4))).toEqual([[]]);
  });
});
