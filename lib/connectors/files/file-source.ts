// Reads the selected files of a job as record batches.
//
// BINARY_FILE: a byte-exact copy inside the engine's row contract. Each row is one
// piece of a file, [relative path, file size, offset, bytes], at most pieceBytesFor(size) long;
// a batch holds pieces up to BATCH_BYTES in all (many small files, or one piece of a
// large one), so memory stays bounded whatever the file sizes. The position after a
// batch is {file, offset} (or {file, done}): files are read in path order, so a resumed
// read skips every file before it and continues the open file at its offset.
//
// CSV_FILE / JSON_FILE: records become rows of text cells (the schema comes from the
// first file with a record: its header or field count, or its first object's keys, and a later object
// with a key of its own is malformed, as a line with a field too many is); the position is
// {file, record, read}: a resumed read reopens that file and skips its records already
// written, reading their bytes again without counting the `read` ones in BYTES_READ again.
// With `dirtyData` (throttlingConfig.recordDirtyData), a malformed record — a wrong field
// count, a CSV syntax error, a line the regex does not match, a JSON line that is no
// object or has a key of its own — is set aside in the batch's `dirty` instead of failing
// the read. It counts as a record of its file (so a resume skips it too), and the position carries the running
// count of them (`dirty`), so a resumed read goes on counting where the committed one stood.
//
// fromCompression=ZIP: every entry of an archive is read as if it were a file (zip-reader.ts),
// and the position also names the entry ({file, entry, record|offset}). A BINARY_FILE copy
// writes each entry as its own file, at `<archive path without .zip>/<entry path>`.
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { errors } from '../../errors';
import { BINARY_ENGINE, TEXT_FILE_ENGINE, type Column, type DirtyRecord, type Source, type TableSchema, type Value } from '../../engine/types';
import type { Counters } from '../../model/submission';
import type { InputMap } from '../../model/config-values';
import { CsvParser, CsvSyntaxError, type CsvField } from './csv-format';
import { compileLineRegex, RegexLineParser } from './regex-format';
import { JsonArrayReader, type DocumentRecord } from './json-document';
import { JsonLinesParser, JsonSyntaxError, jsonRecordText, jsonToText, type JsonRecord } from './json-format';
import { partitionFiles } from './file-partition';
import { selectFiles, type Landing, type SelectedFile, type SelectOptions } from './file-select';
import { awaitMarkers } from './marker-file';
import { baseName, type FileStore, type FileStream } from './file-store';
import { entryContent, zipEntries, ZipFormatError, type ZipEntry } from './zip-reader';
import { decoderFor, loneSurrogate, unescapeSeparator } from './text-encoding';

/** Largest piece of a binary file in one row (of a file up to MAX_PIECES of them). */
export const PIECE_BYTES = 8 * 1024 * 1024;
/**
 * Pieces of one file at most: a staged file gets a part a piece, and S3 and OBS complete an
 * upload of at most 10,000 parts. A file over 78 GiB comes in pieces of whole MiB large enough.
 */
const MAX_PIECES = 10_000;
const MiB = 1024 * 1024;
/** The piece size of a file of `size` bytes (every piece but the last). */
export const pieceBytesFor = (size: number) => Math.max(PIECE_BYTES, Math.ceil(size / MAX_PIECES / MiB) * MiB);
/**
 * Byte budget of one binary batch of small files (a larger piece is a batch alone): the engine
 * holds the next batch while the sink uploads this one and finishes the one before, three per
 * partition in memory (the files bench over SFTP, four partitions: peak RSS 235 MB with 2 MiB,
 * 245-268 MB with 4 MiB and two batches, at the same speed).
 */
const BATCH_BYTES = 2 * 1024 * 1024;

/** The schema of binary rows; a BINARY_FILE sink accepts nothing else. */
export const BINARY_SCHEMA: TableSchema = {
  engine: BINARY_ENGINE,
  columns: [
    { name: 'path', type: 'string', nullable: false },
    { name: 'size', type: 'integer', nullable: false },
    { name: 'offset', type: 'integer', nullable: false },
    { name: 'data', type: 'bytes', nullable: false },
  ],
  primaryKey: [],
};

