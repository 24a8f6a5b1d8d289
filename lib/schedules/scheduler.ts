// The Scheduler port: what lib/ asks of a scheduler, with an EventBridge Scheduler
// adapter (eventbridge-scheduler.ts) and an in-process one (lib/local/embedded-scheduler.ts).
// The schedule's definition lives in the store (automation-repo.ts); a scheduler only
// arms timers that deliver a Tick to runTick (tick.ts).
import * as z from 'zod/mini';
import type { JobRef } from '../jobs/start-job';
import type { PendingRetry } from './automation-repo';
import type { ScheduleSpec } from './schedule-spec';

/** What a scheduler delivers: the job's coordinates, why, and the time the run was due. */
export const tickSchema = z.object({
  v: z.literal(1),
  kind: z.enum(['schedule', 'retry']),
  project: z.string().check(z.minLength(1)),
  cluster: z.string().check(z.minLength(1)),
  job: z.string().check(z.minLength(1)),
  /** ISO-8601; EventBridge fills it from `<aws.scheduler.scheduled-time>`. */
  scheduledAt: z.string().check(z.minLength(1)),
  /** retry: the failed submission and which attempt (1–3) this is. */
  retryOf: z.optional(z.number().check(z.int(), z.positive())),
  attempt: z.optional(z.number().check(z.int(), z.positive())),
});
export type Tick = z.infer<typeof tickSchema>;

/** The tick that starts a pending retry: after the run fails, and again when the embedded scheduler re-arms it. */
export const retryTick = (ref: JobRef, r: PendingRetry): Tick => ({
  v: 1,
  kind: 'retry',
  ...ref,
  scheduledAt: new Date(r.at).toISOString(),
  retryOf: r.of,
  attempt: r.attempt,
});

export interface Scheduler {
  /** Creates or replaces the job's recurring schedule (or its one run, for disposableType DELETE). */
  put(ref: JobRef, spec: ScheduleSpec): Promise<void>;
  /** Removes the job's schedule and any retry it has pending; a missing one is fine. */
  remove(ref: JobRef): Promise<void>;
  /** One start of the job at `at` (a retry after a failed run). */
  once(ref: JobRef, at: number, tick: Tick): Promise<void>;
}

/** `creation-user` of scheduled and retried runs. */
export const SCHEDULER_USER = 'ferry-scheduler';
