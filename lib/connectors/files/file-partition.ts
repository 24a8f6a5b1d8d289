// Splits a file read into slices (throttlingConfig.numExtractors, one or more): each slice is the job's
// own from-inputs plus the files it reads as planning listed them (path, name at the
// destination, size, modification time), so slices are disjoint, a partition's resume
// position (file, entry, record) always refers to the same list, and no partition lists
// the store again. Files go largest first to the slice with the fewest bytes so far (ties
// by path), which keeps the slices' bytes close. A slice whose list would not fit its
// partition item (DynamoDB holds 400 KB) instead takes the files whose path hashes to it:
// still disjoint and deterministic, balanced by count rather than bytes, listed again by
// each partition, which must then find the files and bytes planning counted for it: a file
// gone, added (the run's own output, written under the input) or grown fails the run.
import { createHash } from 'node:crypto';
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';
import type { SelectedFile } from './file-select';

/** Ferry's own from-input naming a slice's files; not a CDM input, so no job can set it. */
export const SLICE_INPUT = 'ferry.fileSlice';

/** Bytes of file list one slice may carry in its inputs. */
export const SLICE_LIST_BUDGET = 100 * 1024;

/** A planned file: [path, rel, size, mtime]. */
type PlannedFile = [string, string, number, number];

/** `paths`: a slice planned before slices carried their files (a run in flight across an upgrade), listed again. */
type Slice = { files: PlannedFile[] } | { hash: number; of: number; count?: number; bytes?: number } | { paths: string[] };

/** The slice the inputs name, if any. */
function sliceOf(from: InputMap): Slice | undefined {
  const text = from[SLICE_INPUT];
  return text ? (JSON.parse(text) as Slice) : undefined;
}

/** The hash slice a path belongs to, of `of`. */
const slotOf = (path: string, of: number) => createHash('md5').update(path).digest().readUInt32BE(0) % of;

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
  if (fits) return lists.map((list): InputMap => ({ ...from, [SLICE_INPUT]: list }));
  const planned = Array.from({ length: count }, () => ({ count: 0, bytes: 0 }));
  for (const f of files) {
    const p = planned[slotOf(f.path, count)]!;
    p.count++;
    p.bytes += f.size;
  }
  return planned.map((p, i): InputMap => ({ ...from, [SLICE_INPUT]: JSON.stringify({ hash: i, of: count, ...p } satisfies Slice) }));
}

/** The files planning gave this slice, in path order; undefined when the slice lists none (the store is listed). */
export function plannedFiles(from: InputMap): SelectedFile[] | undefined {
  const slice = sliceOf(from);
  if (!slice || !('files' in slice)) return undefined;
  return slice.files.map(([path, rel, size, mtime]) => ({ path, rel, size, mtime }));
}

/** Whether a listed file belongs to the slice the inputs name (every file when they name none). */
export function sliceFilter(from: InputMap): (path: string) => boolean {
  const slice = sliceOf(from);
  if (!slice || 'files' in slice) return () => true;
  if ('paths' in slice) {
    const set = new Set(slice.paths);
    return (p) => set.has(p);
  }
  return (p) => slotOf(p, slice.of) === slice.hash;
}

/**
 * A slice that listed its files again: they must be what planning counted for it. Else files
 * were removed, added or changed since (the run's own output among them, when it is written
 * under the input), and copying this listing would pass over or add files without a word.
 */
export function checkSliceListing(from: InputMap, files: readonly SelectedFile[]): void {
  const slice = sliceOf(from);
  if (!slice || !('hash' in slice) || slice.count === undefined) return;
  const bytes = files.reduce((n, f) => n + f.size, 0);
  if (files.length === slice.count && bytes === slice.bytes) return;
  throw errors.extractFailed(
    `The input changed since the run was planned: part ${slice.hash + 1} of ${slice.of} of its files was ${slice.count} files of ${slice.bytes} bytes then, ` +
      `${files.length} files of ${bytes} bytes now (files removed, added or rewritten; an output directory inside the input adds the run's own files). Start the job again.`,
  );
}
