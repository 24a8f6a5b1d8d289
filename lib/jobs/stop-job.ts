// Stopping a run: the executor checks between chunks and ends the run within one
// chunk. A run that no executor has taken yet is ended here at once, and what follows a
// run's end follows it too (afterRun: disposableType, pending object-created events); it
// holds no cluster slot to give back (a run waiting for one holds no lease either).
import type { Principal } from '../auth/token';
import { requireCluster } from '../clusters/clusters';
import { errors } from '../errors';
import { stoppedSummary } from '../model/submission';
import type { Runtime } from '../runtime';
import { afterRun } from '../schedules/after-run';
import type { JobRef } from './start-job';

export async function stopJob(rt: Runtime, by: Principal, ref: JobRef) {
  await requireCluster(rt, ref.project, ref.cluster);
  const job = await rt.store.jobs.get(ref.project, ref.cluster, ref.job);
  if (!job) throw errors.jobNotFound(ref.job);
  if (job.activeSubmissionId === undefined) throw errors.jobNotRunning(ref.job);
  const key = { ...ref, id: job.activeSubmissionId };
  const now = rt.now();
  const sub = await rt.store.submissions.requestStop(key, by.subject, now);
  if (!sub) throw errors.jobNotRunning(ref.job);
  if (sub.status === 'BOOTING' && sub.leaseOwner === undefined) {
    const ended = await rt.store.submissions.finish(
      key,
      'FAILED',
      { now, by: by.subject, progress: -1, errorSummary: stoppedSummary(sub) },
      { from: ['BOOTING'] },
    );
    if (ended) {
      await rt.store.jobs.release(ref.project, ref.cluster, ref.job, key.id, 'FAILED');
      await afterRun(rt, key, 'FAILED');
    }
  }
  return { 'validation-result': [] };
}
