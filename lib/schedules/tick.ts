// A scheduler's tick becomes a start: through startJob, as `PUT …/start` does, with
// `is-execute-auto: true` and `creation-user` ferry-scheduler. CDM runs a job once at a
// time: a tick that finds the previous run still going is skipped and counted on the
// job's automation item, never queued.
import { CdmError } from '../errors';
import { startJob, type JobRef } from '../jobs/start-job';
import type { Runtime } from '../runtime';
import { systemPrincipal, type Automation } from './automation';
import { isDue } from './schedule-spec';
import { SCHEDULER_USER, type Tick } from './scheduler';

export type TickOutcome =
  | { outcome: 'started'; submissionId: number }
  | { outcome: 'skipped'; activeSubmissionId?: number }
  /** Not a run of the schedule (a superset tick, before startDate, after stopDate, or a stale retry). */
  | { outcome: 'not-due' }
  /** The job or its schedule is gone: the schedule was removed. */
  | { outcome: 'gone' };

export async function runTick(rt: Runtime, tick: Tick): Promise<TickOutcome> {
  const a = requireAutomation(rt);
  const ref: JobRef = { project: tick.project, cluster: tick.cluster, job: tick.job };
  const at = Date.parse(tick.scheduledAt);
  const scheduledAt = Number.isNaN(at) ? rt.now() : at;

  const [job, automation] = await Promise.all([rt.store.jobs.get(ref.project, ref.cluster, ref.job), a.repo.get(ref)]);
  if (!job) {
    // Deleted without its schedule (a cluster delete): clean up rather than fire forever.
    await a.scheduler.remove(ref);
    await a.repo.remove(ref);
    return { outcome: 'gone' };
  }
  if (tick.kind === 'schedule') {
    if (!automation?.schedule) {
      await a.scheduler.remove(ref);
      return { outcome: 'gone' };
    }
    if (!isDue(automation.schedule, scheduledAt)) return { outcome: 'not-due' };
  } else if (automation?.retry?.of !== tick.retryOf) {
    return { outcome: 'not-due' };
  }

  try {
    const sub = await startJob(rt, systemPrincipal(SCHEDULER_USER, ref.project), ref, undefined, { auto: true });
    if (tick.kind === 'retry') await noteRetry(a, ref, tick, sub.id);
    return { outcome: 'started', submissionId: sub.id };
  } catch (e) {
    if (!(e instanceof CdmError && e.code === 'Cdm.0052')) throw e;
    await a.repo.recordSkip(ref, {
      at: scheduledAt,
      kind: tick.kind,
      ...(job.activeSubmissionId !== undefined ? { activeSubmissionId: job.activeSubmissionId } : {}),
      reason: e.message,
    });
    if (tick.kind === 'retry') await a.repo.setRetry(ref, undefined);
    return { outcome: 'skipped', ...(job.activeSubmissionId !== undefined ? { activeSubmissionId: job.activeSubmissionId } : {}) };
  }
}

async function noteRetry(a: Automation, ref: JobRef, tick: Tick, id: number): Promise<void> {
  await a.repo.setRetry(ref, undefined);
  await a.repo.noteOnSubmission({ ...ref, id }, { retryOf: tick.retryOf!, retryAttempt: tick.attempt ?? 1 });
}

export function requireAutomation(rt: Runtime): Automation {
  if (!rt.automation) throw new Error('this runtime has no scheduler (Runtime.automation)');
  return rt.automation;
}
