// A submission is one run of a job; this module holds its shape and CDM rendering.
import type { JobSpec } from './job';
import type { SubmissionStatus } from './status';

export interface Counters {
  rowsRead: number;
  rowsWritten: number;
  rowsWrittenSkipped: number;
  bytesRead: number;
  bytesWritten: number;
  filesRead: number;
  filesWritten: number;
  filesSkipped: number;
  totalFiles: number;
  totalSize: number;
  /** throttlingConfig.recordDirtyData: records set aside as dirty data (absent when the run records none). */
  dirtyRecords?: number;
}

/** CDM reports -1 for counters that do not apply (rows for a file job, files for a table job). */
export const EMPTY_COUNTERS: Counters = {
  rowsRead: -1,
  rowsWritten: -1,
  rowsWrittenSkipped: -1,
  bytesRead: -1,
  bytesWritten: -1,
  filesRead: -1,
  filesWritten: -1,
  filesSkipped: -1,
  totalFiles: -1,
  totalSize: -1,
};

export interface Submission {
  project: string;
  cluster: string;
  job: string;
  id: number;
  status: SubmissionStatus;
  /** 0–100; -1 once failed. */
  progress: number;
  createdAt: number;
  createdBy: string;
  executeAt: number;
  updatedAt: number;
  updatedBy: string;
  auto: boolean;
  incrementing: boolean;
  deleteJob: boolean;
  counters: Counters;
  /** The job as it was when started: editing a job never changes a run in flight. */
  spec: JobSpec;
  variables: Record<string, string>;
  errorSummary?: string;
  errorDetails?: string;
  stopRequested?: boolean;
  /** Rows the planner expects (drives `progress`). */
  estimate?: number;
  planned?: boolean;
  leaseOwner?: string;
  leaseUntil?: number;
  /** How often the reaper had to re-queue this run. */
  requeues?: number;
  /** Slices copied in parallel (throttlingConfig.numExtractors). */
  partitionCount?: number;
  partitions?: PartitionProgress[];
  /** RETRY_TRIPLE (lib/schedules/after-run.ts): this run retries `retryOf`, as attempt `retryAttempt`… */
  retryOf?: number;
  retryAttempt?: number;
  /** …and a failed run says when its retry is due. */
  retryAt?: number;
  /** Incremental migration: the window this run reads, fixed at planning. */
  incremental?: IncrementalWindow;
  /** With ferryConfig.verify: both sides' row count and checksum after the copy. */
  verification?: Verification;
}

export interface IncrementalWindow {
  column: string;
  /** The job's mark when the run was planned (undefined: the first run reads from the start). */
  after?: string;
  /** The column's maximum then (undefined: nothing new). */
  upTo?: string;
}

export interface PartitionProgress {
  partition: number;
  state: string;
  rowsWritten: number;
}

export interface Verification {
  source: { rows: number; checksum: string };
  destination: { rows: number; checksum: string };
  matched: boolean;
}

/** CDM documents no "stopped" status; a stopped run ends FAILED with this summary. */
export function stoppedSummary(s: Pick<Submission, 'updatedBy'>): string {
  return `Stopped by ${s.updatedBy}.`;
}

export const SQOOP_COUNTERS = 'org.apache.sqoop.submission.counter.SqoopCounters';

/** StartJobSubmission: the fields CDM's start call answers with. */
export function renderStartSubmission(s: Submission) {
  return {
    'job-name': s.job,
    'submission-id': s.id,
    'creation-user': s.createdBy,
    'creation-date': s.createdAt,
    'execute-date': s.executeAt,
    'last-update-date': s.updatedAt,
    // CDM's start-job docs and SDKs spell it `udpate`; newer docs fix it. Send both.
    'last-udpate-user': s.updatedBy,
    'last-update-user': s.updatedBy,
    progress: s.progress,
    status: s.status,
    isIncrementing: s.incrementing,
    'is-execute-auto': s.auto,
    isDeleteJob: s.deleteJob,
    isStopingIncrement: '',
    delete_rows: 0,
    update_rows: 0,
    write_rows: Math.max(0, s.counters.rowsWritten),
  };
}

/** The full Submission of the status and history calls. */
export function renderSubmission(s: Submission) {
  const c = s.counters;
  return {
    ...renderStartSubmission(s),
    'external-id': `job_${s.cluster}_${s.job}_${s.id}`,
    counters: {
      [SQOOP_COUNTERS]: {
        BYTES_READ: c.bytesRead,
        BYTES_WRITTEN: c.bytesWritten,
        ROWS_READ: c.rowsRead,
        ROWS_WRITTEN: c.rowsWritten,
        ROWS_WRITTEN_SKIPPED: c.rowsWrittenSkipped,
        FILES_READ: c.filesRead,
        FILES_WRITTEN: c.filesWritten,
        FILES_SKIPPED: c.filesSkipped,
        TOTAL_FILES: c.totalFiles,
        TOTAL_SIZE: c.totalSize,
        // Ferry's addition, only for a run that records dirty data.
        ...(c.dirtyRecords !== undefined ? { DIRTY_RECORDS: c.dirtyRecords } : {}),
      },
    },
    // Ferry's additions, present only where they apply: the slices of a partitioned run
    // (rows and state, while it runs and as it ended), and the verification a run asked for.
    ...(s.partitions && s.partitions.length > 1 ? { partitions: s.partitions } : {}),
    ...(s.verification ? { verification: s.verification } : {}),
    ...(s.retryOf !== undefined ? { 'retry-of': s.retryOf, 'retry-attempt': s.retryAttempt } : {}),
    ...(s.retryAt !== undefined ? { 'retry-at': s.retryAt } : {}),
    ...(s.status === 'FAILED' || s.status === 'FAILURE_ON_SUBMIT'
      ? { 'error-summary': s.errorSummary ?? '', 'error-details': s.errorDetails ?? '' }
      : {}),
  };
}
