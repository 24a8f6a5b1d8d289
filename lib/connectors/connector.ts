// What every connector folder exports: its declared inputs and how to open a source
// or sink from a link's and a job's (validated, decrypted) inputs.
import type { InputMap } from '../model/config-values';
import type { RunKey, Sink, Source, TableSchema } from '../engine/types';
import type { InputDecl } from './inputs';
import type { FileStore } from './files/file-store';

export interface SourceRequest {
  readonly link: InputMap;
  readonly from: InputMap;
  readonly run: RunKey;
  /** IANA zone of the calendar values in the inputs (the run's macro zone, FERRY_TIMEZONE); default UTC. */
  readonly timeZone?: string;
  /** throttlingConfig.recordDirtyData: malformed records go to `RecordBatch.dirty` instead of failing the read. */
  readonly dirtyData?: boolean;
}

export interface SinkRequest {
  readonly link: InputMap;
  readonly to: InputMap;
  readonly run: RunKey;
  /** The source's schema: what every batch written to this sink holds. */
  readonly schema: TableSchema;
}

/** toJobConfig.useStageTable: where a run writes instead of the target, and how the target takes it over. */
export interface StagePlan {
  /** The to-inputs that write the stage. */
  readonly to: InputMap;
  /** Once, at the end of a successful run: the target takes the stage's rows; the stage goes. */
  commit(link: InputMap): Promise<void>;
  /** When the run fails: the stage goes, the target was never touched. */
  discard(link: InputMap): Promise<void>;
}

export interface Connector {
  /** CDM's `connector-name`, e.g. `generic-jdbc-connector`. */
  readonly name: string;
  readonly linkInputs: readonly InputDecl[];
  readonly fromInputs: readonly InputDecl[];
  readonly toInputs: readonly InputDecl[];
  /** Cross-input rules the declarations cannot express (e.g. host needed unless SQLite). */
  checkLink?(link: InputMap): void;
  checkFrom?(from: InputMap): void;
  checkTo?(to: InputMap): void;
  /** Tries the link's connection (secrets in plain text); throws LinkTestError saying what failed. */
  testLink?(link: InputMap): Promise<void>;
  openSource?(req: SourceRequest): Promise<Source>;
  /** Whether a read with these from-inputs can set malformed records aside (SourceRequest.dirtyData). */
  readsDirtyData?(from: InputMap): boolean;
  /**
   * File connectors: the link's store outside any job (dirty data is written there). An
   * object store needs the bucket (`needsBucket`), which a job names elsewhere.
   */
  readonly files?: { readonly needsBucket: boolean; open(link: InputMap, bucket: string | undefined): Promise<FileStore> };
  openSink?(req: SinkRequest): Promise<Sink>;
  /**
   * Incremental migration: the from-inputs that read only rows whose `column` is above
   * `after` (the job's high-water mark) and at most its current maximum, returned as `upTo`
   * (undefined when there is nothing new).
   */
  incremental?(req: { link: InputMap; from: InputMap; schema: TableSchema; run: RunKey }, column: string, after: string | undefined): Promise<{ from: InputMap; upTo?: string }>;
  /**
   * Optional, once a run's every slice is final and before it is SUCCEEDED (never after a
   * failure): what the destination gets for the run as a whole (file jobs: the MD5 result
   * file, the marker file; a PostgreSQL table the run created: its primary key). Must be
   * idempotent: a crash before SUCCEEDED repeats it.
   */
  complete?(req: { link: InputMap; to: InputMap; run: RunKey; partitions: number }): Promise<void>;
  /** The run's stage when the job asks for one (toJobConfig.useStageTable). */
  stage?(link: InputMap, to: InputMap, run: RunKey): StagePlan | undefined;
  /**
   * Splits a read into at most `n` slices that together read each row exactly once:
   * the from-inputs of each slice. Undefined when the source cannot be split (then it is read whole).
   */
  partition?(req: SourceRequest & { schema: TableSchema }, n: number): Promise<InputMap[] | undefined>;
  /**
   * The from-inputs that read back what a job with these to-inputs wrote (the same
   * columns, in the order `schema` names them): verification opens them as a source.
   */
  readBack?(to: InputMap, schema: TableSchema): InputMap;
}
