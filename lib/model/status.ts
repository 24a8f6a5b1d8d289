// The submission status machine: BOOTING → RUNNING → SUCCEEDED | FAILED, plus
// FAILURE_ON_SUBMIT when the queue refuses the execution. One file, one rule.

export const SUBMISSION_STATUSES = [
  'BOOTING',
  'FAILURE_ON_SUBMIT',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'UNKNOWN',
  'NEVER_EXECUTED',
] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

/** Statuses a submission may move to from each status. */
export const TRANSITIONS: Readonly<Record<SubmissionStatus, readonly SubmissionStatus[]>> = {
  BOOTING: ['RUNNING', 'FAILED', 'FAILURE_ON_SUBMIT'],
  RUNNING: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: [],
  FAILED: [],
  FAILURE_ON_SUBMIT: [],
  UNKNOWN: [],
  NEVER_EXECUTED: [],
};

/** Statuses from which `to` can be reached (the condition of a status update). */
export function sourcesOf(to: SubmissionStatus): SubmissionStatus[] {
  return SUBMISSION_STATUSES.filter((s) => TRANSITIONS[s].includes(to));
}

/** Sqoop's "unfinished" statuses: the job is busy while its submission is in one. */
export function isActive(status: SubmissionStatus): boolean {
  return status === 'BOOTING' || status === 'RUNNING';
}
