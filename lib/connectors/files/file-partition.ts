// Splits a file read into slices (throttlingConfig.numExtractors): each slice is the job's
// own from-inputs plus the files it reads, fixed at planning, so slices are disjoint and a
// partition's resume position (file, entry, record) always refers to the same list. Files
// go largest first to the slice with the fewest bytes so far (ties by path), which keeps
// the slices' bytes close. A slice whose list would not fit its partition item (DynamoDB
// holds 400 KB) instead takes the files whose path hashes to it: still disjoint and
// deterministic, balanced by count rather than bytes.
import { createHash } from 'node:crypto';
import type { InputMap } from '../../model/config-values';
import type { SelectedFile } from './file-select';

/** Ferry's own from-input naming a slice's files; not a CDM input, so no job can set it. */
export const SLICE_INPUT = 'ferry.fileSlice';

/** Bytes of path list one slice may carry in its inputs. */
export const SLICE_LIST_BUDGET = 100 * 1024;

type Slice = { paths: string[] } | { hash: number; of: number };

export function partitionFiles(from: InputMap, files: readonly SelectedFile[], n: number): InputMap[] | undefined {
  const count = Math.min(n, files.length);
  if (count < 2) return undefined;
  const bins = Array.from({ length: count }, () => ({ bytes: 0, paths: [] as string[] }));
  const bySize = [...files].sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  for (const f of bySize) {
    const bin = bins.reduce((min, b) => (b.bytes < min.bytes ? b : min));
    bin.bytes += f.size;
    bin.paths.push(f.path);
  }
  const fits = bins.every((b) => JSON.stringify(b.paths).length <= SLICE_LIST_BUDGET);
  return bins.map((b, i): InputMap => {
    const slice: Slice = fits ? { paths: b.paths.sort() } : { hash: i, of: count };
    return { ...from, [SLICE_INPUT]: JSON.stringify(slice) };
  });
}

/** Whether a file belongs to the slice the inputs name (every file when they name none). */
export function sliceFilter(from: InputMap): (path: string) => boolean {
  const text = from[SLICE_INPUT];
  if (!text) return () => true;
  const slice = JSON.parse(text) as Slice;
  if ('paths' in slice) {
    const set = new Set(slice.paths);
    return (p) => set.has(p);
  }
  return (p) => createHash('md5').update(p).digest().readUInt32BE(0) % slice.of === slice.hash;
}
