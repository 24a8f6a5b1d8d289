// schedulerConfig → one schedule definition, and when it fires (the embedded timer and
// the AWS Lambda's check share it). Times are computed, never waited for.
import { describe, expect, it } from 'vitest';
import { isDue, nextFire, scheduleFromInputs, type ScheduleSpec } from '../../lib/schedules/schedule-spec';

const SAVED = Date.parse('2024-03-01T08:17:42Z');

function spec(inputs: Record<string, string>, defaultTimeZone = 'UTC'): ScheduleSpec {
  const driver = Object.fromEntries(Object.entries({ 'schedulerConfig.isSchedulerJob': 'true', ...inputs }).map(([k, v]) => [k.includes('.') ? k : `schedulerConfig.${k}`, v]));
  return scheduleFromInputs(driver, { defaultTimeZone, savedAt: SAVED })!;
}

/** The first `n` runs after `from`, as ISO strings. */
function runs(s: ScheduleSpec, from: string, n: number): string[] {
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = nextFire(s, t);
    if (next === undefined) break;
    out.push(new Date(next).toISOString().replace('.000Z', 'Z'));
    t = next;
  }
  return out;
}

describe('when a schedule runs', () => {
  it.each([
    ['every 10 minutes from startDate', { cycleType: 'minute', cycle: '10', startDate: '2024-03-01 09:00:30' }, '2024-03-01T00:00:00Z', ['2024-03-01T09:00:30Z', '2024-03-01T09:10:30Z', '2024-03-01T09:20:30Z']],
    ['every 7 minutes, counted from startDate even when asked later', { cycleType: 'minute', cycle: '7', startDate: '2024-03-01 09:00:00' }, '2024-03-01T10:00:00Z', ['2024-03-01T10:03:00Z', '2024-03-01T10:10:00Z']],
    ['every minute without startDate: from when the job was saved', { cycleType: 'minute', cycle: '1' }, '2024-03-01T08:17:42Z', ['2024-03-01T08:18:42Z', '2024-03-01T08:19:42Z']],
    ['every hour at :27 and :57', { cycleType: 'hour', cycle: '1', runAt: '27,57', startDate: '2024-03-01 09:40:00' }, '2024-03-01T00:00:00Z', ['2024-03-01T09:57:00Z', '2024-03-01T10:27:00Z', '2024-03-01T10:57:00Z']],
    ['every 5 hours across midnight (not cron\'s h/5)', { cycleType: 'hour', cycle: '5', runAt: '0', startDate: '2024-03-01 20:00:00' }, '2024-03-01T00:00:00Z', ['2024-03-01T20:00:00Z', '2024-03-02T01:00:00Z', '2024-03-02T06:00:00Z']],
    ['every hour without runAt: at startDate\'s minute', { cycleType: 'hour', cycle: '1', startDate: '2024-03-01 09:15:00' }, '2024-03-01T00:00:00Z', ['2024-03-01T09:15:00Z', '2024-03-01T10:15:00Z']],
    ['every day at startDate\'s time', { cycleType: 'day', cycle: '1', startDate: '2024-03-01 02:30:00' }, '2024-03-01T00:00:00Z', ['2024-03-01T02:30:00Z', '2024-03-02T02:30:00Z', '2024-03-03T02:30:00Z']],
    ['every 3 days across a month end', { cycleType: 'day', cycle: '3', startDate: '2024-02-27 00:00:00' }, '2024-02-01T00:00:00Z', ['2024-02-27T00:00:00Z', '2024-03-01T00:00:00Z', '2024-03-04T00:00:00Z']],
    ['Mondays and Wednesdays', { cycleType: 'week', cycle: '1', runAt: 'mon,wed', startDate: '2024-03-01 06:00:00' }, '2024-03-01T00:00:00Z', ['2024-03-04T06:00:00Z', '2024-03-06T06:00:00Z', '2024-03-11T06:00:00Z']],
    ['every 2nd week on Friday, counted from startDate\'s week', { cycleType: 'week', cycle: '2', runAt: 'fri', startDate: '2024-03-01 06:00:00' }, '2024-03-01T00:00:00Z', ['2024-03-01T06:00:00Z', '2024-03-15T06:00:00Z', '2024-03-29T06:00:00Z']],
    ['the 1st and 15th of every month', { cycleType: 'month', cycle: '1', runAt: '1,15', startDate: '2024-03-10 23:00:00' }, '2024-03-01T00:00:00Z', ['2024-03-15T23:00:00Z', '2024-04-01T23:00:00Z', '2024-04-15T23:00:00Z']],
    ['the 31st of every month: months without one have no run', { cycleType: 'month', cycle: '1', runAt: '31', startDate: '2024-03-01 00:00:00' }, '2024-03-01T00:00:00Z', ['2024-03-31T00:00:00Z', '2024-05-31T00:00:00Z', '2024-07-31T00:00:00Z']],
    ['every 5th month', { cycleType: 'month', cycle: '5', runAt: '2', startDate: '2024-01-01 00:00:00' }, '2024-01-01T00:00:00Z', ['2024-01-02T00:00:00Z', '2024-06-02T00:00:00Z', '2024-11-02T00:00:00Z', '2025-04-02T00:00:00Z']],
  ] as const)('%s', (_, inputs, from, expected) => {
    expect(runs(spec(inputs), from, expected.length)).toEqual(expected);
  });

  it('stops at stopDate: no run after it', () => {
    const s = spec({ cycleType: 'day', cycle: '1', startDate: '2024-03-01 12:00:00', stopDate: '2024-03-03 12:00:00' });
    expect(runs(s, '2024-03-01T00:00:00Z', 10)).toEqual(['2024-03-01T12:00:00Z', '2024-03-02T12:00:00Z', '2024-03-03T12:00:00Z']);
  });

  it('reads startDate in the job\'s time zone, and keeps the local time across a DST change', () => {
    const s = spec({ cycleType: 'day', cycle: '1', startDate: '2024-03-30 02:30:00', 'ferryConfig.schedulerTimeZone': 'Europe/Berlin' });
    // Berlin moves from UTC+1 to UTC+2 on 2024-03-31 at 02:00 (02:30 does not exist that day).
    expect(runs(s, '2024-03-29T00:00:00Z', 3)).toEqual(['2024-03-30T01:30:00Z', '2024-03-31T01:30:00Z', '2024-04-01T00:30:00Z']);
  });

  it('falls back to the deployment\'s time zone (FERRY_TIMEZONE)', () => {
    const s = spec({ cycleType: 'day', cycle: '1', startDate: '2024-03-01 08:00:00' }, 'Asia/Shanghai');
    expect(runs(s, '2024-02-29T00:00:00Z', 1)).toEqual(['2024-03-01T00:00:00Z']);
  });

  it('accepts startDate percent-encoded, as CDM returns it', () => {
    expect(spec({ cycleType: 'minute', cycle: '5', startDate: '2024-03-01%2009:00:00' }).start).toBe(Date.parse('2024-03-01T09:00:00Z'));
  });

  it('disposableType DELETE makes a schedule of one run', () => {
    expect(spec({ cycleType: 'day', cycle: '1', disposableType: 'DELETE' }).once).toBe(true);
    expect(spec({ cycleType: 'day', cycle: '1', disposableType: 'DELETE_AFTER_SUCCEED' }).once).toBe(false);
  });

  it('is no schedule unless isSchedulerJob is true', () => {
    expect(scheduleFromInputs({ 'schedulerConfig.cycleType': 'day', 'schedulerConfig.cycle': '1' }, { defaultTimeZone: 'UTC', savedAt: SAVED })).toBeUndefined();
  });
});

