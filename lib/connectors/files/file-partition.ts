// Splits a file read into slices (throttlingConfig.numExtractors, one or more): each slice is the job's
// own from-inputs plus the files it reads as planning listed them (path, name at the
// destination, size, modification time), so slices are disjoint, a partition's resume
// position (file, entry, record) always refers to the same list, and no partition lists
// the store again. Files go largest first to the slice with the fewest bytes so far (ties
// by path), which keeps the slices' bytes close. A slice whose list would not fit its
// partition item (DynamoDB holds 400 KB) instead takes the files whose path hashes to it:
// still disjoint and deterministic, balanced by count rather than bytes, listed again by
// each partition.
import { createHash } from 'node:crypto';
import type { InputMap } from '../../model/config-values';
import type { SelectedFile } from './file-select';

/** Ferry's own from-input naming a slice's files; not a CDM input, so no job can set it. */
export const SLICE_INPUT = 'ferry.fileSlice';

/** Bytes of file list one slice may carry in its inputs. */
export const SLICE_LIST_BUDGET = 100 * 1024;

/** A planned file: [path, rel, size, mtime]. */
type PlannedFile = [string, string, number, number];

/** `paths`: a slice planned before slices carried their files (a run in flight across an upgrade), listed again. */
type Slice = { files: PlannedFile[] } | { hash: number; of: number } | { paths: string[] };

export function partitionFiles(from: InputMap, files: readonly SelectedFile[], n: number): InputMap[] {
  // One slice at least, even of no files: it carries the list planning made.
  const count = Math.max(1, Math.min(n, files.length));
  const bins = Array.from({ length: count }, () => ({ bytes: 0, files: [] as PlannedFile[] }));
  const bySize = [...files].sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  for (const f of bySize) {
    const bin = bins.reduce((min, b) => (b.bytes < min.bytes ? b : min));
    bin.bytes += f.size;
    bin.files.push([f.path, f.rel, f.size, f.mtime]);
  }
  const lists = bins.map((b) => JSON.stringify({ files: b.files.sort((x, y) => (x[0] < y[0] ? -1 : 1)) } satisfies Slice));
  const fits = lists.every((l) => l.length <= SLICE_LIST_BUDGET);
  return lists.map((list, i): InputMap => ({ ...from, [SLICE_INPUT]: fits ? list : JSON.stringify({ hash: i, of: count } satisfies Slice) }));
}

/** The files planning gave this slice, in path order; undefined when the slice lists none (the store is listed). */
export function plannedFiles(from: InputMap): SelectedFile[] | undefined {
  const text = from[SLICE_INPUT];
  const slice = text ? (JSON.parse(text) as Slice) : undefined;
  if (!slice || !('files' in slice)) return undefined;
  return slice.files.map(([path, rel, size, mtime]) => ({ path, rel, size, mtime }));
}

/** Whether a listed file belongs to the slice the inputs name (every file when they name none). */
export function sliceFilter(from: InputMap): (path: string) => boolean {
  const text = from[SLICE_INPUT];
  const slice = text ? (JSON.parse(text) as Slice) : undefined;
  if (!slice || 'files' in slice) return () => true;
  if ('paths' in slice) {
    const set = new Set(slice.paths);
    return (p) => set.has(p);
  }
  return (p) => createHash('md5').update(p).digest().readUInt32BE(0) % slice.of === slice.hash;
}