/** What a file source stores in the engine's position. */
type FilePosition = {
  /** Store path of the file the last batch ended in. */
  file?: string;
  /** ZIP: index of the entry of `file` the last batch ended in. */
  entry?: number;
  /** That file was read to its end. */
  done?: boolean;
  /** Binary: bytes of `file` already yielded. */
  offset?: number;
  /** Text: data records of `file` already yielded. */
  record?: number;
  /** Text: bytes of `file` (of its entry, zipped) counted in BYTES_READ so far; a resumed read re-reads them uncounted. */
  read?: number;
  /** Files read to their end so far (FILES_READ survives a resume this way). */
  filesRead?: number;
  /** Malformed records set aside so far (dirty data). */
  dirty?: number;
};

export interface FileSourceOptions extends SelectOptions {
  /** Set malformed records aside (RecordBatch.dirty) instead of failing the read. */
  readonly dirtyData?: boolean;
}

export async function openFileSource(store: FileStore, from: InputMap, opts: FileSourceOptions = {}): Promise<Source> {
  await awaitMarkers(store, from);
  const format = from['fromJobConfig.inputFormat'];
  const zip = unitReader(store, from);
  // A binary copy keeps names: a file lands at its relative path, an archive's entries under its name.
  const landsAt = async (f: SelectedFile): Promise<Landing[]> =>
    zip.zipped(f)
      ? (await zip.entries(f)).map((e) => ({ name: zip.entryRel(f, e), source: `${store.describe(f.path)} entry ${e.name}` }))
      : [{ name: f.rel, source: store.describe(f.path) }];
  const files = await selectFiles(store, from, { ...opts, ...(format === 'BINARY_FILE' && { landsAt }) });
  const totalSize = files.reduce((n, f) => n + f.size, 0);
  let filesRead = 0;
  const counters = (): Partial<Counters> => ({ filesRead, totalFiles: files.length, totalSize });
  const unitsOf = zip.unitsOf;

  /** Where to start in `f` given the resume position: undefined = skip the file. */
  const startIn = (f: SelectedFile, at: FilePosition | undefined): FilePosition | undefined => {
    if (!at?.file || f.path > at.file) return {};
    if (f.path < at.file || at.done) return undefined;
    return at;
  };

  if (format === 'BINARY_FILE') {
    const md5Suffix = from['fromJobConfig.md5FileSuffix'] || undefined;
    return {
      schema: BINARY_SCHEMA,
      async estimateRows() {
        return files.reduce((n, f) => n + Math.max(1, Math.ceil(f.size / pieceBytesFor(f.size))), 0);
      },
      counters: () => ({ ...counters(), rowsRead: -1, rowsWritten: -1, rowsWrittenSkipped: -1 }),
      slices: (n) => partitionFiles(from, files, n),
      async *read(position, chunkRows, opts) {
        const at = position as FilePosition | undefined;
        filesRead = at?.filesRead ?? 0;
        const streamUpTo = opts?.fileStreamBytes ?? 0;
        let rows: Value[][] = [];
        let bytes = 0;
        let pos: FilePosition = {};
        /** The next file's read, opened while this one is copied (see FileStore.readsOverlap). */
        let ahead: { path: string; stream: Promise<Readable> } | undefined;
        /** More than a piece, and the sink takes it whole: its bytes flow through as they come. */
        const streamsWhole = (f: SelectedFile) => f.size > PIECE_BYTES && f.size <= streamUpTo;
        const readsWhole = (f: SelectedFile) => !zip.zipped(f) && f.size > 0 && !streamsWhole(f);
        /** The file read ahead, not taken, is closed unread: never left open. */
        const dropAhead = () => {
          ahead?.stream.then((s) => s.destroy(), () => undefined);
          ahead = undefined;
        };
        const readAhead = (next: SelectedFile | undefined) => {
          dropAhead();
          if (!store.readsOverlap || !next || !readsWhole(next)) return;
          const stream = openRead(store, next, 0).then((s) => (s.read(0), s)); // read(0): its first requests go now
          stream.catch(() => undefined); // met when its file's turn comes
          ahead = { path: next.path, stream };
        };
        const opened = (f: SelectedFile) => {
          const mine = ahead?.path === f.path ? ahead.stream : undefined;
          if (mine) ahead = undefined;
          return mine;
        };
        try {
          for (const [fileIndex, f] of files.entries()) {
            const start = startIn(f, at);
            if (!start) continue;
            if (start.file === f.path) await resumableIn(store, f);
            const archive = zip.zipped(f) ? await zip.entries(f) : undefined;
            if (archive) {
              // Each entry is a file of its own at the destination; resuming inside one re-inflates up to its offset.
              for (const [i, e] of archive.entries()) {
                if (start.entry !== undefined && i < start.entry) continue;
                let offset = i === start.entry ? (start.offset ?? 0) : 0;
                const rel = zip.entryRel(f, e);
                for await (const piece of zip.pieces(f, e, offset)) {
                  const end = offset + piece.length;
                  rows.push([rel, BigInt(e.size), BigInt(offset), piece]);
                  bytes += piece.length;
                  offset = end;
                  // A finished entry's position is the next entry's start, so a resume never writes it again.
                  pos = end === e.size ? { file: f.path, entry: i + 1, offset: 0, done: false, filesRead } : { file: f.path, entry: i, offset, done: false, filesRead };
                  if (bytes >= BATCH_BYTES || rows.length >= chunkRows) {
                    yield { rows, position: pos, bytes };
                    rows = [];
                    bytes = 0;
                  }
                }
              }
              filesRead++;
              pos = { file: f.path, done: true, filesRead };
              continue;
            }
            let offset = start.offset ?? 0;
            const expected = md5Suffix ? await expectedMd5(store, f, md5Suffix) : undefined;
            const hash = expected ? createHash('md5') : undefined;
            if (offset === 0 && streamsWhole(f)) {
              if (rows.length) yield { rows, position: pos, bytes };
              rows = [];
              bytes = 0;
              const verify = hash && ((h: Hash) => verifyMd5(store, f, h, expected!, md5Suffix!));
              filesRead++;
              pos = { file: f.path, offset: f.size, done: true, filesRead };
              // Nothing to check on the way: a sink on the same server may copy it there instead.
              const stream: FileStream = hash ? wholeFile(store, f, hash, verify) : Object.assign(wholeFile(store, f), { origin: { store, path: f.path } });
              yield { rows: [[f.rel, BigInt(f.size), 0n, NO_BYTES]], position: pos, bytes: f.size, stream };
              continue;
            }
            if (hash && offset > 0) await hashPrefix(store, f, offset, hash);
            const stream = offset === 0 ? opened(f) : undefined;
            // Every file after this one is read from its start.
            readAhead(files[fileIndex + 1]);
            for await (const piece of pieces(store, f, offset, stream)) {
              const end = offset + piece.length;
              const last = end === f.size;
              if (last && hash) verifyMd5(store, f, hash.update(piece), expected!, md5Suffix!);
              else hash?.update(piece);
              rows.push([f.rel, BigInt(f.size), BigInt(offset), piece]);
              bytes += piece.length;
              offset = end;
              if (last) filesRead++;
              pos = { file: f.path, offset, done: last, filesRead };
              if (bytes >= BATCH_BYTES || rows.length >= chunkRows) {
                yield { rows, position: pos, bytes };
                rows = [];
                bytes = 0;
              }
            }
          }
        } finally {
          // Abandoned (an error, a stop) or done.
          dropAhead();
        }
        if (rows.length) yield { rows, position: pos, bytes };
      },
      async close() {
        await store.close();
      },
    };
  }

  const text = textOptions(from, opts.dirtyData === true);
  let dirtyTotal = 0;
  // The schema comes from the first file that holds a record: an empty first file would give no columns.
  let first = files[0];
  let sample: TextRecord | undefined;
  for (const f of files) {
    sample = await firstRecord(await unitsOf(f), text);
    if (sample) {
      first = f;
      break;
    }
  }
  const header = text.header;
  let names: string[];
  if (sample?.kind === 'json') names = Object.keys(sample.record);
  else names = (sample?.fields ?? []).map((f, i) => (header && f ? f : `column${i + 1}`));
  const width = names.length;
  const known = new Set(names);
  const picked = (from['fromJobConfig.columnList'] || '')
    .split('&')
    .filter(Boolean)
    .map((n) => {
      const i = Number(n) - 1;
      if (i < 0 || i >= width) {
        throw errors.invalidParameter(`fromJobConfig.columnList names field ${n}, but ${store.describe(first?.path ?? '')} has ${width}.`);
      }
      return i;
    });
  const indexes = picked.length ? picked : names.map((_n, i) => i);
  const columns: Column[] = indexes.map((i) => ({ name: names[i]!, type: 'string', nullable: true }));
  // Every field, in order, unless columnList picks some: then no copy per row.
  const project = picked.length ? (cells: (string | null)[]) => indexes.map((i) => cells[i] ?? null) : (cells: (string | null)[]) => cells;

  return {
    schema: { engine: TEXT_FILE_ENGINE, columns, primaryKey: [] },
    async estimateRows() {
      return Math.max(1, Math.round(totalSize / 100));
    },
    counters: () => ({ ...counters(), ...(text.dirty && { dirtyRecords: dirtyTotal }) }),
    slices: (n) => partitionFiles(from, files, n),
    async *read(position, chunkRows) {
      const at = position as FilePosition | undefined;
      filesRead = at?.filesRead ?? 0;
      dirtyTotal = at?.dirty ?? 0;
      let rows: Value[][] = [];
      let dirty: DirtyRecord[] = [];
      let pos: FilePosition = {};
      /** Bytes this read counts in BYTES_READ, and how many of them batches have carried. */
      let bytesRead = 0;
      let bytesYielded = 0;
      /** Bytes of the unit being read, from its start, and how many of them committed batches already counted. */
      let unitBytes = 0;
      let counted = 0;
      // A resumed read re-reads its unit's start to skip the records written: those bytes count once.
      const onRead = (n: number) => {
        bytesRead += Math.max(0, unitBytes + n - Math.max(unitBytes, counted));
        unitBytes += n;
      };
      // Bytes may arrive while a batch waits to be taken: each batch carries those since the last.
      const batch = () => {
        const bytes = bytesRead - bytesYielded;
        bytesYielded = bytesRead;
        return { rows, position: pos, bytes, ...(text.dirty && { dirty, dirtyTotal }) };
      };
      for (const f of files) {
        const start = startIn(f, at);
        if (!start) continue;
        if (start.file === f.path) await resumableIn(store, f);
        for (const u of await unitsOf(f)) {
          if (start.entry !== undefined && u.entry !== undefined && u.entry < start.entry) continue;
          const skip = u.entry === start.entry ? (start.record ?? 0) : 0;
          unitBytes = 0;
          counted = u.entry === start.entry ? (start.read ?? 0) : 0;
          let n = 0;
          let headerSkipped = !header || text.format === 'JSON_FILE';
          for await (const got of records(u, text, onRead)) {
            for (const r of got) {
              let cells: (string | null)[] | undefined;
              let malformed = r.error;
              // Records arrive in file order, so the first malformed one is the one named.
              if (malformed !== undefined && !text.dirty) throw malformedError(u.label, r, malformed);
              if (r.kind === 'json') {
                // A field the first record lacks has no column: dropping it would lose its values unseen.
                if (malformed === undefined) malformed = misfit(r.record, known);
                if (malformed !== undefined && !text.dirty) throw malformedError(u.label, r, malformed);
                if (malformed === undefined) cells = names.map((k) => jsonToText(r.record[k]));
              } else {
                const blank = r.fields.length === 1 && r.fields[0] === null;
                if (!headerSkipped) {
                  // The header is the first line that is not blank, as the schema took it (firstRecord).
                  if (!blank) headerSkipped = true;
                  continue;
                }
                if (blank && width !== 1) continue;
                if (malformed === undefined && r.fields.length !== width) {
                  malformed = `${r.fields.length} fields, expected ${width}`;
                  if (!text.dirty) throw malformedError(u.label, r, `${malformed} (as in ${first!.path})`);
                }
                if (malformed === undefined) cells = r.fields;
              }
              if (++n <= skip) continue;
              if (cells) rows.push(project(cells));
              else {
                // A JSON record that parsed but does not fit comes without its line's text: its JSON stands for it.
                const raw = r.raw ?? (r.kind === 'json' ? jsonRecordText(r.record) : '');
                dirty.push({ source: u.label, line: r.line, reason: malformed!, raw });
                dirtyTotal++;
              }
              // Dirty records count toward the chunk too: memory stays bounded however many there are.
              if (rows.length + dirty.length >= chunkRows) {
                // Only a batch's last record needs its position (a file's end sets its own).
                // A resumed read may not have re-read all the bytes counted before yet: they stay counted.
                const read = Math.max(unitBytes, counted);
                pos = { file: f.path, entry: u.entry, record: n, read, done: false, filesRead, ...(text.dirty && { dirty: dirtyTotal }) };
                yield batch();
                rows = [];
                dirty = [];
              }
            }
          }
        }
        filesRead++;
        pos = { file: f.path, done: true, filesRead, ...(text.dirty && { dirty: dirtyTotal }) };
      }
      if (rows.length || dirty.length || bytesRead > bytesYielded) yield batch();
    },
    async close() {
      await store.close();
    },
  };
}

