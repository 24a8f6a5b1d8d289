// CDM's macros in job inputs: `${dateformat(fmt[, n, UNIT])}`, `${timestamp([n, UNIT])}`,
// the nested `${timestamp(dateformat(fmt[, n, UNIT]))}`, and `${name}` for a start body's
// `variables`. They resolve against the submission's start time, never the clock of the
// invocation running a chunk, so every continuation and partition of a run reads the
// same rows; and in one stated time zone (FERRY_TIMEZONE, default UTC), because a
// `DS='${dateformat(yyyy-MM-dd,-1,DAY)}'` filter means a calendar day somewhere.
import { errors } from '../errors';
import { fromLocal as zonedInstant, toLocal as zonedTime, type LocalTime } from '../model/calendar';

export interface MacroContext {
  /** Epoch ms the macros treat as "now": the submission's creation date. */
  readonly now: number;
  /** IANA zone for calendar fields (`UTC`, `Asia/Shanghai`). */
  readonly timeZone: string;
  readonly variables: Readonly<Record<string, string>>;
}

const MACRO = /\$\{([^}]*)\}/g;
const UNITS = ['SECOND', 'MINUTE', 'HOUR', 'DAY', 'MONTH', 'YEAR'] as const;
type Unit = (typeof UNITS)[number];
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Replaces every macro in `text`; an unknown function or a variable without a value is Cdm.0014 naming it. */
export function resolveMacros(text: string, ctx: MacroContext): string {
  return text.replace(MACRO, (whole, body: string) => {
    const expr = body.trim();
    if (VARIABLE.test(expr)) {
      const value = ctx.variables[expr];
      if (value === undefined) {
        throw errors.invalidParameter(`${whole} has no value: pass "${expr}" in the start body's variables.`);
      }
      return value;
    }
    return String(evaluate(parseCall(expr, whole), ctx, whole).text);
  });
}

/** Checks the macros' syntax when a job is saved (variables get their values at start). */
export function checkMacros(text: string): void {
  const probe: MacroContext = { now: Date.UTC(2000, 0, 1), timeZone: 'UTC', variables: {} };
  for (const [whole, body] of text.matchAll(MACRO)) {
    const expr = body!.trim();
    if (!VARIABLE.test(expr)) evaluate(parseCall(expr, whole), probe, whole);
  }
  // A `${` never closed would stay in the value as text: a path or filter other than the one meant.
  const open = text.replace(MACRO, '').indexOf('${');
  if (open >= 0) throw errors.invalidParameter(`${text.slice(open, open + 40)} is an unclosed macro: expected \${…} with its closing brace.`);
}

// ---- parsing: name(arg, arg, …) with nested calls ----

interface Call {
  name: string;
  args: (string | Call)[];
}

function parseCall(expr: string, whole: string): Call {
  const m = /^([A-Za-z]+)\s*\(([\s\S]*)\)$/.exec(expr);
  if (!m) throw errors.invalidParameter(`${whole} is not a macro: expected \${dateformat(…)}, \${timestamp(…)} or \${variable}.`);
  const args: (string | Call)[] = [];
  let depth = 0;
  let current = '';
  let quoted = false;
  for (const ch of m[2]!) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === ',') {
      args.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() || args.length) args.push(current.trim());
  return { name: m[1]!, args: args.map((a) => (typeof a === 'string' && /^[A-Za-z]+\s*\(/.test(a) ? parseCall(a, whole) : a)) };
}

// ---- evaluation ----

interface Evaluated {
  text: string | number;
  /** For dateformat: the instant its text denotes (fields the format lacks truncated), so timestamp() can nest it. */
  instant?: number;
}

function evaluate(call: Call, ctx: MacroContext, whole: string): Evaluated {
  const name = call.name.toLowerCase();
  if (name === 'dateformat') {
    // A format may itself contain commas; the last two arguments are an offset only if they look like one.
    const parts = call.args.map((a) => {
      if (typeof a !== 'string') throw errors.invalidParameter(`${whole}: dateformat takes a format, not ${a.name}(…).`);
      return a;
    });
    const { rest, offset } = splitOffset(parts, whole);
    const format = rest.join(',');
    if (!format) throw errors.invalidParameter(`${whole}: dateformat needs a format, e.g. dateformat(yyyy-MM-dd).`);
    const local = shift(toLocal(ctx.now, ctx.timeZone), offset);
    return { text: formatLocal(local, format, ctx.timeZone, whole), instant: fromLocal(truncate(local, format), ctx.timeZone) };
  }
  if (name === 'timestamp') {
    const [first, ...more] = call.args;
    if (first !== undefined && typeof first !== 'string') {
      if (first.name.toLowerCase() !== 'dateformat' || more.length) {
        throw errors.invalidParameter(`${whole}: timestamp takes (), (offset, UNIT) or (dateformat(…)).`);
      }
      return { text: evaluate(first, ctx, whole).instant! };
    }
    const { rest, offset } = splitOffset(call.args as string[], whole);
    if (rest.length) throw errors.invalidParameter(`${whole}: timestamp takes (), (offset, UNIT) or (dateformat(…)).`);
    return { text: fromLocal(shift(toLocal(ctx.now, ctx.timeZone), offset), ctx.timeZone) };
  }
  throw errors.invalidParameter(`${whole}: unknown macro function ${call.name}; Ferry knows dateformat and timestamp.`);
}

