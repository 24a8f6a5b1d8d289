// filterType=TIME: only files modified at or after `startTime` and before `endTime`
// (either may be left out), both written `yyyy-MM-dd HH:mm:ss`. CDM's values carry no
// zone; Ferry reads them in the zone its date macros use (FERRY_TIMEZONE, default UTC),
// so `${dateformat(yyyy-MM-dd HH:mm:ss, -1, DAY)}` means "24 hours before the run started".
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';
import { fromLocal } from '../../model/calendar';

const START = 'fromJobConfig.startTime';
const END = 'fromJobConfig.endTime';
const TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

export interface TimeWindow {
  /** Epoch ms, inclusive. */
  readonly start?: number;
  /** Epoch ms, exclusive. */
  readonly end?: number;
}

/** At job creation: TIME needs a bound, and literal bounds must parse (macro bounds are checked per run). */
export function checkTimeFilter(from: InputMap): void {
  if (from['fromJobConfig.filterType'] !== 'TIME') return;
  if (!from[START] && !from[END]) throw errors.invalidParameter(`fromJobConfig.filterType TIME needs ${START} or ${END} (yyyy-MM-dd HH:mm:ss).`);
  for (const name of [START, END]) {
    const v = from[name];
    if (v && !v.includes('${')) parseTime(name, v, 'UTC');
  }
  const [s, e] = [from[START], from[END]];
  if (s && e && !s.includes('${') && !e.includes('${') && parseTime(START, s, 'UTC') >= parseTime(END, e, 'UTC')) {
    throw errors.invalidParameter(`${START} ${s} must be before ${END} ${e}.`);
  }
}

/** The run's window (macros already resolved), or undefined when the job filters no times. */
export function timeWindow(from: InputMap, timeZone: string): TimeWindow | undefined {
  if (from['fromJobConfig.filterType'] !== 'TIME') return undefined;
  const bound = (name: string) => (from[name] ? parseTime(name, from[name]!, timeZone) : undefined);
  return { start: bound(START), end: bound(END) };
}

export function inWindow(w: TimeWindow, mtime: number): boolean {
  return (w.start === undefined || mtime >= w.start) && (w.end === undefined || mtime < w.end);
}

function parseTime(name: string, value: string, timeZone: string): number {
  const m = TIME.exec(value.trim());
  const [year, month, day, hour, minute, second] = (m ?? []).slice(1).map(Number) as number[];
  const valid =
    m &&
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= new Date(Date.UTC(year!, month!, 0)).getUTCDate() &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59;
  if (!valid) throw errors.invalidParameter(`${name} must be a time written yyyy-MM-dd HH:mm:ss; got "${value}".`);
  return fromLocal({ year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second: second! }, timeZone);
}