interface TextOptions {
  readonly format: 'CSV_FILE' | 'JSON_FILE';
  readonly encodeType: string;
  readonly header: boolean;
  readonly fieldSeparator: string;
  readonly lineSeparator: string | undefined;
  readonly quote: boolean;
  readonly jsonNode: string | undefined;
  /** regexSeparator: the regex whose groups are a line's fields. */
  readonly regex: RegExp | undefined;
  /** Malformed records are set aside as dirty data instead of failing the read. */
  readonly dirty: boolean;
}

function textOptions(from: InputMap, dirty: boolean): TextOptions {
  const ls = from['fromJobConfig.lineSeparator'];
  return {
    format: from['fromJobConfig.inputFormat'] === 'JSON_FILE' ? 'JSON_FILE' : 'CSV_FILE',
    encodeType: from['fromJobConfig.encodeType'] || 'UTF-8',
    header: from['fromJobConfig.firstRowAsHeader'] === 'true',
    fieldSeparator: unescapeSeparator(from['fromJobConfig.fieldSeparator'] || ','),
    // The CDM default (\r\n) reads both \r\n and \n line ends.
    lineSeparator: !ls || ls === '\\r\\n' || ls === '\r\n' || ls === '\\n' || ls === '\n' ? undefined : unescapeSeparator(ls),
    quote: from['fromJobConfig.quoteChar'] === 'true',
    regex: from['fromJobConfig.regexSeparator'] === 'true' ? compileLineRegex(from['fromJobConfig.regex']) : undefined,
    dirty,
    jsonNode: from['fromJobConfig.jsonType'] === 'JSON_ARRAY' || from['fromJobConfig.jsonReferenceNode']
      ? (from['fromJobConfig.jsonReferenceNode'] ?? '')
      : undefined,
  };
}