describe('which delivered ticks are runs (the AWS Lambda\'s check)', () => {
  it.each([
    ['a tick of every 3rd day on a run day', { cycleType: 'day', cycle: '3', startDate: '2024-03-01 00:00:00' }, '2024-03-04T00:00:00Z', true],
    ['the days between (cron fires daily; the Lambda drops them)', { cycleType: 'day', cycle: '3', startDate: '2024-03-01 00:00:00' }, '2024-03-05T00:00:00Z', false],
    ['the off weeks of every 2nd week', { cycleType: 'week', cycle: '2', runAt: 'fri', startDate: '2024-03-01 06:00:00' }, '2024-03-08T06:00:00Z', false],
    ['a tick after stopDate', { cycleType: 'hour', cycle: '1', runAt: '0', stopDate: '2024-03-01 10:00:00' }, '2024-03-01T11:00:00Z', false],
    ['a tick before startDate', { cycleType: 'hour', cycle: '1', runAt: '0', startDate: '2024-03-02 00:00:00' }, '2024-03-01T11:00:00Z', false],
    ['a rate tick (exact by construction)', { cycleType: 'minute', cycle: '10', startDate: '2024-03-01 00:00:00' }, '2024-03-01T00:10:00Z', true],
  ] as const)('%s: %s', (_, inputs, at, due) => {
    expect(isDue(spec(inputs), Date.parse(at))).toBe(due);
  });
});

describe('schedulerConfig validation', () => {
  it.each([
    [{ cycle: '1' }, 'schedulerConfig.cycleType is mandatory'],
    [{ cycleType: 'day' }, 'schedulerConfig.cycle is mandatory'],
    [{ cycleType: 'day', cycle: '0' }, 'schedulerConfig.cycle must be a positive integer'],
    [{ cycleType: 'day', cycle: '1', runAt: '3' }, 'runAt applies to hour, week and month cycles only'],
    [{ cycleType: 'hour', cycle: '1', runAt: '60' }, 'minutes past the hour from 0 to 59'],
    [{ cycleType: 'week', cycle: '1', runAt: 'mon,funday' }, 'must list weekdays'],
    [{ cycleType: 'month', cycle: '1', runAt: '0' }, 'days of the month from 1 to 31'],
    [{ cycleType: 'day', cycle: '1', startDate: '2024-02-30 00:00:00' }, 'startDate must be a time written yyyy-MM-dd HH:mm:ss'],
    [{ cycleType: 'day', cycle: '1', startDate: '2024-03-01T00:00:00' }, 'startDate must be a time written'],
    [{ cycleType: 'day', cycle: '1', startDate: '2024-03-02 00:00:00', stopDate: '2024-03-01 00:00:00' }, 'stopDate must be after'],
    [{ cycleType: 'day', cycle: '1', 'ferryConfig.schedulerTimeZone': 'Mars/Olympus' }, 'must be an IANA time zone'],
  ])('%j is refused: %s', (inputs, message) => {
    expect(() => spec(inputs)).toThrow(expect.objectContaining({ code: 'Cdm.0014', message: expect.stringContaining(message) }));
  });

  it('accepts full weekday names and any case', () => {
    expect(spec({ cycleType: 'week', cycle: '1', runAt: 'Monday,SUN' }).runAt).toEqual([1, 7]);
  });
});
