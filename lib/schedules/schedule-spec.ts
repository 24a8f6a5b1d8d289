// A job's `schedulerConfig` (cdm-api.md §2.3) as one canonical, validated schedule, and
// the one definition of when it fires: `nextFire` (the embedded scheduler's timer) and
// `isDue` (the AWS scheduler Lambda's check of a tick EventBridge delivered). Both
// adapters use these, so a schedule means the same thing embedded and on AWS.
//
// What each form means (CDM documents the inputs, not their exact semantics):
// * minute, cycle N: every N minutes from the anchor (startDate, else when the job was saved).
// * hour, cycle N, runAt "27,57": at those minutes of every Nth hour counted from the
//   anchor's hour (default: the anchor's minute).
// * day, cycle N: every Nth day counted from the anchor's day, at the anchor's time of day.
// * week, cycle N, runAt "mon,wed": those weekdays of every Nth (Monday-based) week.
// * month, cycle N, runAt "1,15": those days of every Nth month; a month without the day
//   (the 31st in April) has no run that day, as cron has none.
// Times are wall-clock times in the schedule's time zone; runs are minute-aligned except
// minute cycles, which keep startDate's seconds.
import { errors } from '../errors';
import type { InputMap } from '../model/config-values';
import { canonicalZone, dateOfDay, dayNumber, fromLocal, monthNumber, parseLocalDateTime, toLocal, weekNumber, type LocalTime } from '../model/calendar';

export const CYCLE_TYPES = ['minute', 'hour', 'day', 'week', 'month'] as const;
export type CycleType = (typeof CYCLE_TYPES)[number];
export const DISPOSABLE_TYPES = ['NONE', 'DELETE_AFTER_SUCCEED', 'DELETE'] as const;
export type DisposableType = (typeof DISPOSABLE_TYPES)[number];

