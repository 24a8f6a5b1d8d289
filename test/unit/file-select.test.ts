// Which files a job reads and the names they land under, over a bucket whose keys hold what
// a file system's paths cannot (empty segments: `a//b`, a leading `/`), which s3rver does not
// store either: a store double listing such keys, named as such.
import { describe, expect, it } from 'vitest';
import { openFileSource } from '../../lib/connectors/files/file-source';
import type { FileInfo, FileStore } from '../../lib/connectors/files/file-store';

/** A bucket double: lists the keys under `path/` (or all), as an object store does, keys verbatim. */
function bucketOf(keys: string[]): FileStore {
  const files: FileInfo[] = keys.map((path) => ({ path, size: 1, mtime: 0 }));
  return {
    describe: (p: string) => `obs://double/${p}`,
    async *list(path: string) {
      yield* files.filter((f) => path === '' || f.path.startsWith(`${path}/`));
    },
    async stat() {
      return undefined;
    },
  } as unknown as FileStore;
}

describe('destination names of keys with empty segments', () => {
  it.each([
    ['a double slash', 'in', ['in/x.bin', 'in//x.bin']],
    ['a leading slash, the whole bucket read', '/', ['in/x.bin', '/in/x.bin']],
  ])('%s: two keys that would land on one name fail the copy before anything is written, naming both', async (_what, dir, keys) => {
    const from = { 'fromJobConfig.inputDirectory': dir, 'fromJobConfig.inputFormat': 'BINARY_FILE' };
    await expect(openFileSource(bucketOf(keys), from)).rejects.toThrow(/obs:\/\/double\/.*x\.bin and obs:\/\/double\/.*x\.bin would both be written as/);
  });
});
