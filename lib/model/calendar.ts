// Wall-clock arithmetic in an IANA time zone: what a schedule's `startDate` and its
// daily/weekly/monthly times mean. Local dates are counted as days since 1970-01-01,
// which is zone-free, so cycles ("every 3 days") never drift across DST changes.

export interface LocalTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The canonical name of an IANA zone, or undefined when it is not one. */
export function canonicalZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The wall-clock time at instant `ms` in `zone`. */
export function toLocal(ms: number, zone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/**
 * The instant a wall-clock time in `zone` denotes. A time repeated by a DST change is
 * its first occurrence; a time skipped by one is the same distance past the change
 * (02:30 on a spring-forward night at 02:00 is 03:30), so a run never comes early.
 */
export function fromLocal(t: LocalTime, zone: string): number {
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  const offsetAt = (ms: number) => {
    const l = toLocal(ms, zone);
    return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - Math.floor(ms / 1000) * 1000;
  };
  // The offsets a day either side cover any change near this time.
  const before = offsetAt(asUtc - 86_400_000);
  const after = offsetAt(asUtc + 86_400_000);
  const same = (ms: number) => {
    const l = toLocal(ms, zone);
    return l.year === t.year && l.month === t.month && l.day === t.day && l.hour === t.hour && l.minute === t.minute;
  };
  const fits = [asUtc - before, asUtc - after].filter(same);
  return fits.length ? Math.min(...fits) : asUtc - before;
}

/** Days since 1970-01-01 of a local date. */
export const dayNumber = (t: Pick<LocalTime, 'year' | 'month' | 'day'>) => Math.floor(Date.UTC(t.year, t.month - 1, t.day) / 86_400_000);

/** The local date `n` days after 1970-01-01, with its ISO weekday (1 = Monday … 7 = Sunday). */
export function dateOfDay(n: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(n * 86_400_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: ((d.getUTCDay() + 6) % 7) + 1 };
}

/** Monday-based week number: 1970-01-01 was a Thursday, so day 0 is in week 0 and Monday 1970-01-05 starts week 1. */
export const weekNumber = (day: number) => Math.floor((day + 3) / 7);

export const monthNumber = (t: Pick<LocalTime, 'year' | 'month'>) => t.year * 12 + (t.month - 1);

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** `yyyy-MM-dd HH:mm:ss` (CDM's startDate/stopDate format), or undefined when it is not a real time. */
export function parseLocalDateTime(text: string): LocalTime | undefined {
  const m = LOCAL_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    check.getUTCHours() === hour &&
    check.getUTCMinutes() === minute &&
    check.getUTCSeconds() === second;
  return real ? { year, month, day, hour, minute, second } : undefined;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `yyyy-MM-ddTHH:mm:ss`, the form EventBridge Scheduler's `at(…)` takes. */
export const isoLocal = (t: LocalTime) =>
  `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;

/**
 * A timestamp with an offset → its UTC wall time (`yyyy-MM-dd HH:mm:ss[.f]`), keeping the
 * fractional digits as written: what MySQL stores for an instant (sessions run in UTC), and
 * how verification compares instants. Text without an offset is taken as UTC.
 */
export function utcWallTime(s: string): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d+)?\s*(Z|[+-]\d\d(?::?\d\d)?(?::?\d\d)?)?$/i.exec(s);
  if (!m) return s;
  const [, y, mo, d, h, mi, sec, frac = '', zone] = m;
  let offsetSeconds = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const [oh = '0', om = '0', os = '0'] = zone.slice(1).match(/\d\d/g) ?? [];
    offsetSeconds = (zone[0] === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os));
  }
  if (offsetSeconds === 0) return `${y}-${mo}-${d} ${h}:${mi}:${sec}${frac}`;
  // setUTCFullYear, unlike Date.UTC, keeps years 0–99 as written.
  const t = new Date(0);
  t.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  t.setUTCHours(Number(h), Number(mi), Number(sec) - offsetSeconds, 0);
  const date = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  return `${date} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}${frac}`;
}
