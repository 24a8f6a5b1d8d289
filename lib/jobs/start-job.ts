// Starting a job: the one place every start goes through (HTTP now; schedules and
// events later), so every start obeys the same rules.
//
// 1. claim the job item (conditional: no active submission) and allocate the id;
// 2. put the BOOTING submission;
// 3. queue the execution. If the queue refuses, the submission ends FAILURE_ON_SUBMIT
//    and the job is free again. A crash between 1 and 2 leaves a claim with no
//    submission: the next start repairs it once the boot grace has passed.
// zod/mini keeps the start handler's bundle small (cold starts); see lib/model/parse.ts.
import * as z from 'zod/mini';
import type { Principal } from '../auth/token';
import { requireCluster } from '../clusters/clusters';
import { describeError, errors } from '../errors';
import { parseWith } from '../model/parse';
import { isActive } from '../model/status';
import { EMPTY_COUNTERS, type Submission } from '../model/submission';
import type { Runtime } from '../runtime';

export interface JobRef {
  project: string;
  cluster: string;
  job: string;
}

export const startBodySchema = z.optional(
  z.looseObject({
    variables: z.optional(z.record(z.string(), z.pipe(z.union([z.string(), z.number(), z.boolean()]), z.transform(String)))),
  }),
);

export interface StartOptions {
  /** True for scheduled and event-triggered starts (`is-execute-auto`). */
  auto?: boolean;
}

export async function startJob(
  rt: Runtime,
  by: Principal,
  ref: JobRef,
  body: unknown,
  opts: StartOptions = {},
): Promise<Submission> {
  const variables = parseWith(startBodySchema, body ?? undefined)?.variables ?? {};
  const now = rt.now();
  // The claim is the first read too: on the common path a start is claim, put, send.
  let job = await rt.store.jobs.claim(ref.project, ref.cluster, ref.job, now);
  if (!job) {
    await requireCluster(rt, ref.project, ref.cluster);
    if (!(await rt.store.jobs.get(ref.project, ref.cluster, ref.job))) throw errors.jobNotFound(ref.job);
    if (await repairStaleClaim(rt, ref, now)) job = await rt.store.jobs.claim(ref.project, ref.cluster, ref.job, now);
    if (!job) throw errors.jobRunning(ref.job);
  }
  const id = job.activeSubmissionId!;

  const submission: Submission = {
    project: ref.project,
    cluster: ref.cluster,
    job: ref.job,
    id,
    status: 'BOOTING',
    progress: 0,
    createdAt: now,
    createdBy: by.subject,
    executeAt: now,
    updatedAt: now,
    updatedBy: by.subject,
    auto: opts.auto ?? false,
    // CDM's isIncrementing: this run reads only what is new since the last successful one.
    incrementing: Boolean(job.driver['ferryConfig.incrementalColumn']),
    // CDM's isDeleteJob: the job goes once this run ends (schedulerConfig.disposableType).
    deleteJob: ['DELETE', 'DELETE_AFTER_SUCCEED'].includes(job.driver['schedulerConfig.disposableType'] ?? 'NONE'),
    counters: EMPTY_COUNTERS,
    spec: {
      name: job.name,
      jobType: job.jobType,
      fromConnector: job.fromConnector,
      toConnector: job.toConnector,
      fromLink: job.fromLink,
      toLink: job.toLink,
      from: job.from,
      to: job.to,
      driver: job.driver,
      extended: job.extended,
    },
    variables,
  };
  try {
    await rt.store.submissions.create(submission, now + rt.settings.bootGraceMs);
  } catch (e) {
    await rt.store.jobs.release(ref.project, ref.cluster, ref.job, id, 'FAILURE_ON_SUBMIT');
    throw e;
  }

  try {
    await rt.queue.send({ v: 1, ...ref, submissionId: id, reason: 'start' });
  } catch (e) {
    const summary = `Cdm.0037: The job could not be submitted for execution: ${describeError(e)}`;
    const end = { now: rt.now(), by: by.subject, progress: -1, errorSummary: summary };
    await rt.store.submissions.finish({ ...ref, id }, 'FAILURE_ON_SUBMIT', end);
    await rt.store.jobs.release(ref.project, ref.cluster, ref.job, id, 'FAILURE_ON_SUBMIT');
    return { ...submission, status: 'FAILURE_ON_SUBMIT', progress: -1, errorSummary: summary, updatedAt: end.now };
  }
  return submission;
}

/**
 * Frees a claim whose submission never got written (a crash between claim and put) or
 * already ended (a crash between finishing and releasing). True when it freed one.
 */
async function repairStaleClaim(rt: Runtime, ref: JobRef, now: number): Promise<boolean> {
  const job = await rt.store.jobs.get(ref.project, ref.cluster, ref.job);
  if (!job || job.activeSubmissionId === undefined) return job !== undefined;
  const id = job.activeSubmissionId;
  const sub = await rt.store.submissions.get({ ...ref, id });
  if (sub && isActive(sub.status)) return false;
  if (!sub && now - (job.activeSince ?? 0) < rt.settings.bootGraceMs) return false;
  await rt.store.jobs.release(ref.project, ref.cluster, ref.job, id, sub?.status ?? 'FAILURE_ON_SUBMIT');
  return true;
}

/** The job's latest submission (CDM's "job status"); NEVER_EXECUTED before the first start. */
export async function jobStatus(rt: Runtime, ref: JobRef): Promise<Submission | { job: string; never: true }> {
  await requireCluster(rt, ref.project, ref.cluster);
  const job = await rt.store.jobs.get(ref.project, ref.cluster, ref.job);
  if (!job) throw errors.jobNotFound(ref.job);
  const [latest] = await rt.store.submissions.listForJob(ref.project, ref.cluster, ref.job, 1);
  return latest ?? { job: ref.job, never: true };
}