/** `error` says why a record is malformed; `raw` is its text (always for a malformed one, for every one when recording dirty data). */
type TextRecord =
  | { kind: 'csv'; fields: CsvField[]; line: number; raw?: string; error?: string }
  | { kind: 'json'; record: JsonRecord; line: number; raw?: string; error?: string };

/** One stream of records: a whole file, or one entry of a ZIP archive. */
interface Unit {
  /** The entry's index in its archive; undefined for a whole file. */
  readonly entry?: number;
  /** Names it in messages. */
  readonly label: string;
  /** Its bytes, decompressed; `onRead` sees the bytes read from the store. */
  open(onRead: (n: number) => void): AsyncGenerator<Buffer>;
}

/** What a file is read as: itself (gunzipped when GZIP applies to it) or, when ZIP applies, its entries. */
function unitReader(store: FileStore, from: InputMap) {
  const compression = from['fromJobConfig.fromCompression'];
  const suffix = from['fromJobConfig.compressedFileSuffix'] || '*';
  const compressed = (f: SelectedFile) => suffix === '*' || f.path.endsWith(suffix);
  const zipped = (f: SelectedFile) => compression === 'ZIP' && compressed(f);
  const gzipped = (f: SelectedFile) => compression === 'GZIP' && compressed(f);

  const zipError = (f: SelectedFile, e: unknown) =>
    e instanceof ZipFormatError
      ? errors.extractFailed(`Cannot read ${store.describe(f.path)} as a ZIP archive: ${e.message}.`, e)
      : e instanceof Error && e.name !== 'CdmError'
        ? errors.extractFailed(`Cannot read ${store.describe(f.path)}: ${e.message}`, e)
        : e;

  async function entries(f: SelectedFile): Promise<ZipEntry[]> {
    try {
      return await zipEntries(store, f);
    } catch (e) {
      throw zipError(f, e);
    }
  }

  async function* wholeFile(f: SelectedFile, onRead: (n: number) => void): AsyncGenerator<Buffer> {
    const stream = await openRead(store, f, 0);
    const gzip = gzipped(f);
    const input: Readable = gzip ? stream.pipe(createGunzip()) : stream;
    if (gzip) stream.on('error', (e) => input.destroy(e));
    stream.on('data', (c: Buffer) => onRead(c.length));
    try {
      yield* input as AsyncIterable<Buffer>;
    } finally {
      input.destroy();
      stream.destroy();
    }
  }

  async function* entry(f: SelectedFile, e: ZipEntry, onRead?: (n: number) => void): AsyncGenerator<Buffer> {
    try {
      yield* entryContent(store, f.path, e, onRead);
    } catch (err) {
      throw zipError(f, err);
    }
  }

  return {
    zipped,
    entries,
    async unitsOf(f: SelectedFile): Promise<Unit[]> {
      if (!zipped(f)) return [{ label: store.describe(f.path), open: (onRead) => wholeFile(f, onRead) }];
      return (await entries(f)).map((e, i) => ({
        entry: i,
        label: `${store.describe(f.path)} entry ${e.name}`,
        open: (onRead) => entry(f, e, onRead),
      }));
    },
    /** Binary: where an entry lands, `<archive path without .zip>/<entry path>`. */
    entryRel(f: SelectedFile, e: ZipEntry): string {
      const parts = e.name.split('/').filter((p) => p !== '' && p !== '.');
      // A backslash separates segments on a Windows FTP or SFTP server (as checkInsideRoot in file-inputs.ts has it).
      if (e.name.split(/[/\\]/).some((p) => p.trim() === '..')) throw errors.extractFailed(`${store.describe(f.path)} entry ${e.name} points outside the archive's directory; it was not copied.`);
      return [f.rel.replace(/\.zip$/i, ''), ...parts].join('/');
    },
    /** Binary: an entry from `offset` in pieces of PIECE_BYTES (an empty entry is one empty piece). */
    async *pieces(f: SelectedFile, e: ZipEntry, offset: number): AsyncGenerator<Buffer> {
      if (offset >= e.size) {
        if (e.size === 0 && offset === 0) yield Buffer.alloc(0);
        return;
      }
      // The entry inflates from its start; entryContent checks its size and CRC-32 itself.
      yield* fillPieces(entry(f, e), offset, offset, e.size);
    },
  };
}

