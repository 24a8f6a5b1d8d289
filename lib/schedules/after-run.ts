// What happens when a run ends (called by the executor after it releases the job):
// 1. RETRY_TRIPLE: a FAILED run is started again after 1, 2, then 4 minutes, at most
//    three times; the retry is a new submission carrying retryOf/retryAttempt, and the
//    failed one records when its retry is due. A run stopped by a user is not retried.
// 2. disposableType: DELETE deletes the job after its run (after its last retry),
//    DELETE_AFTER_SUCCEED only after a run that SUCCEEDED.
// 3. Object-created events that arrived during the run start one follow-up run.
import { Logger } from '@aws-lambda-powertools/logger';
import { drainPending } from '../events/s3-trigger';
import { deleteJob } from '../jobs/jobs';
import type { JobRef } from '../jobs/start-job';
import type { Runtime } from '../runtime';
import type { SubmissionKey } from '../store/submissions-repo';
import { CdmError } from '../errors';
import { retryTick } from './scheduler';

export const MAX_RETRIES = 3;
/** Wait before retry n (1-based): 1, 2, 4 minutes. CDM documents no backoff. */
export const retryDelayMs = (attempt: number) => 60_000 * 2 ** (attempt - 1);

const logger = new Logger({ serviceName: 'ferry-after-run' });

export async function afterRun(rt: Runtime, key: SubmissionKey, status: 'SUCCEEDED' | 'FAILED'): Promise<void> {
  const a = rt.automation;
  if (!a) return;
  // The run itself is final and recorded; a failure here must not turn it into a failed run.
  try {
    const sub = await rt.store.submissions.get(key);
    if (!sub) return;
    const ref: JobRef = { project: key.project, cluster: key.cluster, job: key.job };
    const driver = sub.spec.driver;
    const attempt = (sub.retryAttempt ?? 0) + 1;
    const retry = status === 'FAILED' && driver['retryJobConfig.retryJobType'] === 'RETRY_TRIPLE' && !sub.stopRequested && attempt <= MAX_RETRIES;
    if (retry) {
      const pending = { of: key.id, attempt, at: rt.now() + retryDelayMs(attempt) };
      await a.repo.setRetry(ref, pending);
      await a.repo.noteOnSubmission(key, { retryAt: pending.at, retryNextAttempt: attempt });
      await a.scheduler.once(ref, pending.at, retryTick(ref, pending));
      return;
    }
    const disposable = driver['schedulerConfig.disposableType'];
    if (disposable === 'DELETE' || (disposable === 'DELETE_AFTER_SUCCEED' && status === 'SUCCEEDED')) {
      await deleteJob(rt, ref.project, ref.cluster, ref.job).catch((e: unknown) => {
        // Started again meanwhile, or already gone: that run's end decides.
        if (!(e instanceof CdmError && ['Cdm.0052', 'Cdm.0100', 'Cdm.0001'].includes(e.code))) throw e;
      });
      return;
    }
    await drainPending(rt, ref);
  } catch (e) {
    logger.error('after-run work failed; the run itself is recorded', { ...key, status, error: e as Error });
  }
}
