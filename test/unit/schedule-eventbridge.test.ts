// The AWS adapter. EventBridge Scheduler cannot run here, so it is faked at the client
// boundary with aws-sdk-client-mock and these tests assert the commands sent: every
// schedulerConfig form's expression, dates and zone, the target, and retries.
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { eventBridgeTiming } from '../../lib/schedules/eventbridge-expression';
import { eventBridgeScheduler, retryScheduleName, scheduleName } from '../../lib/schedules/eventbridge-scheduler';
import { scheduleFromInputs, type ScheduleSpec } from '../../lib/schedules/schedule-spec';

const NOW = Date.parse('2024-03-01T08:00:00Z');
const ref = { project: 'p1', cluster: 'c1', job: '每日同步' };
const cfg = {
  group: 'ferry-dev',
  targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ferry-dev-scheduler',
  roleArn: 'arn:aws:iam::123456789012:role/ferry-dev-SchedulerInvokeRole',
  now: () => NOW,
};

function spec(inputs: Record<string, string>): ScheduleSpec {
  const driver = Object.fromEntries(Object.entries({ isSchedulerJob: 'true', ...inputs }).map(([k, v]) => [k.includes('.') ? k : `schedulerConfig.${k}`, v]));
  return scheduleFromInputs(driver, { defaultTimeZone: 'UTC', savedAt: NOW })!;
}

describe('every schedulerConfig form as an EventBridge Scheduler expression', () => {
  it.each([
    ['minute ×1', { cycleType: 'minute', cycle: '1', startDate: '2024-03-01 09:00:00' }, 'rate(1 minute)', '2024-03-01T09:00:00.000Z'],
    ['minute ×15, startDate past: starts at the next aligned run', { cycleType: 'minute', cycle: '15', startDate: '2024-02-01 07:05:00' }, 'rate(15 minutes)', '2024-03-01T08:05:00.000Z'],
    ['minute without startDate: from when it was saved', { cycleType: 'minute', cycle: '30' }, 'rate(30 minutes)', '2024-03-01T08:30:00.000Z'],
    ['hour ×1 at :27,:57', { cycleType: 'hour', cycle: '1', runAt: '27,57' }, 'cron(27,57 * * * ? *)', undefined],
    ['hour ×6 (divides 24): exact', { cycleType: 'hour', cycle: '6', runAt: '0', startDate: '2024-03-01 21:00:00' }, 'cron(0 3/6 * * ? *)', '2024-03-01T21:00:00.000Z'],
    ['hour ×5 (does not divide 24): hourly, the Lambda keeps every 5th', { cycleType: 'hour', cycle: '5', runAt: '10' }, 'cron(10 * * * ? *)', undefined],
    ['day ×1 at startDate\'s time', { cycleType: 'day', cycle: '1', startDate: '2024-03-02 02:30:00' }, 'cron(30 2 * * ? *)', '2024-03-02T02:30:00.000Z'],
    ['day ×3: daily, the Lambda keeps every 3rd', { cycleType: 'day', cycle: '3', startDate: '2024-03-02 00:00:00' }, 'cron(0 0 * * ? *)', '2024-03-02T00:00:00.000Z'],
    ['week ×1 on mon,wed,fri', { cycleType: 'week', cycle: '1', runAt: 'mon,wed,fri', startDate: '2024-03-04 06:45:00' }, 'cron(45 6 ? * MON,WED,FRI *)', '2024-03-04T06:45:00.000Z'],
    ['week ×2 on sun', { cycleType: 'week', cycle: '2', runAt: 'sun', startDate: '2024-03-03 06:00:00' }, 'cron(0 6 ? * SUN *)', '2024-03-03T06:00:00.000Z'],
    ['month ×1 on the 1st and 15th', { cycleType: 'month', cycle: '1', runAt: '1,15', startDate: '2024-03-05 23:00:00' }, 'cron(0 23 1,15 * ? *)', '2024-03-05T23:00:00.000Z'],
    ['month ×3 (divides 12): exact, from startDate\'s month', { cycleType: 'month', cycle: '3', runAt: '1', startDate: '2024-05-01 00:00:00' }, 'cron(0 0 1 2/3 ? *)', '2024-05-01T00:00:00.000Z'],
    ['month ×5: monthly, the Lambda keeps every 5th', { cycleType: 'month', cycle: '5', runAt: '10', startDate: '2024-03-05 00:00:00' }, 'cron(0 0 10 * ? *)', '2024-03-05T00:00:00.000Z'],
    ['disposableType DELETE: one run, at(…)', { cycleType: 'day', cycle: '1', startDate: '2024-03-05 01:02:00', disposableType: 'DELETE' }, 'at(2024-03-05T01:02:00)', undefined],
  ] as const)('%s → %s', (_, inputs, expression, startDate) => {
    const t = eventBridgeTiming(spec(inputs), NOW)!;
    expect(t.ScheduleExpression).toBe(expression);
    expect(t.ScheduleExpressionTimezone).toBe('UTC');
    expect(t.StartDate?.toISOString()).toBe(startDate);
  });

  it('carries the job\'s time zone and stopDate (EndDate, an instant)', () => {
    const t = eventBridgeTiming(
      spec({ cycleType: 'day', cycle: '1', startDate: '2024-03-02 08:00:00', stopDate: '2024-12-31 23:59:59', 'ferryConfig.schedulerTimeZone': 'Asia/Shanghai' }),
      NOW,
    )!;
    expect(t).toEqual({
      ScheduleExpression: 'cron(0 8 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      StartDate: new Date('2024-03-02T00:00:00Z'),
      EndDate: new Date('2024-12-31T15:59:59Z'),
    });
  });

  it('a past startDate is left out of cron schedules (EventBridge refuses past StartDates)', () => {
    expect(eventBridgeTiming(spec({ cycleType: 'day', cycle: '1', startDate: '2023-01-01 04:00:00' }), NOW)!.StartDate).toBeUndefined();
  });

  it('a schedule whose stopDate has passed has no timing', () => {
    expect(eventBridgeTiming(spec({ cycleType: 'day', cycle: '1', startDate: '2023-01-01 04:00:00', stopDate: '2023-02-01 00:00:00' }), NOW)).toBeUndefined();
  });
});