/** The records of one file or entry, decompressed and decoded; parse errors name it and the line. */
async function* records(u: Unit, o: TextOptions, onRead: (n: number) => void): AsyncGenerator<TextRecord[]> {
  const input = u.open(onRead);
  const decoder = decoderFor(o.encodeType, 'fromJobConfig.encodeType');
  try {
    if (o.format === 'JSON_FILE' && o.jsonNode !== undefined) {
      // One document, read as it comes: its records as they complete.
      const doc = new JsonArrayReader(o.jsonNode);
      const emit = (rs: DocumentRecord[]): TextRecord[] => rs.map((r) => ({ kind: 'json', record: r.record, line: r.line }));
      for await (const chunk of input) yield emit(doc.push(decoder.decode(chunk, { stream: true })));
      yield emit(doc.push(decoder.decode()));
      yield emit(doc.end());
      return;
    }
    // Parsers never throw on a malformed record: it comes in order, and the reader decides.
    const csv = o.format !== 'CSV_FILE' ? undefined : o.regex ? new RegexLineParser(o.regex, o.lineSeparator, true) : new CsvParser({ ...o, recover: true, keepRaw: o.dirty });
    const json = o.format === 'JSON_FILE' ? new JsonLinesParser(true) : undefined;
    // A chunk's records come as one array: an async step per record would cost more than parsing it.
    const emit = (text: string | undefined): TextRecord[] => {
      if (csv) return (text === undefined ? csv.end() : csv.push(text)).map((r) => ({ kind: 'csv', ...r }));
      return json ? (text === undefined ? json.end() : json.push(text)).map((r) => ({ kind: 'json', ...r })) : [];
    };
    for await (const chunk of input) yield emit(decoder.decode(chunk, { stream: true }));
    yield emit(decoder.decode());
    yield emit(undefined);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw errors.extractFailed(`Malformed CSV row in ${u.label} line ${e.line}: ${e.message}.`, e);
    if (e instanceof JsonSyntaxError) throw errors.extractFailed(`Malformed JSON in ${u.label} line ${e.line}: ${e.message}.`, e);
    if (e instanceof Error && e.name !== 'CdmError') throw errors.extractFailed(`Reading ${u.label} failed: ${e.message}`, e);
    throw e;
  } finally {
    await input.return(undefined);
  }
}

