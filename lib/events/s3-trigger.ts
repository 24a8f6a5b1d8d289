// Starts the jobs bound to a bucket/prefix when objects are created there.
//
// Every event is first added to the job's pending events, then drained: an idle job
// starts at once with that object; while the job runs, events pile up and the run's
// end (afterRun) drains them all into ONE follow-up run. Because both the event side and
// the run's end drain after their own write, and taking the pending events is atomic,
// no event is lost and none starts two runs.
import posix from 'node:path/posix';
import { CdmError } from '../errors';
import { startJob, type JobRef } from '../jobs/start-job';
import type { Runtime } from '../runtime';
import { systemPrincipal } from '../schedules/automation';
import type { PendingEvents } from '../schedules/automation-repo';
import { requireAutomation } from '../schedules/tick';
import type { CreatedObject } from './s3-event';

export const S3_TRIGGER_USER = 'ferry-s3-trigger';

export interface ObjectOutcome extends CreatedObject {
  job: JobRef;
  outcome: 'started' | 'pending';
  submissionId?: number;
}

/** Adds each object to the pending events of every job bound to it, then starts the idle ones. */
export async function onObjectsCreated(rt: Runtime, objects: CreatedObject[]): Promise<ObjectOutcome[]> {
  const a = requireAutomation(rt);
  const out: ObjectOutcome[] = [];
  for (const o of objects) {
    const bindings = (await a.repo.bindings(o.bucket)).filter((b) => o.key.startsWith(b.prefix) && o.key.endsWith(b.suffix));
    for (const b of bindings) {
      await a.repo.addPending(b.ref, { bucket: o.bucket, key: o.key, now: rt.now() });
      const id = await drainPending(rt, b.ref);
      out.push({ ...o, job: b.ref, outcome: id === undefined ? 'pending' : 'started', ...(id !== undefined ? { submissionId: id } : {}) });
    }
  }
  return out;
}

/**
 * Starts one run with the job's pending events if it is idle; the submission id, or
 * undefined when there was nothing to start or the job is busy (its end drains again).
 */
export async function drainPending(rt: Runtime, ref: JobRef): Promise<number | undefined> {
  const a = requireAutomation(rt);
  // Bounded: each turn either starts, finds the job busy, or lost a race to another drainer.
  for (let turn = 0; turn < 3; turn++) {
    const job = await rt.store.jobs.get(ref.project, ref.cluster, ref.job);
    if (!job || job.activeSubmissionId !== undefined) return undefined;
    const pending = await a.repo.takePending(ref);
    if (!pending) return undefined;
    try {
      const sub = await startJob(rt, systemPrincipal(S3_TRIGGER_USER, ref.project), ref, { variables: s3Variables(pending) }, { auto: true });
      return sub.id;
    } catch (e) {
      if (e instanceof CdmError && e.code === 'Cdm.0100') return undefined; // job deleted: its events go with it
      // Put them back first, then look again: a run that ended meanwhile drained nothing.
      await a.repo.restorePending(ref, pending, rt.now());
      if (!(e instanceof CdmError && e.code === 'Cdm.0052')) throw e;
    }
  }
  return undefined;
}

/**
 * The start variables of an event-triggered run, for macros such as
 * `fromJobConfig.inputDirectory = /${s3.key}`:
 * `s3.bucket`; `s3.key` (the latest object), its `s3.directory` and `s3.fileName`;
 * `s3.keys` (every coalesced key, `|`-separated as CDM's inputDirectory lists paths;
 * at most 50) and `s3.count` (events coalesced, listed or not).
 */
export function s3Variables(p: PendingEvents): Record<string, string> {
  const dir = posix.dirname(p.lastKey);
  return {
    's3.bucket': p.bucket,
    's3.key': p.lastKey,
    's3.directory': dir === '.' ? '' : dir,
    's3.fileName': posix.basename(p.lastKey),
    's3.keys': (p.keys.length ? p.keys : [p.lastKey]).join('|'),
    's3.count': String(p.count),
  };
}
