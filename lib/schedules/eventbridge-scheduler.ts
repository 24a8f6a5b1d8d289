// The Scheduler port on AWS: EventBridge Scheduler, one schedule per job (and at most
// one pending retry) in the stage's schedule group, each targeting the scheduler Lambda
// with the job's coordinates. EventBridge Scheduler cannot run outside AWS: this adapter
// is tested with aws-sdk-client-mock at the client boundary (test/unit/schedule-eventbridge.test.ts),
// asserting the commands it sends.
import { createHash } from 'node:crypto';
import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { JobRef } from '../jobs/start-job';
import { isoLocal, toLocal } from '../model/calendar';
import { eventBridgeTiming } from './eventbridge-expression';
import type { Scheduler, Tick } from './scheduler';

export interface EventBridgeSchedulerConfig {
  /** The stage's schedule group (FERRY_SCHEDULE_GROUP). */
  group: string;
  /** The scheduler Lambda's ARN (FERRY_SCHEDULER_TARGET_ARN). */
  targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it (FERRY_SCHEDULER_ROLE_ARN). */
  roleArn: string;
  now: () => number;
}

/** EventBridge substitutes the time a run was due into the target's input. */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

// Schedule names allow 64 of [0-9A-Za-z._-]; job names allow any script. A hash of the
// coordinates is stable and fits; the Description and the Input name the job.
const digest = (ref: JobRef) => createHash('sha256').update(`${ref.project}\0${ref.cluster}\0${ref.job}`).digest('hex').slice(0, 40);
export const scheduleName = (ref: JobRef) => `job-${digest(ref)}`;
export const retryScheduleName = (ref: JobRef) => `retry-${digest(ref)}`;

// The SDK loads on first use: only job writers, the executor and the scheduler Lambda
// touch schedules, and loading it would cost every other function's cold start.
const sdk = () => import('@aws-sdk/client-scheduler');
const named = (e: unknown, name: string) => e instanceof Error && e.name === name;

export function eventBridgeScheduler(cfg: EventBridgeSchedulerConfig, client?: Pick<SchedulerClient, 'send'>): Scheduler {
  let loaded: Promise<Pick<SchedulerClient, 'send'>> | undefined = client && Promise.resolve(client);
  const getClient = () => (loaded ??= sdk().then((m) => new m.SchedulerClient({})));
  const base = (ref: JobRef, name: string, tick: Tick) => ({
    Name: name,
    GroupName: cfg.group,
    Description: `${ref.project}/${ref.cluster}/${ref.job}`.slice(0, 512),
    // Runs start at the time they are due, as CDM's do.
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    State: 'ENABLED' as const,
    Target: {
      Arn: cfg.targetArn,
      RoleArn: cfg.roleArn,
      Input: JSON.stringify(tick),
      // A late tick is still worth starting; a very late one is not (the next is due).
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
    },
  });

  /** Update replaces every field of a schedule; a missing one is created. */
  async function upsert(input: CreateScheduleCommandInput): Promise<void> {
    const [{ CreateScheduleCommand, UpdateScheduleCommand }, c] = await Promise.all([sdk(), getClient()]);
    try {
      await c.send(new UpdateScheduleCommand(input));
    } catch (e) {
      if (!named(e, 'ResourceNotFoundException')) throw e;
      try {
        await c.send(new CreateScheduleCommand(input));
      } catch (conflict) {
        // Created concurrently by another save of the job: make it ours.
        if (!named(conflict, 'ConflictException')) throw conflict;
        await c.send(new UpdateScheduleCommand(input));
      }
    }
  }

  async function remove(name: string): Promise<void> {
    const [{ DeleteScheduleCommand }, c] = await Promise.all([sdk(), getClient()]);
    try {
      await c.send(new DeleteScheduleCommand({ Name: name, GroupName: cfg.group }));
    } catch (e) {
      if (!named(e, 'ResourceNotFoundException')) throw e;
    }
  }

  return {
    async put(ref, spec) {
      const timing = eventBridgeTiming(spec, cfg.now());
      if (!timing) return remove(scheduleName(ref)); // stopDate has passed: nothing left to run
      const tick: Tick = { v: 1, kind: 'schedule', ...ref, scheduledAt: SCHEDULED_TIME };
      await upsert({ ...base(ref, scheduleName(ref), tick), ...timing, ActionAfterCompletion: spec.once ? 'DELETE' : 'NONE' });
    },
    async remove(ref) {
      await remove(scheduleName(ref));
      await remove(retryScheduleName(ref));
    },
    async once(ref, at, tick) {
      await upsert({
        ...base(ref, retryScheduleName(ref), tick),
        ScheduleExpression: `at(${isoLocal(toLocal(at, 'UTC'))})`,
        ScheduleExpressionTimezone: 'UTC',
        ActionAfterCompletion: 'DELETE',
      });
    },
  };
}
