// What every file connector (NAS, OBS/S3, FTP, SFTP) provides to the shared file source
// and sink: list, read from an offset, small whole-file get/put, and "staged" files that
// are assembled from numbered parts and become visible only when committed.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface FileInfo {
  /** Store path, `/`-separated, without a leading `/` (an object key, or a path under the link's root). */
  readonly path: string;
  readonly size: number;
  /** Last modification, epoch milliseconds; NaN when the store cannot tell (an FTP server without MDTM). */
  readonly mtime: number;
}

/**
 * A destination file being assembled. JSON-serialisable: the file sink keeps it in its
 * checkpoint, so a later invocation (another Lambda) can add parts and commit it.
 */
export interface StagedFile {
  /** Where the file appears once committed. */
  readonly path: string;
  /** Store-specific state (an S3 upload id and part ETags, a temp file name). */
  readonly state: { readonly [k: string]: unknown };
}

export interface FileStore {
  /** Names the store in messages, e.g. `bucket b1` or `directory /data`. */
  readonly label: string;
  /** Names one file in messages the way its user knows it: `/data/in/a.csv`, `obs://bucket/in/a.csv`. */
  describe(path: string): string;
  /**
   * Parts smaller than this may only be the last part of a file (S3's multipart minimum);
   * the sink buffers up to it. 0 when any part size works.
   */
  readonly minPartBytes: number;
  /** Parts one staged file may have at most (S3 and OBS: 10,000); undefined when there is no limit. */
  readonly maxParts?: number;
  /** Proves the store is reachable with the link's credentials; throws a CdmError saying why not. */
  check(): Promise<void>;
  /**
   * Every file at `path` (when it is a file) or below it (when it is a directory), in
   * no particular order. Throws a CdmError naming the path when it does not exist.
   * `directory`: the user wrote the path with a trailing slash, so it names a directory only
   * (in a bucket, an object `a` and keys under `a/` may both exist).
   */
  list(path: string, directory?: boolean): AsyncIterable<FileInfo>;
  stat(path: string): Promise<FileInfo | undefined>;
  /**
   * Whether `stat` gives a file the size and modification time (to the second) its listing gave
   * it, so that a change since the listing shows. Not where they differ in precision (FTP's LIST).
   */
  readonly statsAsListed?: boolean;
  /**
   * The file's bytes from `start` to its end. `listed`, the size the file was listed with, lets a
   * store that reads by requests stop asking there (it still delivers any bytes past it).
   */
  read(path: string, start: number, listed?: number): Promise<Readable>;
  /**
   * Reads of two files may overlap: a binary copy opens the next file while it copies one (on
   * SFTP, an open and the first reads are round trips the copy would otherwise wait for).
   */
  readonly readsOverlap?: boolean;
  /** A small file's content (checkpoints, `.md5` siblings), or undefined when it does not exist. */
  get(path: string): Promise<Buffer | undefined>;
  /** Writes a small file whole, replacing it. */
  put(path: string, data: Buffer): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  delete(path: string): Promise<void>;
  /** Makes sure files can be written under `dir` (creates it where directories exist). */
  prepareDirectory(dir: string): Promise<void>;
  /**
   * Starts a staged file at `path`, discarding any earlier unfinished staging of it by the same
   * `owner` (a run's slice: stagingOwner). Another run staging the same path (the job started
   * again while a stopped run's slice is still writing, another job with the same filePrefix)
   * stages apart: neither writes into nor removes the other's.
   */
  begin(path: string, owner?: string): Promise<StagedFile>;
  /**
   * Writes part `index` (0-based, at byte `offset`). Writing the same index again
   * replaces it: a retried chunk overwrites, it never adds.
   */
  writePart(file: StagedFile, index: number, offset: number, data: Buffer): Promise<StagedFile>;
  /**
   * Optional, for stores that take the parts of one staged file in any order (object stores):
   * sends part `index` while others are on their way, and resolves to what records it in the
   * staged file. The sink records parts in their order, each once every part before it is.
   * writePart is both steps in one.
   */
  sendPart?(file: StagedFile, index: number, data: Buffer): Promise<(file: StagedFile) => StagedFile>;
  /** Makes the staged file visible at its path. Idempotent: committing twice is harmless. */
  commit(file: StagedFile): Promise<void>;
  /** Drops a staged file that will not be committed. */
  abort(file: StagedFile): Promise<void>;
  /**
   * Optional: the MD5 the store itself gives a committed file (toJobConfig.validateMD5):
   * an object store's ETag (the content's MD5, or for a multipart upload `<MD5 of the
   * parts' MD5s>-<parts>`), a file system's hash of what it holds. Undefined when missing.
   */
  reportedMd5?(path: string): Promise<string | undefined>;
  /**
   * Optional: a file written in one request as its bytes arrive (`size` bytes in all), as
   * object stores take a PUT: nothing is visible until it completes, whole. `aheadBytes`: what
   * the upload takes before a write waits (default: one binary piece and a byte).
   */
  putStream?(path: string, size: number, aheadBytes?: number): StreamedFile;
  /**
   * Optional: when `source` is on the same server under the same account, what copies a file of
   * it (`from`) to `path` inside the server, no byte passing through Ferry (an object store's
   * server-side copy), resolving once the copy is complete at `path`; copies may run side by
   * side, and copying again gives the same file. Undefined when `source` is elsewhere.
   */
  copierFrom?(source: FileStore): ((from: string, path: string) => Promise<void>) | undefined;
  /** Optional: the MD5s the store reported for a staged file's parts as it took them (S3's part ETags), by part index. */
  partMd5s?(file: StagedFile): readonly (string | undefined)[];
  close(): Promise<void>;
}

