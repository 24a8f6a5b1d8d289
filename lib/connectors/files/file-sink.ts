// Writes record batches as files, exactly once across crashes and redeliveries.
//
// Every destination file is *staged* (an S3 multipart upload, a hidden temp file) and
// written in numbered parts: part n of a file always holds the same bytes, so a chunk
// retried after a crash overwrites its part, it never adds one. After each part the sink
// saves its state beside the data, in `<outputDirectory>/.ferry-checkpoint/<run>.json`:
// the engine's checkpoint, the open file and its parts, the files complete but not yet
// committed, and the file counters. Only then are complete files committed (renamed into
// place, the upload completed): at once, or with `writeToTempFile` all in `seal()` after
// the slice's last chunk, so a failed slice leaves nothing visible. Commits are
// idempotent and a resumed sink repeats any a crash interrupted; `finish()` only removes
// the checkpoint. When the run fails, `discard()` removes what the slice staged and never
// committed (temp files, uploads, carry files, the checkpoint).
//
// BINARY_FILE rows are pieces of source files ([path, size, offset, bytes], see
// file-source.ts); each piece is one part of the same-named destination file.
// When nothing needs a file staged (duplicateFileOpType REPLACE, no writeToTempFile, MD5 or
// encryption), a file that is one piece whole is written with one PUT (a batch of them side
// by side, one batch still on its way while the next starts), and on stores that take
// one-request uploads (FileStore.putStream) a file up to STREAM_BYTES is streamed in one PUT,
// the checkpoint saved only once it is complete, and every file before it (in the
// background, while the next files go): a crash re-reads it and sends it again whole, and
// nothing partial is ever visible. The source hands such a file over whole, as a stream
// (fileStreamBytes, RecordBatch.stream): its bytes flow through, never gathered into
// pieces; from a store on the same server, the server copies it (FileStore.copierFrom),
// several side by side, each recorded once it and every copy before it are complete. Pieces
// of one (a ZIP entry) stream as they come; a continuation that cuts one off (suspend) drops
// it and resumes before it, that file then in parts.
//
// CSV_FILE/JSON_FILE rows are encoded and buffered in memory up to the store's minimum
// part size (S3 refuses smaller parts except the last); stores without one take every
// batch as a part. The saved checkpoint lags behind the buffer: it is the position of the
// last batch durably in a part, so a crash re-reads what was only buffered (sources read
// deterministically from a position) and nothing is written twice. Stores that take parts
// in any order (FileStore.sendPart: object stores) get up to PARTS_IN_FLIGHT at once while
// the next one fills; the state records each part once the store has it and every part
// before it, and only then does the checkpoint move past its rows. A crash re-reads from
// there and sends again exactly the parts not recorded, each with the same bytes. Before a continuation
// hands over, `suspend()` saves the buffer as a carry file beside the checkpoint (and the
// checkpoint advances with it), so each invocation makes progress however little it
// writes; the part later holds the carried bytes. Output files roll over at `writeFileSize` MB.
//
// toJobConfig.encryption AES-256-GCM writes each file in file-crypto.ts's segmented
// format. A file's salt is drawn when it opens and kept in the checkpoint, so a part
// rewritten after a crash holds the same ciphertext. Parts hold whole segments: a text
// file's partial last segment waits in a carry file until more output or the file's end.
// Carry files are sealed too (each with its own salt): nothing plain is left at the destination.
//
// toJobConfig.validateMD5 / recordMD5Result: each file's MD5 is computed from the bytes of
// its parts as they are written, the running state kept in the checkpoint (md5-state.ts).
// Each part's MD5 is compared with the one the store reports for it where it reports one
// (S3 part ETags: nothing is committed yet), and after a file is committed its MD5 with the
// store's for the file (FileStore.reportedMd5); a mismatch removes the file and fails the run. Each partition's
// `<md5>  <path>` lines wait beside the checkpoint until the run completes; then
// completeFileRun writes them as one result file, `<job>_<submission>.md5` in
// recordMD5Directory (md5sum -c reads it from the output directory).
import { errors } from '../../errors';
import {
  CheckpointConflictError,
  runKeyString,
  type Checkpoint,
  type CsvEncoding,
  type RecordBatch,
  type RunKey,
  type Sink,
  type TableSchema,
} from '../../engine/types';
import type { InputMap } from '../../model/config-values';
import type { Counters } from '../../model/submission';
import { formatCsvLine } from './csv-format';
import { ALGORITHM, cipherOffset, cipherSize, fileCipher, newSalt, openWhole, parseDek, sealPiece, sealWhole, SEGMENT_BYTES } from './file-crypto';
import { checkBinaryCopy } from './file-inputs';
import { BINARY_SCHEMA } from './file-source';
import { CHECKPOINT_DIR, joinPath, normalizePath, partBytesAt, stagingOwner, type FileStore, type FileStream, type StagedFile, type StreamedFile } from './file-store';
import { formatJsonLine } from './json-format';
import { md5Digest, md5Hex, md5Start, md5Update, multipartEtag, type Md5State } from './md5-state';
import { encoderFor, isUtf8, unescapeSeparator } from './text-encoding';
import { valueToText } from './value-text';

interface OpenFile {
  staged: StagedFile;
  /** Parts written so far: the next part's index. */
  parts: number;
  bytes: number;
  /** Binary: the source file's relative path. */
  rel?: string;
  /** Encrypted: the file's salt (hex), drawn once so that retried parts repeat their bytes. */
  salt?: string;
  /** MD5 wanted: of the parts written so far, and of each part. */
  md5?: Md5State;
  partMd5s?: string[];
}

/** A snapshot of an open file: later parts change the original, not it. */
const copyOpen = (f: OpenFile): OpenFile => (f.partMd5s ? { ...f, partMd5s: [...f.partMd5s] } : { ...f });

/**
 * A complete file waiting to be committed, with its MD5 when one is wanted; or, `skip`, a text
 * file that a duplicate at its path keeps out (duplicateFileOpType SKIP): its upload is dropped.
 */
type PendingFile = StagedFile & {
  readonly digest?: { readonly md5: string; readonly parts: readonly string[] };
  readonly skip?: true;
  /** The bytes it holds (as BYTES_WRITTEN counts them); absent in a checkpoint saved before it was recorded. */
  readonly bytes?: number;
};