/**
 * Why a JSON record cannot be loaded as it is; undefined when it can. A key of its own has no
 * column (the first record's keys, `known`). A string escaping half of a surrogate pair
 * ("\ud800") is valid JSON but no Unicode text: a database or file would hold U+FFFD instead.
 */
function misfit(record: JsonRecord, known: ReadonlySet<string>): string | undefined {
  for (const k in record) {
    const v = record[k];
    const at = typeof v === 'string' ? loneSurrogate(v) : -1;
    if (at >= 0) {
      const half = (v as string).charCodeAt(at).toString(16);
      return `field ${JSON.stringify(k)} holds a lone surrogate (\\u${half}), which no Unicode text can hold`;
    }
    if (known.has(k)) continue;
    const shown = [...known].slice(0, 10).map((n) => JSON.stringify(n));
    return `field ${JSON.stringify(k)} is not one of the first record's (${shown.join(', ')}${known.size > 10 ? ', …' : ''})`;
  }
  return undefined;
}

/** A malformed record when dirty data is not recorded: the run fails naming file and line. */
function malformedError(label: string, r: TextRecord, reason: string) {
  return errors.extractFailed(`Malformed ${r.kind === 'json' ? 'JSON' : 'CSV row'} in ${label} line ${r.line}: ${reason}.`);
}