/**
 * A whole file's bytes as a file source hands them to a sink (RecordBatch.stream). With
 * `origin` (nothing to check on the way), a sink may copy the file from there instead of reading it.
 */
export type FileStream = AsyncIterable<Buffer> & { readonly origin?: { readonly store: FileStore; readonly path: string } };

/** A file being written in one request (FileStore.putStream). */
export interface StreamedFile {
  /** Sends the next bytes; resolves once the bytes before them are sent (the caller holds at most one piece). */
  write(data: Buffer): Promise<void>;
  /** Resolves once the file is complete at its path. */
  end(): Promise<void>;
  /** Drops the request: nothing appears. */
  abort(): void;
}

/** Joins store path segments, dropping empty ones and stray slashes. */
export function joinPath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/** Normalises a user-given path (`/data/in/`, `data/in`) to the store form (`data/in`). */
export function normalizePath(p: string): string {
  return joinPath(p.trim());
}

export function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

export function dirName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Ferry's own bookkeeping in a destination: never listed as data. */
export const CHECKPOINT_DIR = '.ferry-checkpoint';
export const TEMP_SUFFIX = '.ferry-tmp';

/** The longest file name, in bytes, that common file systems take (ext4, XFS, Btrfs, ZFS). */
const NAME_MAX_BYTES = 255;

/**
 * A hidden sibling of `path` named `.<name><suffix>`. A name too long for that (a file named
 * up to the limit itself) gets a digest of its name instead: the same every time, so a resumed
 * run finds what an earlier one left.
 */
function hiddenSiblingOf(path: string, suffix: string): string {
  const base = baseName(path);
  const name = `.${base}${suffix}`;
  const short = () => `.${createHash('sha256').update(base).digest('hex').slice(0, 40)}${suffix}`;
  return joinPath(dirName(path), Buffer.byteLength(name) <= NAME_MAX_BYTES ? name : short());
}

/**
 * The bytes a text file's part `index` waits for before it is sent: the store's minimum, and
 * where the store limits a file's parts, growing in ten steps over them (the last tenth ten times
 * the minimum). Equal parts of S3's 5 MiB would end a file at 49 GiB; these reach 275 GiB, and
 * only a file that large holds parts of more than a few times the minimum in memory.
 */
export function partBytesAt(store: Pick<FileStore, 'minPartBytes' | 'maxParts'>, index: number): number {
  if (!store.maxParts) return store.minPartBytes;
  return store.minPartBytes * (1 + Math.floor((index * 10) / store.maxParts));
}

/** Where a staged file is assembled: a hidden temp file beside its destination, named for its `owner` (FileStore.begin). */
export function tempPathOf(path: string, owner?: string): string {
  return hiddenSiblingOf(path, owner ? `.${owner}${TEMP_SUFFIX}` : TEMP_SUFFIX);
}

/** A run's slice as the owner of what it stages: short, the same for every invocation of it, another for any other slice or run. */
export function stagingOwner(runKey: string): string {
  return createHash('sha256').update(runKey).digest('hex').slice(0, 12);
}

/**
 * Where `put` writes a small file before renaming it into place, so that it is never seen
 * half-written. One name a path: a writer killed mid-put leaves it, and the resumed writer's
 * put of the same path (or its delete) takes it away. (Named by process, it outlived every
 * run: a resumed executor is another process. A run's slice has one writer at a time, its
 * lease holder.)
 */
export function putTempPathOf(path: string): string {
  return hiddenSiblingOf(path, `.put${TEMP_SUFFIX}`);
}

/** A file directly in a checkpoint directory: the directory goes with its last file. */
export function isCheckpointFile(path: string): boolean {
  return baseName(dirName(path)) === CHECKPOINT_DIR;
}

export function isFerryInternal(path: string): boolean {
  return path.split('/').includes(CHECKPOINT_DIR) || path.endsWith(TEMP_SUFFIX);
}