interface SinkState {
  v: 1;
  /** Bumped by every save; a save finding another value lost the run to another executor. */
  seq: number;
  checkpoint: Checkpoint;
  open?: OpenFile;
  /** Binary: the duplicate being skipped (duplicateFileOpType SKIP). */
  skipping?: string;
  /** Binary: a file whose one-request upload a continuation cut off: it goes in parts now. */
  unstreamed?: string;
  /** Complete files not yet committed. */
  pending: PendingFile[];
  /** MD5 wanted: `[path under outputDirectory, md5]` of every file committed so far. */
  md5s?: [string, string][];
  /** Text: number of the next output file. */
  nextIndex: number;
  /** Text: carry files carryAt..carryAt+carry-1 hold encoded output not yet in a part. */
  carry: number;
  /** Text: the first carry file (absent: 0). */
  carryAt?: number;
  /** Text: carry files ever used (for cleanup). */
  carryHigh: number;
  filesWritten: number;
  filesSkipped: number;
  bytesWritten: number;
}

const MB = 1024 * 1024;
/**
 * Binary files up to this size go to stores that take one-request uploads (object stores) in
 * one streamed PUT, as rclone does below its upload cutoff (200 MiB); larger ones in parts.
 */
const STREAM_BYTES = 200 * MB;
/**
 * Bytes of a whole file streamed through (RecordBatch.stream) that wait for its upload. Its
 * chunks come as the socket reads them (~64 KB): a few keep the upload busy, and held longer
 * they only outlive young collections (the files bench's 2 GiB copy: GC 3.5 s of Ferry's CPU
 * with 8 MB held per file, 2.6 s with this).
 */
const WHOLE_FILE_AHEAD_BYTES = 256 * 1024;
/** Whole small files of one batch uploaded at once, at most. */
const PUTS_IN_FLIGHT = 8;
/**
 * Text parts on their way at once, where the store takes them in any order: the next part
 * fills while these upload. Each holds a part's bytes (the store's minimum, ~5 MiB, or more).
 */
const PARTS_IN_FLIGHT = 3;
/**
 * Binary: server-side copies on their way at once per partition. Each is a request the server
 * works on (no byte held here); one at a time, a copy's round trip and the checkpoint's save
 * were most of its time.
 */
const COPIES_IN_FLIGHT = 4;
/**
 * Background saves of the state begin at least this far apart: files and parts recorded
 * meanwhile ride on the next one. Saved after every few small files (or every server-side
 * copy), the state was as many requests to the destination as the data, each a round trip
 * of the store's; a crash now sends again at most about this much. A caller that needs the
 * state saved (a part, the end, a hand-over) has it saved at once.
 */
const SAVE_SPACING_MS = 1000;

/** Binary: a whole file on its way (a server-side copy, a streamed upload) or a batch of small ones, and what the state records once complete. */
interface WholeFile {
  readonly done: Promise<void>;
  /** Bytes and files (a batch of small files is one entry). */
  readonly size: number;
  readonly files: number;
  /** The position after them. */
  readonly cp: Checkpoint;
  /** Set once the transfer has settled (complete or failed): it can be recorded without a wait. */
  settled: boolean;
}

/** Text: a part sent (or a file ended) and what the state records once the store has it. */
interface SentPart {
  /** The open file as it stands with this part (parts, bytes, MD5); undefined: no file open. */
  readonly file?: OpenFile;
  /** The part's index and its bytes in the store; absent when this step sends nothing (a file ending without more bytes). */
  readonly part?: { readonly index: number; readonly size: number; readonly sent: Promise<(f: StagedFile) => StagedFile> };
  readonly nextIndex: number;
  /** The file is complete with this part. */
  readonly closing: boolean;
  /** Complete, and a duplicate at its path keeps it out (duplicateFileOpType SKIP). */
  readonly skip?: boolean;
  /** Encrypted: plaintext after the part's whole segments, carried until more output. */
  readonly rest?: Buffer;
  /** The position after the part's last row. */
  readonly cp: Checkpoint;
  /** Set once the upload has settled (sent or failed): it can be recorded without a wait. */
  settled: boolean;
}