/** The first non-blank, well-formed record of the first unit that has one (the schema comes from it). */
async function firstRecord(units: Unit[], o: TextOptions): Promise<TextRecord | undefined> {
  for (const u of units) {
    for await (const got of records(u, o, () => undefined)) {
      for (const r of got) {
        if (r.error !== undefined) {
          if (!o.dirty) throw malformedError(u.label, r, r.error);
          continue;
        }
        if (r.kind === 'json' || !(r.fields.length === 1 && r.fields[0] === null)) return r;
      }
    }
  }
  return undefined;
}

/**
 * A read resumed inside a file an earlier invocation began: the file must still be the one that
 * was listed, or the copy would join its old bytes (or skip records counted in it) to its new ones.
 */
async function resumableIn(store: FileStore, f: SelectedFile): Promise<void> {
  if (!store.statsAsListed) return;
  const now = await store.stat(f.path);
  // To the second: an object store's HEAD gives no milliseconds, its listing may.
  const second = (ms: number) => Math.floor(ms / 1000);
  if (!now || now.size !== f.size || second(now.mtime) !== second(f.mtime)) {
    throw errors.extractFailed(
      `${store.describe(f.path)} changed since it was listed (${f.size} bytes, modified ${new Date(f.mtime).toISOString()}) and its copy had begun: the copy cannot go on with other content. Run the job again.`,
    );
  }
}

async function openRead(store: FileStore, f: SelectedFile, offset: number): Promise<Readable> {
  try {
    return await store.read(f.path, offset, f.size);
  } catch (e) {
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.extractFailed(`Cannot read ${store.describe(f.path)}: ${(e as Error).message}`, e);
  }
}

/** The file from `offset` (`opened` already, maybe) in pieces of pieceBytesFor(size) (the last may be shorter; an empty file is one empty piece). */
async function* pieces(store: FileStore, f: SelectedFile, offset: number, opened?: Promise<Readable>): AsyncGenerator<Buffer> {
  if (offset >= f.size) {
    if (f.size === 0) yield Buffer.alloc(0);
    return;
  }
  const stream = await (opened ?? openRead(store, f, offset));
  let seen: number;
  try {
    seen = yield* fillPieces(stream as AsyncIterable<Buffer>, 0, offset, f.size);
  } finally {
    stream.destroy();
  }
  if (seen !== f.size) {
    throw errors.extractFailed(`${store.describe(f.path)} changed while being copied: listed with ${f.size} bytes, read ${seen}.`);
  }
}

