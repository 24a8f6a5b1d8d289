// The engine's contract with connectors: sources yield record batches, sinks write them
// together with a checkpoint, and memory is bounded by one batch, never by the table.
import type { InputMap } from '../model/config-values';
import type { Counters } from '../model/submission';

/** Logical column types; every connector maps its native types to and from these. */
export type LogicalType =
  | 'integer' // up to 64-bit signed (and unsigned 64-bit): value is a bigint
  | 'decimal' // exact: value is a decimal string, never a float
  | 'float' // value is a number
  | 'boolean' // value is a boolean
  | 'string' // value is a string
  | 'bytes' // value is a Uint8Array (Buffer)
  | 'date' // value is 'YYYY-MM-DD'
  | 'time' // value is 'HH:MM:SS[.ffffff]'
  | 'timestamp' // without zone: value is 'YYYY-MM-DD HH:MM:SS[.ffffff]', never shifted
  | 'timestamptz' // with zone: value is ISO 8601 with offset
  | 'json'; // value is the JSON text

/**
 * A cell. Temporal values travel as strings so that no process timezone can shift
 * them; integers as bigint so that 64-bit values survive; decimals as strings.
 */
export type Value = null | bigint | number | string | boolean | Uint8Array;

export interface Column {
  readonly name: string;
  readonly type: LogicalType;
  readonly nullable: boolean;
  /** The source's own type name (e.g. `DECIMAL(12,2)`), used when both ends are the same engine. */
  readonly nativeType?: string;
  readonly length?: number;
  readonly precision?: number;
  readonly scale?: number;
}

/** TableSchema.engine of a byte-exact file copy: rows are pieces of files (connectors/files/file-source.ts). */
export const BINARY_ENGINE = 'ferry-binary-file';
/** TableSchema.engine of CSV/JSON file rows: every cell is text (connectors/files/file-source.ts). */
export const TEXT_FILE_ENGINE = 'ferry-text-file';

export interface TableSchema {
  /** The engine the native types belong to (`sqlite`, `mysql`, `postgresql`, …). */
  readonly engine: string;
  readonly columns: readonly Column[];
  /** Primary-key column names, in key order (empty when the table has none). */
  readonly primaryKey: readonly string[];
}

/** Where a read stands: JSON-serialisable, opaque to the engine, understood by its source. */
export type Position = { readonly [key: string]: unknown };

/**
 * A row format a sink takes as it is and a source may produce itself: `pg-copy` is one
 * line of PostgreSQL COPY text (fields separated by tabs, escaped, NULL as \N); a
 * CsvEncoding is one line of a CSV file.
 */
export type RowEncoding = 'pg-copy' | CsvEncoding;

/**
 * One CSV line in UTF-8, byte for byte what the file sink writes for the row's values
 * (csv-format.ts formatCsvLine over value-text.ts's texts), without its line end.
 */
export interface CsvEncoding {
  readonly format: 'csv';
  /** The source's columns written, by position, in this order (toJobConfig.columnList). */
  readonly columns: readonly number[];
  readonly fieldSeparator: string;
  /** Not part of the line, but a field holding it is quoted. */
  readonly lineSeparator: string;
  /** Every non-NULL field in double quotes (toJobConfig.quoteChar). */
  readonly quote: boolean;
}

export interface RecordBatch {
  /**
   * The rows' values; with `encoded`, each row is one string or its UTF-8 bytes: the row in
   * that encoding, without its line end. Empty when `lines` holds the rows.
   */
  readonly rows: Value[][];
  readonly encoded?: RowEncoding;
  /**
   * Only with a CsvEncoding, instead of a row each in `rows`: the rows' lines as one buffer,
   * each followed by the encoding's line separator (what a file sink writes as it is), and
   * how many they are. Spares an object a row, and a copy.
   */
  readonly lines?: { readonly bytes: Buffer; readonly count: number };
  /** The resume point just after this batch's last row. */
  readonly position: Position;
  /** Approximate bytes read for this batch (for BYTES_READ and MB/s). */
  readonly bytes: number;
  /**
   * Only when the source was opened with `dirtyData`: the records of this stretch it could
   * not read (in order, between the previous position and this one)…
   */
  readonly dirty?: readonly DirtyRecord[];
  /** …and how many the read has set aside so far, these included (kept in the position, so a resume goes on counting). */
  readonly dirtyTotal?: number;
  /**
   * Only in a binary file copy whose sink takes whole files (ReadOptions.fileStreamBytes): the
   * batch's one row is [path, size, 0, no bytes], and the file's bytes follow here, to be
   * read once, to their end, by the sink's write. A stream that fails ends the file unwritten.
   */
  readonly stream?: AsyncIterable<Buffer>;
}

/** The rows a batch carries, as values or as lines. */
export function rowCount(batch: RecordBatch): number {
  return batch.lines?.count ?? batch.rows.length;
}