describe('the EventBridge Scheduler adapter (aws-sdk-client-mock)', () => {
  const mock = mockClient(SchedulerClient);
  const scheduler = eventBridgeScheduler(cfg, new SchedulerClient({ region: 'eu-west-1' }));
  beforeEach(() => mock.reset());

  it('creates one schedule per job in the stage\'s group, targeting the scheduler Lambda with the job\'s coordinates', async () => {
    mock.on(UpdateScheduleCommand).rejects(new ResourceNotFoundException({ message: 'no schedule', Message: 'test', $metadata: {} }));
    mock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:…' });
    await scheduler.put(ref, spec({ cycleType: 'week', cycle: '1', runAt: 'mon', startDate: '2024-03-04 06:00:00' }));
    const [create] = mock.commandCalls(CreateScheduleCommand);
    const input = create!.args[0].input;
    expect(input).toMatchObject({
      Name: scheduleName(ref),
      GroupName: 'ferry-dev',
      Description: 'p1/c1/每日同步',
      ScheduleExpression: 'cron(0 6 ? * MON *)',
      ScheduleExpressionTimezone: 'UTC',
      StartDate: new Date('2024-03-04T06:00:00Z'),
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'NONE',
      Target: { Arn: cfg.targetArn, RoleArn: cfg.roleArn },
    });
    expect(input.Name).toMatch(/^[0-9A-Za-z._-]{1,64}$/);
    expect(JSON.parse(input.Target!.Input!)).toEqual({ v: 1, kind: 'schedule', project: 'p1', cluster: 'c1', job: '每日同步', scheduledAt: '<aws.scheduler.scheduled-time>' });
  });

  it('modifying the job updates its schedule in place', async () => {
    mock.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:…' });
    await scheduler.put(ref, spec({ cycleType: 'minute', cycle: '5', startDate: '2024-03-01 09:00:00' }));
    expect(mock.commandCalls(CreateScheduleCommand)).toHaveLength(0);
    expect(mock.commandCalls(UpdateScheduleCommand)[0]!.args[0].input).toMatchObject({ Name: scheduleName(ref), ScheduleExpression: 'rate(5 minutes)' });
  });

  it('a schedule created concurrently is taken over, not duplicated', async () => {
    mock
      .on(UpdateScheduleCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'no schedule', Message: 'test', $metadata: {} }))
      .resolves({ ScheduleArn: 'arn:…' });
    mock.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'test', $metadata: {} }));
    await scheduler.put(ref, spec({ cycleType: 'day', cycle: '1' }));
    expect(mock.commandCalls(UpdateScheduleCommand)).toHaveLength(2);
  });

  it('a schedule past its stopDate is deleted rather than sent', async () => {
    mock.on(DeleteScheduleCommand).resolves({});
    await scheduler.put(ref, spec({ cycleType: 'day', cycle: '1', startDate: '2023-01-01 00:00:00', stopDate: '2023-01-02 00:00:00' }));
    expect(mock.commandCalls(CreateScheduleCommand)).toHaveLength(0);
    expect(mock.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({ Name: scheduleName(ref), GroupName: 'ferry-dev' });
  });

  it('deleting the job removes its schedule and pending retry; missing ones are fine', async () => {
    mock.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'gone', Message: 'test', $metadata: {} }));
    await scheduler.remove(ref);
    expect(mock.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input.Name)).toEqual([scheduleName(ref), retryScheduleName(ref)]);
  });

  it('a retry is a one-time at(…) schedule that deletes itself after it ran', async () => {
    mock.on(UpdateScheduleCommand).rejects(new ResourceNotFoundException({ message: 'no schedule', Message: 'test', $metadata: {} }));
    mock.on(CreateScheduleCommand).resolves({});
    const at = Date.parse('2024-03-01T08:02:00Z');
    await scheduler.once(ref, at, { v: 1, kind: 'retry', ...ref, scheduledAt: '2024-03-01T08:02:00.000Z', retryOf: 7, attempt: 2 });
    const input = mock.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ Name: retryScheduleName(ref), ScheduleExpression: 'at(2024-03-01T08:02:00)', ScheduleExpressionTimezone: 'UTC', ActionAfterCompletion: 'DELETE' });
    expect(JSON.parse(input.Target!.Input!)).toMatchObject({ kind: 'retry', retryOf: 7, attempt: 2 });
  });

  it('other failures surface (the job save fails rather than silently losing its schedule)', async () => {
    mock.on(UpdateScheduleCommand).rejects(new Error('AccessDeniedException'));
    await expect(scheduler.put(ref, spec({ cycleType: 'day', cycle: '1' }))).rejects.toThrow('AccessDenied');
  });
});