const NO_BYTES = Buffer.alloc(0);

/**
 * A whole file as its store's stream gives it, checked as it goes: a chunk that would make it
 * longer than listed is not passed on, and the last chunk only once the file's MD5 (when one
 * is expected) is right, so a sink that writes what it gets never completes a wrong file.
 */
async function* wholeFile(store: FileStore, f: SelectedFile, hash?: Hash, verify?: (h: Hash) => void): AsyncGenerator<Buffer> {
  const stream = await openRead(store, f, 0);
  let seen = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > f.size) break;
      hash?.update(chunk);
      if (seen === f.size) verify?.(hash!);
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
  if (seen !== f.size) {
    throw errors.extractFailed(`${store.describe(f.path)} changed while being copied: listed with ${f.size} bytes, read ${seen > f.size ? 'more' : seen}.`);
  }
}

/**
 * Bytes `at` to `size` (at < size) of a stream, in pieces of pieceBytesFor(size) (the last may be shorter), after
 * dropping the stream's first `skip` bytes. Each piece is filled in place from the chunks: one
 * copy of the bytes, and nothing of a yielded piece is kept alive by the next. Returns the
 * position reached: `size`, or past it when the stream holds more (reading stops there), or
 * short of it when the stream ends early.
 */
async function* fillPieces(chunks: AsyncIterable<Buffer>, skip: number, at: number, size: number): AsyncGenerator<Buffer, number> {
  const pieceBytes = pieceBytesFor(size);
  const pieceFor = (from: number) => Buffer.allocUnsafe(Math.min(pieceBytes, size - from));
  /** The piece being filled, allocated when a chunk is copied into it. */
  let piece: Buffer | undefined;
  let filled = 0;
  let seen = at;
  for await (let chunk of chunks) {
    if (skip > 0) {
      const n = Math.min(skip, chunk.length);
      skip -= n;
      chunk = chunk.subarray(n);
    }
    if (seen + chunk.length > size) return seen + chunk.length;
    // A chunk that is a whole piece and (nearly) all of its memory, as a store that reads a small
    // file at once gives it, is yielded as it is: no copy, and it keeps nothing else alive.
    if (filled === 0 && chunk.length > 0 && chunk.length === Math.min(pieceBytes, size - seen) && chunk.buffer.byteLength - chunk.length <= 1024) {
      seen += chunk.length;
      yield chunk;
      continue;
    }
    let used = 0;
    while (used < chunk.length) {
      piece ??= pieceFor(seen + used);
      const n = chunk.copy(piece, filled, used);
      used += n;
      filled += n;
      if (filled === piece.length) {
        const full = piece;
        piece = undefined;
        filled = 0;
        yield full;
      }
    }
    seen += chunk.length;
  }
  return seen;
}

async function expectedMd5(store: FileStore, f: SelectedFile, suffix: string): Promise<string> {
  const text = (await store.get(f.path + suffix))?.toString('utf8');
  const digest = text?.trim().split(/\s+/)[0]?.toLowerCase();
  if (!digest) throw errors.extractFailed(`MD5 check failed for ${store.describe(f.path)}: its MD5 file ${store.describe(f.path + suffix)} is missing or empty.`);
  if (!/^[0-9a-f]{32}$/.test(digest)) {
    throw errors.extractFailed(`MD5 check failed for ${store.describe(f.path)}: ${store.describe(f.path + suffix)} does not hold an MD5 digest.`);
  }
  return digest;
}

function verifyMd5(store: FileStore, f: SelectedFile, hash: Hash, expected: string, suffix: string): void {
  const actual = hash.digest('hex');
  if (actual !== expected) {
    throw errors.extractFailed(
      `MD5 mismatch for ${store.describe(f.path)}: ${baseName(f.path)}${suffix} says ${expected}, the file's content is ${actual}; the file was not written.`,
    );
  }
}

/** A resumed read of a verified file re-hashes the bytes before its offset (MD5 state cannot be saved). */
async function hashPrefix(store: FileStore, f: SelectedFile, offset: number, hash: Hash): Promise<void> {
  const stream = await openRead(store, f, 0);
  let left = offset;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk.subarray(0, Math.min(left, chunk.length)));
      left -= Math.min(left, chunk.length);
      if (left === 0) break;
    }
  } finally {
    stream.destroy();
  }
}
