// Which files a job reads: the paths of `inputDirectory`, minus Ferry's bookkeeping,
// `.md5` siblings and marker files, filtered by `filterType` WILDCARD or TIME (modification
// time), narrowed to the partition's slice (file-partition.ts: the files planning gave it,
// or those whose path hashes to it), in one stable order (by path), so a resumed read skips
// exactly the files an earlier invocation finished.
import type { InputMap } from '../../model/config-values';
import { plannedFiles, sliceFilter } from './file-partition';
import { inWindow, timeWindow } from './file-time-filter';
import { markerPaths } from './marker-file';
import { baseName, dirName, isFerryInternal, normalizePath, type FileInfo, type FileStore } from './file-store';

export interface SelectedFile extends FileInfo {
  /** Path relative to the input path it was found under: its name at the destination. */
  readonly rel: string;
}

export interface SelectOptions {
  /** Zone of fromJobConfig.startTime/endTime (filterType TIME). */
  readonly timeZone?: string;
}

export async function selectFiles(store: FileStore, from: InputMap, opts: SelectOptions = {}): Promise<SelectedFile[]> {
  // A partition reads the files planning selected for it.
  const planned = plannedFiles(from);
  if (planned) return planned;
  const roots = from['fromJobConfig.inputDirectory']!
    .split(from['fromJobConfig.fileSeparator'] || '|')
    .map(normalizePath);
  const md5Suffix = from['fromJobConfig.md5FileSuffix'];
  const wildcard = from['fromJobConfig.filterType'] === 'WILDCARD';
  const pathFilter = wildcard ? patterns(from['fromJobConfig.pathFilter']) : undefined;
  const fileFilter = wildcard ? patterns(from['fromJobConfig.fileFilter']) : undefined;
  const inSlice = sliceFilter(from);
  const markers = new Set(markerPaths(from));
  const window = timeWindow(from, opts.timeZone ?? 'UTC');

  const byPath = new Map<string, SelectedFile>();
  for (const root of roots) {
    for await (const f of store.list(root)) {
      if (isFerryInternal(f.path) || markers.has(f.path) || !inSlice(f.path)) continue;
      if (md5Suffix && f.path.endsWith(md5Suffix)) continue;
      const rel = f.path === root ? baseName(f.path) : root === '' ? f.path : f.path.slice(root.length + 1);
      if (pathFilter && !pathFilter.some((p) => p.test(dirName(rel)))) continue;
      if (fileFilter && !fileFilter.some((p) => p.test(baseName(rel)))) continue;
      if (window && !inWindow(window, f.mtime)) continue;
      byPath.set(f.path, { ...f, rel });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Comma-separated wildcards (`*` any run of characters, `?` one) as anchored regexes; none → undefined. */
export function patterns(list: string | undefined): RegExp[] | undefined {
  const parts = (list ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return undefined;
  return parts.map(
    (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's'),
  );
}