export async function openFileSink(store: FileStore, to: InputMap, run: RunKey, schema: TableSchema): Promise<Sink> {
  const format = to['toJobConfig.outputFormat'];
  const binary = schema.engine === BINARY_SCHEMA.engine;
  checkBinaryCopy(binary, format);
  const outputDir = normalizePath(to['toJobConfig.outputDirectory']!);
  const runId = runFileId(run);
  const statePath = joinPath(outputDir, CHECKPOINT_DIR, `${runId}.json`);
  const carryPath = (n: number) => joinPath(outputDir, CHECKPOINT_DIR, `${runId}.carry-${n}`);
  const deferCommit = to['toJobConfig.writeToTempFile'] === 'true';
  const duplicates = to['toJobConfig.duplicateFileOpType'] ?? 'REPLACE';
  const text = binary ? undefined : textWriter(to, schema, run);
  const fileLimit = to['toJobConfig.writeFileSize'] ? Number(to['toJobConfig.writeFileSize']) * MB : Infinity;
  const dek = to['toJobConfig.encryption'] === ALGORITHM ? parseDek(to['toJobConfig.dek'], 'toJobConfig.dek') : undefined;
  const validateMd5 = to['toJobConfig.validateMD5'] === 'true';
  // Before anything is written: a file committed unchecked would be there when the run fails.
  if (validateMd5 && !store.reportedMd5) throw errors.invalidParameter(`toJobConfig.validateMD5: ${store.label} reports no MD5 of its files.`);
  const recordMd5 = to['toJobConfig.recordMD5Result'] === 'true';
  const hashing = validateMd5 || recordMd5;
  const md5Path = md5RecordPath(outputDir, run);

  let state: SinkState | undefined;
  let seenSeq = 0;
  /** The state as last saved (or loaded): what a resumed run would find. */
  let savedJson = '';
  /** Binary: the file being streamed in one request; the saved checkpoint stays before it until it completes. */
  let streaming: { rel: string; file: StreamedFile; bytes: number } | undefined;
  /** Text: the checkpoint of the last batch in the buffer (saved once the buffer is in a part or carry file). */
  let pendingCp: Checkpoint | undefined;
  /** Text: encoded output not yet written as a part (what the saved state names is also in carry files). */
  let buffer: Buffer[] = [];
  let buffered = 0;
  /** Text: parts sent but not yet recorded in the state, oldest first. */
  let inFlight: SentPart[] = [];
  /** Binary: whole files sent but not yet recorded in the state, in the source's (path) order. */
  let wholeFiles: WholeFile[] = [];
  /** Text and whole binary files: the background save (saveLater) while one runs, whether another is wanted after it, and what stopped them. */
  let saving: Promise<void> | undefined;
  let saveAgain = false;
  /** When the last background save began, and how to end the wait before the next one. */
  let savedAt = 0;
  let hurry: (() => void) | undefined;
  /** Callers waiting for the saves (flushSaves()): while any does, no save waits for its turn. */
  let urgent = 0;
  let saveFailure: { error: unknown } | undefined;
  /**
   * Text: the open file and the next file's number as they stand with every part sent; the
   * state has them as they stand with every part recorded.
   */
  let ahead: { open?: OpenFile; nextIndex: number } = { nextIndex: 0 };
  /** What this slice stages is its own (FileStore.begin): another run writing the same names never touches it. */
  const owner = stagingOwner(runKeyString(run));
  /** Text: parts that may be on their way at once. Encrypted parts carry partial segments from one to the next: one at a time. */
  const partsInFlight = store.sendPart && !dek ? PARTS_IN_FLIGHT : 1;

  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof CheckpointConflictError || (e instanceof Error && e.name === 'CdmError')) throw e;
      throw errors.writeFailed(`${what} failed: ${(e as Error).message}`, e);
    }
  };

  const newFile = (staged: StagedFile, rel?: string): OpenFile => ({
    staged,
    parts: 0,
    bytes: 0,
    rel,
    ...(dek ? { salt: newSalt() } : {}),
    ...(hashing ? { md5: md5Start(), partMd5s: [] } : {}),
  });

  /** Binary: writes `bytes` as the open file's next part. */
  async function writePart(s: SinkState, open: OpenFile, at: number, bytes: Buffer): Promise<void> {
    open.staged = await store.writePart(open.staged, open.parts, at, bytes);
    if (open.md5) {
      const sent = md5Hex(bytes);
      checkPartMd5(open.staged, open.parts, sent);
      open.md5 = md5Update(open.md5, bytes);
      open.partMd5s![open.parts] = sent;
    }
    open.parts++;
    s.bytesWritten += bytes.length;
  }

  /** Part `index` as Ferry sent it (`sent`, its MD5) against the MD5 the store reports for it, where it reports one. */
  function checkPartMd5(staged: StagedFile, index: number, sent: string): void {
    // Checked before the file is committed: with writeToTempFile a bad part leaves nothing visible.
    const reported = validateMd5 ? store.partMd5s?.(staged)[index] : undefined;
    if (reported !== undefined && reported !== sent) {
      throw errors.writeFailed(
        `MD5 check failed for ${store.describe(staged.path)} (part ${index + 1}): Ferry wrote ${sent}, the store reports ${reported}; the file was not committed.`,
      );
    }
  }

  /** The bytes a staged file's parts hold. */
  const stagedBytes = (open: OpenFile) => (dek ? cipherSize(open.bytes) : open.bytes);

  /**
   * Files and bytes counted as written but only staged (the open file, files awaiting their
   * commit): counters leave them out (and a streamed upload's), and a discard takes them back.
   */
  function uncommitted(s: SinkState): { files: number; bytes: number } {
    const pending = s.pending.filter((f) => !f.skip);
    const open = s.open ? stagedBytes(s.open) : 0;
    return { files: pending.length, bytes: pending.reduce((a, f) => a + (f.bytes ?? 0), open) };
  }

  /** The open file is complete: it waits for its commit (or, a skipped duplicate, to be dropped). */
  function finishFile(s: SinkState, open: OpenFile, skip = false): void {
    s.open = undefined;
    if (skip) {
      s.pending.push({ ...open.staged, skip });
      s.filesSkipped++;
      s.bytesWritten -= stagedBytes(open);
      return;
    }
    const digest = open.md5 && { md5: md5Digest(open.md5), parts: open.partMd5s! };
    const bytes = stagedBytes(open);
    s.pending.push(digest ? { ...open.staged, digest, bytes } : { ...open.staged, bytes });
    s.filesWritten++;
  }

  /**
   * Whether a file of `size` bytes (before encryption) at `path` would be a duplicate to skip:
   * CDM's duplicate has the same name and size. ABANDON fails the run instead. Files this run
   * staged are not visible yet, so a retried write never mistakes its own output for one.
   */
  async function duplicateAt(path: string, size: number): Promise<boolean> {
    if (duplicates === 'REPLACE') return false;
    const existing = await store.stat(path);
    if (existing?.size !== (dek ? cipherSize(size) : size)) return false;
    if (duplicates === 'ABANDON') {
      throw errors.writeFailed(`${store.describe(path)} already exists with the same size; toJobConfig.duplicateFileOpType is ABANDON.`);
    }
    return true;
  }

  /** Plaintext `data` at the open file's end as the bytes of its next part, and where they go. */
  const partOf = (open: OpenFile, data: Buffer, last: boolean) =>
    dek
      ? { at: cipherOffset(open.bytes), bytes: sealPiece(fileCipher(dek, open.salt!), open.bytes, data, last) }
      : { at: open.bytes, bytes: data };

  async function putCarry(n: number, data: Buffer): Promise<void> {
    await store.put(carryPath(n), dek ? sealWhole(dek, data) : data);
  }

  async function getCarry(n: number): Promise<Buffer> {
    const raw = await store.get(carryPath(n));
    if (!raw) throw errors.writeFailed(`The carry file ${store.describe(carryPath(n))} of this run is missing.`);
    const data = dek ? openWhole(dek, raw) : raw;
    if (!data) throw errors.writeFailed(`The carry file ${store.describe(carryPath(n))} of this run does not decrypt with toJobConfig.dek: it was altered.`);
    return data;
  }

  /** The slice's carry files (one more than `s` names: the one a killed invocation may have begun) and its checkpoint. */
  async function deleteBookkeeping(s: SinkState | undefined): Promise<void> {
    for (let n = 0; n <= (s?.carryHigh ?? 0); n++) await store.delete(carryPath(n));
    await store.delete(statePath);
  }

  async function readState(): Promise<SinkState | undefined> {
    const raw = await store.get(statePath);
    return raw ? (JSON.parse(raw.toString('utf8')) as SinkState) : undefined;
  }

  async function load(): Promise<SinkState> {
    if (state) return state;
    // An earlier state's saves end before this one is read.
    await flushSaves();
    saveAgain = false;
    saveFailure = undefined;
    const saved = await readState();
    seenSeq = saved?.seq ?? 0;
    state = saved ?? {
      v: 1,
      seq: 0,
      checkpoint: { position: {}, rowsRead: 0, rowsWritten: 0, bytesRead: 0 },
      pending: [],
      nextIndex: 0,
      carry: 0,
      carryHigh: 0,
      filesWritten: 0,
      filesSkipped: 0,
      bytesWritten: 0,
    };
    savedJson = JSON.stringify(state);
    buffer = [];
    pendingCp = undefined;
    // Parts an earlier attempt left on their way are not this state's: they are sent again if it needs them.
    inFlight = [];
    wholeFiles = [];
    ahead = { open: state.open && copyOpen(state.open), nextIndex: state.nextIndex };
    streaming?.file.abort();
    streaming = undefined;
    for (let n = 0; n < state.carry; n++) buffer.push(await getCarry((state.carryAt ?? 0) + n));
    buffered = buffer.reduce((a, b) => a + b.length, 0);
    // Files a crashed invocation saved as complete but may not have committed.
    if (!deferCommit) await commitPending(state);
    return state;
  }

  /**
   * Another executor that took over this run has advanced seq: this one must stop. Started
   * as a write begins and awaited just before its save, so the read overlaps the data's
   * upload instead of adding a round trip. (Read-then-write, not atomic; the lease in the
   * store is the primary guard, and deterministic parts make a racing duplicate write the
   * same bytes.)
   */
  function conflictCheck(): Promise<void> {
    const expected = seenSeq;
    const check = readState().then((current) => {
      if ((current?.seq ?? 0) !== expected) throw new CheckpointConflictError(runKeyString(run));
    });
    check.catch(() => undefined); // awaited by save(); a write that fails first must not leave it unhandled
    return check;
  }

  async function save(s: SinkState, cp: Checkpoint, checked: Promise<void> = conflictCheck()): Promise<void> {
    s.checkpoint = cp;
    await saveState(s, checked);
  }

  /** Saves the state as it stands once the check is done. */
  async function saveState(s: SinkState, checked: Promise<void> = conflictCheck()): Promise<void> {
    await checked;
    s.seq = seenSeq + 1;
    const json = JSON.stringify(s);
    await store.put(statePath, Buffer.from(json));
    seenSeq = s.seq;
    savedJson = json;
  }

  /** Binary: saves `cp` as durable, then commits complete files unless deferred. */
  async function saveAndCommit(s: SinkState, cp: Checkpoint, checked: Promise<void>): Promise<void> {
    await save(s, cp, checked);
    if (!deferCommit) await commitPending(s);
  }

  async function commitPending(s: SinkState): Promise<void> {
    for (const f of [...s.pending]) await commitFile(s, f);
  }

  async function commitFile(s: SinkState, f: PendingFile): Promise<void> {
    if (f.skip) await store.abort(f);
    else await store.commit(f);
    if (f.digest && validateMd5) await checkMd5(f.path, f.digest);
    // Together, with no wait between: a save sees the file pending or committed with its MD5 line, never both.
    if (f.digest && recordMd5) (s.md5s ??= []).push([f.path.slice(outputDir ? outputDir.length + 1 : 0), f.digest.md5]);
    s.pending = s.pending.filter((p) => p.path !== f.path);
  }

  /**
   * Text and whole binary files: saves the state in the background, one save at a time; asked
   * again while one runs, it saves once more after it, the state as it then stands. After each save come the
   * commits of the files it names complete (a file is committed only once a saved state
   * names it so: a crash before the commit repeats it), unless deferred. A failure is thrown
   * by the next call (or by savesDone()).
   */
  function saveLater(s: SinkState): void {
    if (saveFailure) throw saveFailure.error;
    saveAgain = true;
    saving ??= (async () => {
      try {
        while (saveAgain) {
          await spaced();
          saveAgain = false;
          savedAt = Date.now();
          await saveState(s);
          if (deferCommit) continue;
          const named = (JSON.parse(savedJson) as SinkState).pending;
          for (const f of named) if (s.pending.some((p) => p.path === f.path)) await commitFile(s, f);
        }
      } catch (e) {
        saveFailure = { error: e };
      } finally {
        saving = undefined;
      }
    })();
  }

  /** Until SAVE_SPACING_MS after the last save began, or until one is wanted at once (flushSaves()). */
  async function spaced(): Promise<void> {
    const wait = savedAt + SAVE_SPACING_MS - Date.now();
    if (wait <= 0 || urgent > 0) return;
    await new Promise<void>((ok) => {
      const timer = setTimeout(ok, wait);
      hurry = () => {
        clearTimeout(timer);
        ok();
      };
    });
    hurry = undefined;
  }

  /** The background saves under way and wanted, done now: none waits for its turn. */
  async function flushSaves(): Promise<void> {
    urgent++;
    try {
      hurry?.();
      await saving;
    } finally {
      urgent--;
    }
  }

  /** Text and whole binary files: once the background saves are done (the state saved as it stands), or the error that stopped them. */
  async function savesDone(): Promise<void> {
    await flushSaves();
    if (saveFailure) throw saveFailure.error;
  }

  /** Text: every part sent recorded in the state, and the state saved. */
  async function allSaved(s: SinkState): Promise<void> {
    await recordSent(s, 0);
    await savesDone();
  }

  /** The store's MD5 of a committed file against the one computed while writing it. */
  async function checkMd5(path: string, digest: NonNullable<PendingFile['digest']>): Promise<void> {
    const reported = await store.reportedMd5!(path);
    // Object stores name a multipart upload by its parts' MD5s: compare like with like.
    const expected = reported && /-\d+$/.test(reported) ? multipartEtag(digest.parts) : digest.md5;
    if (reported === expected) return;
    await store.delete(path);
    throw errors.writeFailed(
      `MD5 check failed for ${store.describe(path)}: Ferry wrote ${expected}, the store reports ${reported ?? 'no file'}; the file was removed.`,
    );
  }

  /**
   * Text: sends the buffer as the open file's next part (starting a file if none is open);
   * the state records it once the store has it (recordSent). Returns with fewer than
   * partsInFlight parts unrecorded.
   */
  async function flush(s: SinkState, cp: Checkpoint, closeFile: boolean): Promise<void> {
    if (buffered > 0 && !ahead.open) {
      const staged = await store.begin(joinPath(outputDir, text!.fileName(ahead.nextIndex)), owner);
      ahead.nextIndex++;
      ahead.open = newFile(staged);
      if (text!.header) buffer.unshift(text!.header);
    }
    const open = ahead.open;
    let step: SentPart = { nextIndex: ahead.nextIndex, closing: false, cp, settled: true };
    if (open) {
      const data = buffer.length === 1 ? buffer[0]! : Buffer.concat(buffer);
      const closing = closeFile || open.bytes + data.length >= fileLimit;
      // Encrypted, only whole segments go out before the file's end; the rest is carried.
      const cut = dek && !closing ? data.length - (data.length % SEGMENT_BYTES) : data.length;
      let part: SentPart['part'];
      if (cut > 0 || (dek && closing)) {
        const { at, bytes } = partOf(open, data.subarray(0, cut), closing);
        const index = open.parts;
        if (store.maxParts && index >= store.maxParts) {
          throw errors.writeFailed(
            `${store.describe(open.staged.path)} would take more than ${store.maxParts} parts, the most the ${store.label} completes: set toJobConfig.writeFileSize (MB) to write the output as several files.`,
          );
        }
        const sent = store.sendPart ? store.sendPart(open.staged, index, bytes) : store.writePart(open.staged, index, at, bytes).then((f) => () => f);
        part = { index, size: bytes.length, sent };
        if (open.md5) {
          open.md5 = md5Update(open.md5, bytes);
          open.partMd5s![index] = md5Hex(bytes);
        }
        open.parts++;
        open.bytes += cut;
      }
      const rest = cut < data.length ? data.subarray(cut) : undefined;
      buffer = rest ? [rest] : [];
      buffered = rest?.length ?? 0;
      if (closing) ahead.open = undefined;
      // Decided before any saved state names the file complete: a resumed run decides the same.
      const skip = closing && (await duplicateAt(open.staged.path, open.bytes));
      step = { file: copyOpen(open), part, nextIndex: ahead.nextIndex, closing, skip, rest, cp, settled: !part };
      if (part) {
        const sending = step;
        // Recorded in order later; a failure surfaces there (or is dropped with a state reloaded after it).
        part.sent.then(() => (sending.settled = true), () => (sending.settled = true));
      }
    }
    inFlight.push(step);
    pendingCp = undefined;
    await recordSent(s, sendingAlongside(step.part?.size));
  }

  /**
   * Text parts left on their way after one is sent: partsInFlight, fewer once parts have grown
   * (partBytesAt), so that they hold about as much memory as partsInFlight parts of the minimum.
   */
  function sendingAlongside(partBytes = 0): number {
    const fit = Math.ceil((partsInFlight * store.minPartBytes) / Math.max(partBytes, 1));
    return Math.max(0, Math.min(partsInFlight, fit) - 1);
  }

  /**
   * Text: records sent parts in the state, oldest first, each with its checkpoint: until at
   * most `keep` are left unrecorded, and past them while the oldest is already sent (so the
   * checkpoint follows the store closely). The state is then saved in the background.
   */
  async function recordSent(s: SinkState, keep: number): Promise<void> {
    if (saveFailure) throw saveFailure.error;
    let recorded = false;
    while (inFlight.length > keep || inFlight[0]?.settled) {
      const step = inFlight.shift()!;
      const { file, part } = step;
      const apply = part && (await part.sent);
      if (step.rest) {
        // An encrypted part's rest goes to a carry file the saved state does not name (index 0
        // unless the named ones start there), so the saved state must be this one: a crash
        // before the next save leaves the named ones intact.
        await savesDone();
        const tailAt = (s.carryAt ?? 0) === 0 ? s.carry : 0;
        await putCarry(tailAt, step.rest);
        s.carryAt = tailAt;
        s.carry = 1;
        s.carryHigh = Math.max(s.carryHigh, tailAt + 1);
      } else {
        // Carried bytes are in this part now.
        s.carry = 0;
        s.carryAt = 0;
      }
      // From here to the loop's end nothing waits: a save in the background sees the step whole or not at all.
      if (file) {
        // Parts of the file this state has open go onto its staged file; a new file's first part onto the file as begun.
        let staged = s.open?.staged.path === file.staged.path ? s.open.staged : file.staged;
        if (part) {
          staged = apply!(staged);
          if (file.partMd5s) checkPartMd5(staged, part.index, file.partMd5s[part.index]!);
          s.bytesWritten += part.size;
        }
        s.open = { ...file, staged };
        if (step.closing) finishFile(s, s.open, step.skip);
      }
      s.nextIndex = step.nextIndex;
      s.checkpoint = step.cp;
      recorded = true;
    }
    if (!recorded) return;
    saveLater(s);
    // Stores that take one part at a time keep the plain order: each write returns saved.
    if (partsInFlight === 1) await savesDone();
  }

  /** A file that is one piece needs no staging when nothing asks for it: one PUT at its path. */
  const putWhole = !deferCommit && duplicates === 'REPLACE' && !dek && !hashing;

  /** Binary: a new source file starts; whatever the previous one left open or skipping ends. */
  async function dropOpen(s: SinkState): Promise<void> {
    if (s.open) await store.abort(s.open.staged);
    s.open = undefined;
    s.skipping = undefined;
  }

  /**
   * Binary: a whole file as the source streams it, in one request. On the same server the bytes
   * need not travel: the server copies the file (as rclone does), up to COPIES_IN_FLIGHT side by
   * side. Either way the checkpoint follows the files in order (recordWholeFiles), saved in the
   * background while the next file goes.
   */
  async function writeStream(s: SinkState, row: readonly unknown[], stream: FileStream, cp: Checkpoint): Promise<void> {
    const size = Number(row[1] as bigint);
    const dest = joinPath(outputDir, row[0] as string);
    const { origin } = stream;
    const copier = origin && store.copierFrom?.(origin.store);
    await dropOpen(s);
    sending(copier ? copier(origin.path, dest) : upload(stream, dest, size), size, 1, cp);
    // A streamed file holds buffers: one at a time, recorded as soon as it is complete.
    await recordWholeFiles(s, copier ? COPIES_IN_FLIGHT - 1 : 0);
  }

  /** Binary: whole files on their way, recorded in order later (a failure surfaces there). */
  function sending(done: Promise<void>, size: number, files: number, cp: Checkpoint): void {
    const sent: WholeFile = { done, size, files, cp, settled: false };
    done.then(
      () => (sent.settled = true),
      () => (sent.settled = true),
    );
    wholeFiles.push(sent);
  }

  /** Binary: `stream` sent to `dest` in one request; nothing appears unless it completes. */
  async function upload(stream: FileStream, dest: string, size: number): Promise<void> {
    const file = store.putStream!(dest, size, WHOLE_FILE_AHEAD_BYTES);
    try {
      for await (const chunk of stream) await file.write(chunk);
      await file.end();
    } catch (e) {
      file.abort();
      throw e;
    }
  }

  /**
   * Binary: records whole files sent in the state, oldest first: until at most `keep` are left
   * unrecorded, and past them while the oldest is already complete. A file is recorded only
   * after every file before it, so the saved checkpoint never passes a file not yet complete;
   * a resumed run sends again those after it (the same bytes to the same key). The state is
   * then saved in the background.
   */
  async function recordWholeFiles(s: SinkState, keep: number): Promise<void> {
    if (saveFailure) throw saveFailure.error;
    let recorded = false;
    while (wholeFiles.length > keep || wholeFiles[0]?.settled) {
      const file = wholeFiles[0]!;
      await file.done;
      // From here to the loop's end nothing waits: a save in the background sees the file whole or not at all.
      wholeFiles.shift();
      s.filesWritten += file.files;
      s.bytesWritten += file.size;
      s.checkpoint = file.cp;
      recorded = true;
    }
    if (recorded) saveLater(s);
  }

  /** Binary: every whole file complete and recorded, and the state saved (before a save of the sink's own). */
  async function wholeFilesSaved(s: SinkState): Promise<void> {
    await recordWholeFiles(s, 0);
    await savesDone();
  }

  /** Whole files of a batch upload side by side (many small files are latency, not bytes): starts one, waiting while PUTS_IN_FLIGHT are on their way. */
  async function startPut(puts: Promise<void>[], rel: string, data: Buffer): Promise<void> {
    const put = store.put(joinPath(outputDir, rel), data);
    put.catch(() => undefined); // awaited with the batch's other puts
    puts.push(put);
    if (puts.length >= PUTS_IN_FLIGHT) await puts[puts.length - PUTS_IN_FLIGHT];
  }

  /**
   * Binary: a batch of whole files, each in one PUT. As whole files streamed, the batch is
   * recorded once every file of it and before it is complete, the state saved in the background,
   * and its uploads go on while the next batch's begin (waiting for a batch's last file, then
   * for its save, was a round trip per few files). A crash sends the files after the saved
   * checkpoint again, whole.
   */
  async function writeWholeFiles(s: SinkState, rows: readonly (readonly unknown[])[], cp: Checkpoint): Promise<void> {
    const puts: Promise<void>[] = [];
    let bytes = 0;
    for (const row of rows) {
      const data = asBuffer(row[3] as Uint8Array);
      await startPut(puts, row[0] as string, data);
      bytes += data.length;
    }
    sending(Promise.all(puts).then(() => undefined), bytes, rows.length, cp);
    // One batch on its way while the next one starts; each holds its files' bytes.
    await recordWholeFiles(s, 1);
  }

  const isWholeFile = (row: readonly unknown[]) => row[2] === 0n && BigInt((row[3] as Uint8Array).length) === row[1];

  async function writeBinary(s: SinkState, rows: readonly (readonly unknown[])[], cp: Checkpoint): Promise<void> {
    if (putWhole && !s.open && !s.skipping && !streaming && rows.every(isWholeFile)) return writeWholeFiles(s, rows, cp);
    await wholeFilesSaved(s);
    // Inside a streamed file a batch saves nothing, most likely: the check waits for a save.
    const checked = streaming ? undefined : conflictCheck();
    const puts: Promise<void>[] = [];
    for (const row of rows) {
      const rel = row[0] as string;
      const size = Number(row[1] as bigint);
      const offset = Number(row[2] as bigint);
      const data = asBuffer(row[3] as Uint8Array);
      const last = offset + data.length === size;
      if (offset === 0 && last && putWhole) {
        await dropOpen(s);
        await startPut(puts, rel, data);
        s.filesWritten++;
        s.bytesWritten += data.length;
        continue;
      }
      if (offset === 0 && putWhole && store.putStream && size <= STREAM_BYTES && s.unstreamed !== rel) {
        await dropOpen(s);
        streaming?.file.abort();
        streaming = { rel, file: store.putStream(joinPath(outputDir, rel), size), bytes: 0 };
      }
      if (streaming && streaming.rel === rel) {
        if (streaming.bytes !== offset) {
          throw errors.writeFailed(`Binary copy out of order at ${rel} offset ${offset}: the sink expected ${streaming.bytes}.`);
        }
        // Returns once the previous piece is sent: this one goes on while the engine reports progress.
        await streaming.file.write(data);
        streaming.bytes += data.length;
        s.bytesWritten += data.length;
        if (last) {
          await streaming.file.end();
          streaming = undefined;
          s.filesWritten++;
        }
        continue;
      }
      if (offset === 0) {
        const dest = joinPath(outputDir, rel);
        await dropOpen(s);
        if (await duplicateAt(dest, size)) {
          s.skipping = rel;
          s.filesSkipped++;
        } else {
          s.open = newFile(await store.begin(dest, owner), rel);
        }
      }
      if (s.skipping === rel) {
        if (last) s.skipping = undefined;
        continue;
      }
      const open = s.open;
      if (!open || open.rel !== rel || open.bytes !== offset) {
        throw errors.writeFailed(`Binary copy out of order at ${rel} offset ${offset}: the sink expected ${open?.rel ?? 'a new file'} at ${open?.bytes ?? 0}.`);
      }
      const part = partOf(open, data, last);
      await writePart(s, open, part.at, part.bytes);
      open.bytes += data.length;
      if (last) finishFile(s, open);
    }
    await Promise.all(puts);
    // Inside a streamed file nothing is durable yet: the checkpoint waits for its end (a later batch's).
    if (!streaming) await saveAndCommit(s, cp, checked ?? conflictCheck());
  }

  const sink: Sink = {
    async encoding() {
      return text?.encoding;
    },
    async prepare() {
      await wrap(`Preparing ${store.describe(outputDir)}`, () => store.prepareDirectory(outputDir));
    },
    fileStreamBytes() {
      return binary && putWhole && store.putStream ? STREAM_BYTES : undefined;
    },
    async checkpoint() {
      return wrap('Reading the checkpoint', async () => {
        state = undefined;
        const s = await load();
        return s.seq === 0 ? undefined : s.checkpoint;
      });
    },
    async write(batch, cp) {
      await wrap(`Writing to ${store.describe(outputDir)}`, async () => {
        const s = await load();
        if (batch.stream) return writeStream(s, batch.rows[0]!, batch.stream, cp);
        if (!text) return writeBinary(s, batch.rows, cp);
        const chunk = batch.encoded ? text.encodeLines(batch) : text.encodeRows(batch.rows);
        if (chunk.length) {
          buffer.push(chunk);
          buffered += chunk.length;
        }
        pendingCp = cp;
        const fileBytes = (ahead.open?.bytes ?? 0) + buffered;
        if (buffered >= partBytesAt(store, ahead.open?.parts ?? 0) || fileBytes >= fileLimit) return flush(s, cp, false);
        // Too small for a part: it waits in memory, and the saved checkpoint stays behind it.
      });
    },
    async suspend() {
      // A continuation takes over: what only this invocation holds becomes carry files.
      await wrap(`Writing to ${store.describe(outputDir)}`, async () => {
        if (!text && streaming) {
          // A streamed file cannot be carried over: it is dropped, and the run resumes before
          // it (the state as last saved) with that file in parts, so the next invocation gets on.
          const { rel, file } = streaming;
          file.abort();
          streaming = undefined;
          const checked = conflictCheck();
          const saved = JSON.parse(savedJson) as SinkState;
          state = { ...saved, unstreamed: rel };
          await save(state, saved.checkpoint, checked);
          return;
        }
        if (!text) {
          if (state) await wholeFilesSaved(state);
          return;
        }
        if (!state) return;
        const s = state;
        // Parts on their way are recorded and saved first: the carry files follow them.
        await allSaved(s);
        if (!pendingCp) return;
        const checked = conflictCheck();
        const named = s.carryAt ?? 0;
        const from = named + s.carry;
        // The buffer opens with the carried bytes the state already names; the rest is new.
        const fresh = Buffer.concat(buffer.slice(s.carry));
        if (fresh.length) {
          await putCarry(from, fresh);
          buffer = [...buffer.slice(0, s.carry), fresh];
          s.carry++;
          s.carryHigh = Math.max(s.carryHigh, from + 1);
        }
        await save(s, pendingCp, checked);
        pendingCp = undefined;
      });
    },
    async seal() {
      // Idempotent and keeps the checkpoint: a crash before the engine records the slice
      // done resumes at the end and seals again.
      await wrap(`Finishing ${store.describe(outputDir)}`, async () => {
        const s = await load();
        if (text) {
          // Every part sent is recorded and saved first: the last checkpoint is then the state's.
          await allSaved(s);
          await flush(s, pendingCp ?? s.checkpoint, true);
          await allSaved(s);
        } else if (streaming) throw errors.writeFailed(`The source ended inside ${streaming.rel}: it was not copied whole.`);
        else {
          await wholeFilesSaved(s);
          // Saved as it stands already (the last batch's save, or the last file's): no second round trip.
          if (JSON.stringify(s) !== savedJson) await save(s, s.checkpoint);
        }
        await commitPending(s);
        // This slice's MD5 lines, for the run's result file (completeFileRun).
        if (recordMd5) await store.put(md5Path, Buffer.from((s.md5s ?? []).map(([p, m]) => md5Line(m, p)).join('')));
      });
    },
    async finish() {
      await wrap(`Cleaning up ${store.describe(outputDir)}`, async () => {
        const s = await load();
        await deleteBookkeeping(s);
      });
    },
    async discard() {
      // The run failed: what it staged here goes (files not committed, carry files, MD5 lines,
      // the checkpoint), so no temp file or upload of it outlives it. Committed files stay:
      // without writeToTempFile they are visible as they complete, as CDM's are.
      await wrap(`Cleaning up ${store.describe(outputDir)}`, async () => {
        const streamed = streaming?.bytes ?? 0;
        streaming?.file.abort();
        streaming = undefined;
        // Transfers still on their way land (or fail) first: none recreates what goes here.
        const sent = wholeFiles;
        const landed = await Promise.allSettled(sent.map((f) => f.done));
        await Promise.allSettled(inFlight.map((p) => p.part?.sent));
        await flushSaves();
        const s = state ?? (await readState());
        const staged = new Map([s?.open?.staged, ahead.open?.staged, ...(s?.pending ?? [])].filter((f) => f !== undefined).map((f) => [f.path, f]));
        await Promise.allSettled([...staged.values()].map((f) => store.abort(f)));
        if (s) {
          // What was staged and never committed was not written after all; whole files that
          // landed meanwhile were, and stay.
          const { files, bytes } = uncommitted(s);
          s.filesWritten -= files;
          s.bytesWritten -= bytes + streamed;
          sent.forEach((f, i) => {
            if (landed[i]!.status === 'rejected') return;
            s.filesWritten += f.files;
            s.bytesWritten += f.size;
          });
          s.pending = [];
          s.open = undefined;
        }
        ahead = { nextIndex: s?.nextIndex ?? 0 };
        inFlight = [];
        wholeFiles = [];
        if (recordMd5) await store.delete(md5Path);
        await deleteBookkeeping(s);
      });
    },
    counters(): Partial<Counters> {
      if (!state) return {};
      // What readers can see: a file staged (with writeToTempFile, until the slice ends) counts once committed,
      // so a run that fails meanwhile counts only what it leaves.
      const { files: staged, bytes } = uncommitted(state);
      const bytesWritten = state.bytesWritten - bytes - (streaming?.bytes ?? 0);
      const files = { filesWritten: state.filesWritten - staged, filesSkipped: state.filesSkipped, bytesWritten };
      return binary ? { ...files, rowsRead: -1, rowsWritten: -1, rowsWrittenSkipped: -1 } : files;
    },
    async close() {
      streaming?.file.abort();
      streaming = undefined;
      // Whole files still on their way (a read failed behind them) land or fail before the store
      // closes: none is cut off half-written (a temp file left beside the output).
      await Promise.allSettled(wholeFiles.map((f) => f.done));
      await flushSaves();
      await store.close();
    },
  };
  return sink;
}

