// Keeps a job's schedule and S3 binding in step with its driver inputs: validated when
// the job is saved, armed (or moved, or removed) after it is written or deleted.
import { errors } from '../errors';
import type { JobRef } from '../jobs/start-job';
import type { InputMap } from '../model/config-values';
import type { Job } from '../model/job';
import type { Runtime } from '../runtime';
import type { S3Binding } from './automation-repo';
import { scheduleFromInputs, type ScheduleSpec } from './schedule-spec';

const S3_BUCKET = 'ferryConfig.s3TriggerBucket';
const S3_PREFIX = 'ferryConfig.s3TriggerPrefix';
const S3_SUFFIX = 'ferryConfig.s3TriggerSuffix';

/** Ferry's own driver inputs for automation (CDM has none for these). */

// S3's bucket naming rules (the subset that matters for a lookup key).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function s3Binding(driver: InputMap): S3Binding | undefined {
  const bucket = driver[S3_BUCKET];
  if (!bucket) {
    if (driver[S3_PREFIX] || driver[S3_SUFFIX]) throw errors.invalidParameter(`${S3_PREFIX} and ${S3_SUFFIX} need ${S3_BUCKET}.`);
    return undefined;
  }
  if (!BUCKET.test(bucket)) throw errors.invalidParameter(`${S3_BUCKET} must be an S3 bucket name; got "${bucket}".`);
  return { bucket, prefix: driver[S3_PREFIX] ?? '', suffix: driver[S3_SUFFIX] ?? '' };
}

function scheduleOf(rt: Runtime, driver: InputMap, savedAt: number): ScheduleSpec | undefined {
  return scheduleFromInputs(driver, { defaultTimeZone: rt.settings.timeZone, savedAt });
}

/** Checks the job's schedule and S3 binding when it is saved; throws Cdm.0014 naming what is wrong. */
export function validateAutomation(rt: Runtime, driver: InputMap): void {
  // Both checked: an error left for syncAutomation would come after the job was written.
  const schedule = scheduleOf(rt, driver, rt.now());
  const s3 = s3Binding(driver);
  if ((schedule || s3) && !rt.automation) throw errors.invalidParameter('This deployment has no scheduler: schedules and S3 triggers are unavailable.');
}

/** After a job is created or modified: records and arms what its inputs now ask for. */
export async function syncAutomation(rt: Runtime, job: Job): Promise<void> {
  const a = rt.automation;
  if (!a) return;
  const ref: JobRef = { project: job.project, cluster: job.cluster, job: job.name };
  const schedule = scheduleOf(rt, job.driver, job.updatedAt);
  const s3 = s3Binding(job.driver);
  const before = await a.repo.get(ref);
  if (!schedule && !s3 && !before) return; // the common case: a job nothing starts but its users
  await a.repo.save(ref, { schedule, s3 });
  if (schedule) await a.scheduler.put(ref, schedule);
  else if (before?.schedule) await a.scheduler.remove(ref);
}

/** After a job is deleted: its schedule, pending retry and S3 binding go with it. */
export async function removeAutomation(rt: Runtime, ref: JobRef): Promise<void> {
  const a = rt.automation;
  if (!a) return;
  const before = await a.repo.get(ref);
  if (!before) return;
  if (before.schedule || before.retry) await a.scheduler.remove(ref);
  await a.repo.remove(ref);
}