/** What the sink would take beyond plain rows; a source uses what it can and ignores the rest. */
export interface ReadOptions {
  /** The sink takes rows already in this format (a source that can produce it exactly may yield such batches). */
  readonly encoding?: RowEncoding;
  /** The sink takes binary files of up to this many bytes whole, as one stream (RecordBatch.stream). */
  readonly fileStreamBytes?: number;
}

/** A record set aside as dirty data (throttlingConfig.recordDirtyData) instead of failing the run. */
export interface DirtyRecord {
  /** Where it came from, as its user knows it: a file (and ZIP entry), or a table. */
  readonly source: string;
  /** 1-based line of a text file, when there is one. */
  readonly line?: number;
  /** What is wrong with it. */
  readonly reason: string;
  /** The record's text as read. */
  readonly raw: string;
}

/** What a sink stores atomically with each chunk, so a retried chunk is never written twice. */
export interface Checkpoint {
  /** Source position after the last committed chunk. */
  readonly position: Position;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly bytesRead: number;
}

export interface Source {
  /** Column names and logical types of what `read` yields, in order. */
  readonly schema: TableSchema;
  /** Rows the read will yield, estimated cheaply (drives `progress`). */
  estimateRows(): Promise<number>;
  /** Streams batches of at most `chunkRows` rows, starting after `from` (or at the start). */
  read(from: Position | undefined, chunkRows: number, opts?: ReadOptions): AsyncIterable<RecordBatch>;
  /**
   * Optional: counters this source knows better than the engine (file jobs: FILES_READ,
   * TOTAL_FILES, TOTAL_SIZE), as of the last batch it yielded; they override the engine's.
   */
  counters?(): Partial<Counters>;
  /**
   * Optional: splits the read into at most `n` slices that together read each row exactly once
   * (the from-inputs of each), from what the open source knows already (a file source's
   * listing). Undefined when it cannot be split.
   */
  slices?(n: number): InputMap[] | undefined;
  close(): Promise<void>;
}

export interface Sink {
  /** Creates or clears the destination as the job asks; runs once per submission, at planning. */
  prepare(): Promise<void>;
  /** The last checkpoint committed with data for this run, if any: the authoritative resume point. */
  checkpoint(): Promise<Checkpoint | undefined>;
  /**
   * Writes a batch and its checkpoint in one transaction (a sink may hold a batch in memory
   * and keep an earlier checkpoint until it writes it: never a later one). Throws CheckpointConflictError
   * (and writes nothing) when another writer advanced this run's checkpoint since this
   * sink read it.
   */
  write(batch: RecordBatch, checkpoint: Checkpoint): Promise<void>;
  /** Optional: the row encoding this sink takes as it is, asked once before the first read (see Source.read). */
  encoding?(): Promise<RowEncoding | undefined>;
  /** Optional, binary file copies: files of up to this many bytes the sink takes whole, as one stream (RecordBatch.stream). */
  fileStreamBytes?(): number | undefined;
  /**
   * Optional, after the last chunk and before the engine records the slice done: make what
   * was written final (file sinks rename temporary parts into place). Must be idempotent
   * and keep the checkpoint: a crash before the slice is recorded done resumes at the end
   * and seals again.
   */
  seal?(): Promise<void>;
  /**
   * Optional, before a continuation takes over: make durable, with its checkpoint, what the
   * sink still holds only in memory (a file sink's text not yet in a part), so the next
   * invocation resumes after it.
   */
  suspend?(): Promise<void>;
  /** After the slice is recorded done: drop its checkpoint state (a crash before leaves only litter). */
  finish(): Promise<void>;
  /**
   * Optional, once the run has failed (called by the partition's lease holder only): what the
   * sink staged and never made final goes (a file sink's temp files and uploads, its
   * checkpoint); what it already made final stays.
   */
  discard?(): Promise<void>;
  /**
   * Optional: counters this sink knows better than the engine (file jobs: FILES_WRITTEN,
   * FILES_SKIPPED, BYTES_WRITTEN; -1 rows for a binary copy), as of the last write or finish.
   */
  counters?(): Partial<Counters>;
  close(): Promise<void>;
}

/** Identifies one run's partition: checkpoints are kept per submission and partition. */
export interface RunKey {
  readonly project: string;
  readonly cluster: string;
  readonly job: string;
  readonly submissionId: number;
  readonly partition: number;
}

export function runKeyString(k: RunKey): string {
  return `${k.project}/${k.cluster}/${k.job}/${k.submissionId}/${k.partition}`;
}

/** Another executor advanced the run's checkpoint: this one has lost the run and must stop. */
export class CheckpointConflictError extends Error {
  override readonly name = 'CheckpointConflictError';
  constructor(run: string) {
    super(`Checkpoint of ${run} was advanced by another executor.`);
  }
}