/**
 * Once the run's every file is committed (a successful run only): the MD5 result file
 * (recordMD5Result), then the marker file (toJobConfig.markerFile, empty, in the output
 * directory), last, so that whoever waits for it finds everything in place. Both may be
 * written again after a crash.
 */
export async function completeFileRun(store: FileStore, to: InputMap, run: RunKey, partitions: number, md5Store: FileStore): Promise<void> {
  const outputDir = normalizePath(to['toJobConfig.outputDirectory']!);
  if (to['toJobConfig.recordMD5Result'] === 'true') await writeMd5Result(store, outputDir, to, run, partitions, md5Store);
  const marker = to['toJobConfig.markerFile'];
  if (marker) await store.put(joinPath(outputDir, marker), Buffer.alloc(0));
}

/** The run (partition) as a file name: its checkpoint, carry and MD5 files beside the data. */
function runFileId(run: RunKey): string {
  return runKeyString(run).replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Where a slice's MD5 lines wait for the end of the run. */
function md5RecordPath(outputDir: string, run: RunKey): string {
  return joinPath(outputDir, CHECKPOINT_DIR, `${runFileId(run)}.md5`);
}

/**
 * One `md5sum` line. A path holding a line break or a backslash is escaped as GNU md5sum
 * escapes it (a `\` before the MD5, `\n` and `\\` in the path): a raw line break would split the
 * line, and `md5sum -c` would check a file of another name.
 */
function md5Line(md5: string, path: string): string {
  if (!/[\\\n]/.test(path)) return `${md5}  ${path}\n`;
  return `\\${md5}  ${path.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`;
}

/** Every slice's lines, sorted by path, as `<job>_<submission>.md5` in recordMD5Directory; then the slices' go. */
async function writeMd5Result(store: FileStore, outputDir: string, to: InputMap, run: RunKey, partitions: number, md5Store: FileStore): Promise<void> {
  const result = joinPath(normalizePath(to['toJobConfig.recordMD5Directory']!), `${run.job}_${run.submissionId}.md5`);
  const slices = Array.from({ length: partitions }, (_v, n) => md5RecordPath(outputDir, { ...run, partition: n }));
  const lines: string[] = [];
  for (const path of slices) {
    const part = await store.get(path);
    // Gone: an earlier attempt of this step wrote the result and removed them.
    if (!part) {
      if (await md5Store.stat(result)) return;
      throw errors.writeFailed(`The MD5 lines of this run are missing (${store.describe(path)}).`);
    }
    lines.push(...part.toString('utf8').split('\n').filter(Boolean));
  }
  // An escaped line starts with a backslash: its path starts one character later.
  const byPath = (l: string) => l.slice(l.startsWith('\\') ? 35 : 34);
  lines.sort((a, b) => (byPath(a) < byPath(b) ? -1 : byPath(a) > byPath(b) ? 1 : 0));
  await md5Store.put(result, Buffer.from(lines.map((l) => `${l}\n`).join('')));
  for (const path of slices) await store.delete(path);
}

function textWriter(to: InputMap, schema: TableSchema, run: RunKey) {
  const json = to['toJobConfig.outputFormat'] === 'JSON_FILE';
  const encodeType = to['toJobConfig.encodeType'] || 'UTF-8';
  const encode = encoderFor(encodeType, 'toJobConfig.encodeType');
  const opts = {
    fieldSeparator: unescapeSeparator(to['toJobConfig.fieldSeparator'] || ','),
    lineSeparator: json ? '\n' : unescapeSeparator(to['toJobConfig.lineSeparator'] || '\\r\\n'),
    quote: to['toJobConfig.quoteChar'] === 'true',
  };
  // toJobConfig.columnList: the source's columns to write, by position (1&3), in that order.
  const picked = (to['toJobConfig.columnList'] || '').split('&').filter(Boolean).map((n) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= schema.columns.length) {
      throw errors.invalidParameter(`toJobConfig.columnList names column ${n}, but the source has ${schema.columns.length}.`);
    }
    return i;
  });
  const indexes = picked.length ? picked : schema.columns.map((_c, i) => i);
  const columns = indexes.map((i) => schema.columns[i]!);
  const prefix = to['toJobConfig.filePrefix'] || run.job;
  const ext = json ? 'json' : 'csv';
  // A source may format UTF-8 CSV lines itself (RowEncoding); JSON and other encodings are built here.
  const encoding: CsvEncoding | undefined =
    json || !isUtf8(encodeType) ? undefined : { format: 'csv', columns: indexes, ...opts };
  const lineEnd = Buffer.from(opts.lineSeparator, 'utf8');
  return {
    encoding,
    header:
      !json && to['toJobConfig.firstRowAsHeader'] === 'true'
        ? encode(formatCsvLine(columns.map((c) => c.name), opts))
        : undefined,
    // Partitions write side by side: each names its files apart (partition 0 as an unsplit run).
    fileName: (n: number) => `${prefix}_${run.partition ? `p${run.partition}_` : ''}${String(n).padStart(5, '0')}.${ext}`,
    /** A batch's lines as one buffer: text is joined first and encoded once. */
    encodeRows(rows: readonly (readonly unknown[])[]): Buffer {
      let out = '';
      // One array a row: the picked values (JSON), or their texts (CSV).
      for (const row of rows) {
        out += json
          ? formatJsonLine(columns, indexes.map((i) => row[i] ?? null) as never, opts.lineSeparator)
          : formatCsvLine(indexes.map((i, k) => valueToText(columns[k]!.type, (row[i] ?? null) as never)), opts);
      }
      return encode(out);
    },
    /** A batch of lines the source formatted in `encoding` (see RowEncoding), each followed by the line separator. */
    encodeLines(batch: RecordBatch): Buffer {
      if (batch.encoded !== encoding) throw new Error('A batch arrived in a row encoding this file sink did not ask for.');
      if (batch.lines) return batch.lines.bytes;
      const parts: Buffer[] = [];
      for (const [line] of batch.rows) parts.push(typeof line === 'string' ? Buffer.from(line, 'utf8') : (line as Buffer), lineEnd);
      return Buffer.concat(parts);
    },
  };
}

/** A piece's bytes as a Buffer over the same memory (Buffer.from would copy them). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
