// Which files a job reads: the paths of `inputDirectory`, minus Ferry's bookkeeping,
// `.md5` siblings and marker files, filtered by `filterType` WILDCARD or TIME (modification
// time), narrowed to the partition's slice (file-partition.ts: the files planning gave it,
// or those whose path hashes to it), in one stable order (by path), so a resumed read skips
// exactly the files an earlier invocation finished. When the files keep their names at the
// destination (BINARY_FILE), two that would land on one name fail the selection.
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';
import { checkSliceListing, plannedFiles, sliceFilter } from './file-partition';
import { inWindow, timeWindow } from './file-time-filter';
import { markerPaths } from './marker-file';
import { baseName, dirName, isFerryInternal, joinPath, normalizePath, type FileInfo, type FileStore } from './file-store';

export interface SelectedFile extends FileInfo {
  /** Path relative to the input path it was found under: its name at the destination. */
  readonly rel: string;
}

export interface SelectOptions {
  /** Zone of fromJobConfig.startTime/endTime (filterType TIME). */
  readonly timeZone?: string;
  /** Where a file lands at the destination, when that is its name there (BINARY_FILE): refuses collisions. */
  readonly landsAt?: (f: SelectedFile) => Promise<readonly Landing[]>;
}

/** A destination name, relative to the output directory, and what lands there (a file, a ZIP entry) as messages name it. */
export interface Landing {
  readonly name: string;
  readonly source: string;
}

export async function selectFiles(store: FileStore, from: InputMap, opts: SelectOptions = {}): Promise<SelectedFile[]> {
  // A partition reads the files planning selected for it.
  const planned = plannedFiles(from);
  if (planned) return planned;
  // A path written with a trailing slash (`/in/`) names a directory, never a file of that name.
  const roots = from['fromJobConfig.inputDirectory']!
    .split(from['fromJobConfig.fileSeparator'] || '|')
    .map((p) => ({ root: normalizePath(p), directory: /\/\s*$/.test(p) }));
  const md5Suffix = from['fromJobConfig.md5FileSuffix'];
  const wildcard = from['fromJobConfig.filterType'] === 'WILDCARD';
  const pathFilter = wildcard ? patterns(from['fromJobConfig.pathFilter']) : undefined;
  const fileFilter = wildcard ? patterns(from['fromJobConfig.fileFilter']) : undefined;
  const inSlice = sliceFilter(from);
  const markers = new Set(markerPaths(from));
  const window = timeWindow(from, opts.timeZone ?? 'UTC');

  const byPath = new Map<string, SelectedFile>();
  for (const { root, directory } of roots) {
    for await (const f of store.list(root, directory)) {
      if (isFerryInternal(f.path) || markers.has(f.path)) continue;
      if (md5Suffix && f.path.endsWith(md5Suffix)) continue;
      // In the form a destination path takes (joinPath): keys `in//x` and `/in/x` would land
      // where `in/x` does, and only names compared in that form show the collision.
      const rel = joinPath(f.path === root ? baseName(f.path) : root === '' ? f.path : f.path.slice(root.length + 1));
      if (pathFilter && !pathFilter.some((p) => p.test(dirName(rel)))) continue;
      if (fileFilter && !fileFilter.some((p) => p.test(baseName(rel)))) continue;
      if (window && !inWindow(window, knownMtime(store, f))) continue;
      byPath.set(f.path, { ...f, rel });
    }
  }
  const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // Every candidate, not just this slice's: two files landing on one name may fall in different slices.
  if (opts.landsAt) await refuseCollisions(files, opts.landsAt);
  const mine = files.filter((f) => inSlice(f.path));
  checkSliceListing(from, mine);
  return mine;
}

/** filterType TIME: a file whose time the store cannot tell would be passed over or taken without a word. */
function knownMtime(store: FileStore, f: FileInfo): number {
  if (Number.isNaN(f.mtime)) {
    throw errors.extractFailed(
      `fromJobConfig.filterType TIME cannot be applied: the ${store.label} gives no modification time of ${store.describe(f.path)}.`,
    );
  }
  return f.mtime;
}

/**
 * Two files landing on one destination name: one would replace the other (or both race for
 * it), and FILES_WRITTEN would count both. Refused before anything is written, naming both.
 */
async function refuseCollisions(files: readonly SelectedFile[], landsAt: (f: SelectedFile) => Promise<readonly Landing[]>): Promise<void> {
  const taken = new Map<string, string>();
  for (const f of files) {
    for (const { name, source } of await landsAt(f)) {
      const other = taken.get(name);
      if (other !== undefined) {
        throw errors.invalidParameter(
          `${other} and ${source} would both be written as ${name}: a BINARY_FILE copy keeps each file's path relative to its input path, so one would replace the other. Select only one of them (fromJobConfig.inputDirectory, pathFilter, fileFilter) or copy them in separate jobs.`,
        );
      }
      taken.set(name, source);
    }
  }
}

/** Comma-separated wildcards (`*` any run of characters, `?` one) as anchored regexes; none → undefined. */
export function patterns(list: string | undefined): RegExp[] | undefined {
  const parts = (list ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return undefined;
  return parts.map(
    (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's'),
  );
}