function splitOffset(args: string[], whole: string): { rest: string[]; offset?: { n: number; unit: Unit } } {
  if (args.length >= 2) {
    const unit = args.at(-1)!.toUpperCase() as Unit;
    const n = args.at(-2)!;
    if (UNITS.includes(unit)) {
      if (!/^[+-]?\d+$/.test(n)) throw errors.invalidParameter(`${whole}: the offset ${n} is not a whole number.`);
      return { rest: args.slice(0, -2), offset: { n: Number(n), unit } };
    }
    if (/^[+-]?\d+$/.test(n)) {
      throw errors.invalidParameter(`${whole}: unit ${args.at(-1)} is not one of ${UNITS.join(', ')}.`);
    }
  }
  return { rest: args };
}

// ---- calendar fields in a zone (lib/model/calendar.ts), to the millisecond ----

interface Local extends LocalTime {
  ms: number;
}

const toLocal = (instant: number, timeZone: string): Local => ({
  ...zonedTime(instant, timeZone),
  ms: ((instant % 1000) + 1000) % 1000,
});

const fromLocal = (l: Local, timeZone: string): number => zonedInstant(l, timeZone) + l.ms;

function shift(l: Local, offset: { n: number; unit: Unit } | undefined): Local {
  if (!offset) return l;
  const { n, unit } = offset;
  const d = new Date(Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second, l.ms));
  if (unit === 'SECOND' || unit === 'MINUTE' || unit === 'HOUR' || unit === 'DAY') {
    d.setTime(d.getTime() + n * { SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 }[unit]);
  } else {
    // CDM: a month or year offset landing on a day the month lacks uses its last day.
    const months = unit === 'MONTH' ? n : 12 * n;
    const target = new Date(Date.UTC(l.year, l.month - 1 + months, 1));
    const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCFullYear(target.getUTCFullYear(), target.getUTCMonth(), Math.min(l.day, lastDay));
  }
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    ms: d.getUTCMilliseconds(),
  };
}

/** What a format denotes when read back: fields it does not show are at their start. */
function truncate(l: Local, format: string): Local {
  const letters = new Set(format.replace(/'[^']*'/g, ''));
  const has = (...cs: string[]) => cs.some((c) => letters.has(c));
  return {
    year: l.year,
    month: has('M') ? l.month : 1,
    day: has('d', 'D') ? l.day : 1,
    hour: has('H', 'h', 'k', 'K') ? l.hour : 0,
    minute: has('m') ? l.minute : 0,
    second: has('s') ? l.second : 0,
    ms: has('S') ? l.ms : 0,
  };
}

// ---- java.text.SimpleDateFormat patterns ----

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function formatLocal(l: Local, format: string, timeZone: string, whole: string): string {
  const pad = (v: number, n: number) => String(v).padStart(n, '0');
  const dow = new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay();
  const offsetMin = Math.round((Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second, l.ms) - fromLocal(l, timeZone)) / 60_000);
  const zone = (colon: boolean) => {
    const a = Math.abs(offsetMin);
    return `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(a / 60), 2)}${colon ? ':' : ''}${pad(a % 60, 2)}`;
  };
  let out = '';
  for (let i = 0; i < format.length; ) {
    const c = format[i]!;
    if (c === "'") {
      const end = format.indexOf("'", i + 1);
      if (end === i + 1) out += "'";
      else out += format.slice(i + 1, end === -1 ? format.length : end);
      i = end === -1 ? format.length : end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let n = 1;
    while (format[i + n] === c) n++;
    i += n;
    switch (c) {
      case 'y':
        out += n === 2 ? pad(l.year % 100, 2) : pad(l.year, n);
        break;
      case 'M':
        out += n >= 4 ? MONTHS[l.month - 1] : n === 3 ? MONTHS[l.month - 1]!.slice(0, 3) : pad(l.month, n);
        break;
      case 'd':
        out += pad(l.day, n);
        break;
      case 'H':
        out += pad(l.hour, n);
        break;
      case 'k':
        out += pad(l.hour === 0 ? 24 : l.hour, n);
        break;
      case 'h':
        out += pad(l.hour % 12 === 0 ? 12 : l.hour % 12, n);
        break;
      case 'K':
        out += pad(l.hour % 12, n);
        break;
      case 'm':
        out += pad(l.minute, n);
        break;
      case 's':
        out += pad(l.second, n);
        break;
      case 'S':
        out += pad(l.ms, n);
        break;
      case 'a':
        out += l.hour < 12 ? 'AM' : 'PM';
        break;
      case 'E':
        out += n >= 4 ? DAYS[dow] : DAYS[dow]!.slice(0, 3);
        break;
      case 'Z':
        out += zone(false);
        break;
      case 'X':
        out += offsetMin === 0 ? 'Z' : zone(n >= 3);
        break;
      default:
        throw errors.invalidParameter(`${whole}: pattern letter ${c} is not supported in dateformat.`);
    }
  }
  return out;
}
