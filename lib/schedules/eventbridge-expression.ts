// A ScheduleSpec as EventBridge Scheduler's expression, time zone and start/end dates.
// Where cron cannot say the cycle exactly (every 5 hours across midnight, every 3rd
// day, every 2nd week, every 5th month), the expression fires a superset and the
// scheduler Lambda drops the ticks `isDue` rejects; where it can, it says it exactly.
import { isoLocal, toLocal } from '../model/calendar';
import { nextFire, WEEKDAYS, type ScheduleSpec } from './schedule-spec';

export interface EventBridgeTiming {
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  StartDate?: Date;
  EndDate?: Date;
}

/**
 * The timing for `spec` as of `now`, or undefined when it has no run left (stopDate
 * passed). EventBridge refuses a StartDate more than a few minutes in the past, so a
 * past startDate is dropped for cron forms and moved to the next aligned run for rates.
 */
export function eventBridgeTiming(spec: ScheduleSpec, now: number): EventBridgeTiming | undefined {
  const first = nextFire(spec, now);
  if (first === undefined) return undefined;
  const zone = spec.timeZone;
  const end = spec.stop !== undefined ? { EndDate: new Date(spec.stop) } : {};
  if (spec.once) {
    return { ScheduleExpression: `at(${isoLocal(toLocal(first, zone))})`, ScheduleExpressionTimezone: zone };
  }
  if (spec.cycleType === 'minute') {
    // A rate's runs are counted from its StartDate: start it at the next aligned run.
    const unit = spec.cycle === 1 ? 'minute' : 'minutes';
    return { ScheduleExpression: `rate(${spec.cycle} ${unit})`, ScheduleExpressionTimezone: zone, StartDate: new Date(first), ...end };
  }
  const start = spec.start !== undefined && spec.start > now ? { StartDate: new Date(spec.start) } : {};
  return { ScheduleExpression: cron(spec), ScheduleExpressionTimezone: zone, ...start, ...end };
}

/** `cron(minutes hours day-of-month month day-of-week year)`; one of the day fields is `?`. */
export function cron(spec: ScheduleSpec): string {
  const a = toLocal(spec.anchor, spec.timeZone);
  const list = (xs: number[]) => xs.join(',');
  // `h/N` restarts at every midnight (and `m/N` every January): exact only when N divides 24 (12).
  const stepped = (cycle: number, period: number, first: number, base: number) =>
    cycle === 1 ? '*' : period % cycle === 0 ? `${((first - base) % cycle) + base}/${cycle}` : '*';
  switch (spec.cycleType) {
    case 'hour':
      return `cron(${list(spec.runAt)} ${stepped(spec.cycle, 24, a.hour, 0)} * * ? *)`;
    case 'day':
      return `cron(${spec.minute} ${spec.hour} * * ? *)`;
    case 'week':
      return `cron(${spec.minute} ${spec.hour} ? * ${spec.runAt.map((d) => WEEKDAYS[d - 1]!.toUpperCase()).join(',')} *)`;
    case 'month':
      return `cron(${spec.minute} ${spec.hour} ${list(spec.runAt)} ${stepped(spec.cycle, 12, a.month, 1)} ? *)`;
    case 'minute':
      throw new Error('a minute cycle is a rate, not a cron expression');
  }
}