export interface ScheduleSpec {
  cycleType: CycleType;
  cycle: number;
  /** hour: minutes past the hour; week: ISO weekdays (1 = Monday); month: days of the month. */
  runAt: number[];
  /** Time of day of day/week/month runs. */
  hour: number;
  minute: number;
  timeZone: string;
  /** Epoch ms the cycle is counted from: startDate, or when the job was saved. */
  anchor: number;
  /** startDate as an instant; no run before it. */
  start?: number;
  /** stopDate as an instant; no run after it. */
  stop?: number;
  /** disposableType DELETE: the job is deleted after its run, so there is one run. */
  once: boolean;
  disposableType: DisposableType;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const MINUTE = 60_000;
/** The Ferry input naming the zone of startDate/stopDate (CDM has none; default: the deployment's FERRY_TIMEZONE). */
export const TIME_ZONE_INPUT = 'ferryConfig.schedulerTimeZone';

/**
 * The job's schedule, or undefined when `schedulerConfig.isSchedulerJob` is not true.
 * Throws Cdm.0014 naming the input that is wrong. `savedAt` anchors a schedule without startDate.
 */
export function scheduleFromInputs(driver: InputMap, opts: { defaultTimeZone: string; savedAt: number }): ScheduleSpec | undefined {
  if (driver['schedulerConfig.isSchedulerJob'] !== 'true') return undefined;
  const bad = (name: string, why: string) => errors.invalidParameter(`schedulerConfig.${name} ${why}`);

  const cycleType = driver['schedulerConfig.cycleType'] as CycleType | undefined;
  if (!cycleType) throw bad('cycleType', 'is mandatory when schedulerConfig.isSchedulerJob is true.');
  const cycleText = driver['schedulerConfig.cycle'];
  if (!cycleText) throw bad('cycle', 'is mandatory when schedulerConfig.isSchedulerJob is true.');
  const cycle = Number(cycleText);
  if (!Number.isInteger(cycle) || cycle < 1) throw bad('cycle', `must be a positive integer; got "${cycleText}".`);

  const zoneText = driver[TIME_ZONE_INPUT] || opts.defaultTimeZone;
  const timeZone = canonicalZone(zoneText);
  if (!timeZone) throw errors.invalidParameter(`${TIME_ZONE_INPUT} must be an IANA time zone such as UTC or Asia/Shanghai; got "${zoneText}".`);

  const date = (name: 'startDate' | 'stopDate'): number | undefined => {
    const raw = driver[`schedulerConfig.${name}`];
    if (!raw) return undefined;
    // CDM returns these percent-encoded (Terraform unescapes them); accept either form.
    const text = raw.includes('%') ? safeDecode(raw) : raw;
    const local = parseLocalDateTime(text);
    if (!local) throw bad(name, `must be a time written yyyy-MM-dd HH:mm:ss; got "${raw}".`);
    return fromLocal(local, timeZone);
  };
  const start = date('startDate');
  const stop = date('stopDate');
  if (start !== undefined && stop !== undefined && stop <= start) throw bad('stopDate', 'must be after schedulerConfig.startDate.');

  const anchor = start ?? opts.savedAt;
  const local = toLocal(anchor, timeZone);
  const runAt = parseRunAt(cycleType, driver['schedulerConfig.runAt'] ?? '', local, bad);
  const disposableType = (driver['schedulerConfig.disposableType'] as DisposableType | undefined) ?? 'NONE';
  return {
    cycleType,
    cycle,
    runAt,
    hour: local.hour,
    minute: local.minute,
    timeZone,
    anchor,
    ...(start !== undefined ? { start } : {}),
    ...(stop !== undefined ? { stop } : {}),
    once: disposableType === 'DELETE',
    disposableType,
  };
}

function parseRunAt(type: CycleType, text: string, anchor: LocalTime, bad: (name: string, why: string) => Error): number[] {
  const items = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (type === 'minute' || type === 'day') {
    if (items.length) throw bad('runAt', `applies to hour, week and month cycles only, not to cycleType ${type}.`);
    return [];
  }
  const numbers = (lo: number, hi: number, what: string) =>
    items.map((s) => {
      const n = Number(s);
      if (!/^\d+$/.test(s) || n < lo || n > hi) throw bad('runAt', `must list ${what} from ${lo} to ${hi}, separated by commas; got "${text}".`);
      return n;
    });
  let out: number[];
  if (type === 'hour') out = items.length ? numbers(0, 59, 'minutes past the hour') : [anchor.minute];
  else if (type === 'month') out = items.length ? numbers(1, 31, 'days of the month') : [anchor.day];
  else {
    out = items.length
      ? items.map((s) => {
          const i = WEEKDAYS.indexOf(s.slice(0, 3) as (typeof WEEKDAYS)[number]);
          if (i < 0 || !(s.length === 3 || WEEKDAY_NAMES[i] === s)) {
            throw bad('runAt', `must list weekdays (mon,tue,wed,thu,fri,sat,sun) separated by commas; got "${text}".`);
          }
          return i + 1;
        })
      : [dateOfDay(dayNumber(anchor)).weekday];
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

const WEEKDAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/** Cron forms fire on whole minutes: their lower bound is startDate rounded down to one. */
const lowerBound = (s: ScheduleSpec) => (s.start === undefined ? undefined : s.cycleType === 'minute' ? s.start : Math.floor(s.start / MINUTE) * MINUTE);

/** Does local day `day` carry runs (weekday, day of month, and the cycle's phase)? `a` is the anchor's local time. */
function dayMatches(s: ScheduleSpec, a: LocalTime, day: number): boolean {
  const d = dateOfDay(day);
  switch (s.cycleType) {
    case 'day':
      return mod(day - dayNumber(a), s.cycle) === 0;
    case 'week':
      return s.runAt.includes(d.weekday) && mod(weekNumber(day) - weekNumber(dayNumber(a)), s.cycle) === 0;
    case 'month':
      return s.runAt.includes(d.day) && mod(monthNumber(d) - monthNumber(a), s.cycle) === 0;
    default:
      return true;
  }
}

/** The local (hour, minute) pairs of a matching day, in order. */
function timesOfDay(s: ScheduleSpec, a: LocalTime, day: number): [number, number][] {
  if (s.cycleType !== 'hour') return [[s.hour, s.minute]];
  const anchorHour = dayNumber(a) * 24 + a.hour;
  const out: [number, number][] = [];
  for (let h = 0; h < 24; h++) {
    if (mod(day * 24 + h - anchorHour, s.cycle) !== 0) continue;
    for (const m of s.runAt) out.push([h, m]);
  }
  return out;
}

/** The first run strictly after `after`, or undefined when there is none (stopDate passed). */
export function nextFire(s: ScheduleSpec, after: number): number | undefined {
  const lo = lowerBound(s);
  const from = lo !== undefined && lo > after ? lo - 1 : after;
  let t: number | undefined;
  if (s.cycleType === 'minute') {
    const step = s.cycle * MINUTE;
    const k = Math.max(0, Math.floor((from - s.anchor) / step) + 1);
    t = s.anchor + k * step;
  } else {
    t = nextCronFire(s, from, lo);
  }
  if (t === undefined || (s.stop !== undefined && t > s.stop)) return undefined;
  return t;
}

function nextCronFire(s: ScheduleSpec, after: number, lo: number | undefined): number | undefined {
  // A day before `after`'s local date covers zones ahead of the instant's UTC date.
  const first = dayNumber(toLocal(after, s.timeZone)) - 1;
  // Long enough to find a run of any form (a 31st in a month of the right phase).
  const days = (s.cycle + 1) * 400;
  const a = toLocal(s.anchor, s.timeZone); // once, not per day: toLocal formats through Intl
  for (let day = first; day <= first + days; day++) {
    if (!dayMatches(s, a, day)) continue;
    const d = dateOfDay(day);
    for (const [hour, minute] of timesOfDay(s, a, day)) {
      const t = fromLocal({ year: d.year, month: d.month, day: d.day, hour, minute, second: 0 }, s.timeZone);
      if (s.stop !== undefined && t > s.stop) return undefined;
      if (t > after && (lo === undefined || t >= lo)) return t;
    }
  }
  return undefined;
}

/**
 * Whether a tick at `at` is a run of this schedule. EventBridge cannot express every
 * form (every 3rd day, every 2nd week), so it fires a superset and the scheduler
 * Lambda keeps only the ticks this says are due.
 */
export function isDue(s: ScheduleSpec, at: number): boolean {
  const lo = lowerBound(s);
  if ((lo !== undefined && at < lo - MINUTE) || (s.stop !== undefined && at > s.stop + MINUTE)) return false;
  if (s.cycleType === 'minute') return true; // rate(N minutes) is exact
  // EventBridge's scheduled time is the minute the run was due: compare whole minutes.
  const l = toLocal(Math.round(at / MINUTE) * MINUTE, s.timeZone);
  const day = dayNumber(l);
  const a = toLocal(s.anchor, s.timeZone);
  return dayMatches(s, a, day) && timesOfDay(s, a, day).some(([h, m]) => h === l.hour && m === l.minute);
}
