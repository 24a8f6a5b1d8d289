// CDM's date macros, checked against the examples CDM documents ("now" = 2017-10-16
// 09:00:00 in China Standard Time) and the edges users hit: month ends, nesting, variables.
import { describe, expect, it } from 'vitest';
import { checkMacros, resolveMacros, type MacroContext } from '../../lib/engine/macros';

const cst: MacroContext = { now: Date.UTC(2017, 9, 16, 1, 0, 0), timeZone: 'Asia/Shanghai', variables: {} };
const r = (text: string, ctx: Partial<MacroContext> = {}) => resolveMacros(text, { ...cst, ...ctx });

describe('date macros', () => {
  it('gives the documented results', () => {
    expect(r('${dateformat(yyyy-MM-dd, -1, DAY)}')).toBe('2017-10-15');
    expect(r('${dateformat(yyyy-MM-dd HH:mm:ss, -1, DAY)}')).toBe('2017-10-15 09:00:00');
    expect(r('${timestamp(-10, MINUTE)}')).toBe('1508115000000');
    expect(r('${timestamp()}')).toBe(String(cst.now));
  });

  it('reads a nested dateformat back as the instant it denotes (midnight for a date)', () => {
    expect(r('${timestamp(dateformat(yyyyMMdd))}')).toBe(String(Date.UTC(2017, 9, 15, 16, 0, 0)));
    expect(r('${timestamp(dateformat(yyyyMMdd,-1,DAY))}')).toBe(String(Date.UTC(2017, 9, 14, 16, 0, 0)));
  });

  it('uses the zone it is given, so the same instant is another calendar day in UTC', () => {
    const lateUtc = Date.UTC(2017, 9, 16, 20, 0, 0); // already the 17th in Shanghai
    expect(r('${dateformat(yyyy-MM-dd)}', { now: lateUtc, timeZone: 'UTC' })).toBe('2017-10-16');
    expect(r('${dateformat(yyyy-MM-dd)}', { now: lateUtc })).toBe('2017-10-17');
  });

  it('lands on the last day of the month when a MONTH or YEAR offset overshoots it', () => {
    const mar31 = Date.UTC(2024, 2, 31, 12);
    expect(r('${dateformat(yyyy-MM-dd, -1, MONTH)}', { now: mar31, timeZone: 'UTC' })).toBe('2024-02-29');
    const feb29 = Date.UTC(2024, 1, 29, 12);
    expect(r('${dateformat(yyyy-MM-dd, 1, YEAR)}', { now: feb29, timeZone: 'UTC' })).toBe('2025-02-28');
  });

  it('replaces several macros and start variables in one value, and keeps quoted pattern text', () => {
    expect(r("DS='${dateformat(yyyy-MM-dd,-1,DAY)}' AND region = '${region}'", { variables: { region: 'eu' } })).toBe(
      "DS='2017-10-15' AND region = 'eu'",
    );
    expect(r("/opt/${dateformat(yyyy-MM-dd'T'HH:mm:ss.SSSXXX)}/x")).toBe('/opt/2017-10-16T09:00:00.000+08:00/x');
    expect(r('${dateformat(EEE d MMM yy hh a)}')).toBe('Mon 16 Oct 17 09 AM');
    expect(r('no macros here')).toBe('no macros here');
  });

  it('names what is wrong: a variable without a value, an unknown function, a bad unit or offset', () => {
    expect(() => r('id > ${last_id}')).toThrow(/\$\{last_id\} has no value.*variables/);
    expect(() => r('${now()}')).toThrow(/unknown macro function now/);
    expect(() => r('${dateformat(yyyy, -1, WEEK)}')).toThrow(/unit WEEK is not one of SECOND, MINUTE, HOUR, DAY, MONTH, YEAR/);
    expect(() => r('${dateformat(yyyy, x, DAY)}')).toThrow(/offset x is not a whole number/);
    expect(() => r('${dateformat(yyyy-QQ)}')).toThrow(/pattern letter Q/);
  });

  it('checks syntax when a job is saved, leaving variables for the start', () => {
    expect(() => checkMacros("DS='${dateformat(yyyy-MM-dd,-1,DAY)}' and id > ${last_id}")).not.toThrow();
    expect(() => checkMacros('${timestamp(1, FORTNIGHT)}')).toThrow(/FORTNIGHT/);
    expect(() => checkMacros('${date format}')).toThrow(/is not a macro/);
    // Never closed, it would be taken as text: a path other than the one meant.
    expect(() => checkMacros('/in/${dateformat(yyyy-MM-dd, -1, DAY)/x')).toThrow(/unclosed macro/);
    expect(() => checkMacros('/in/${dateformat(yyyy)}/${')).toThrow(/unclosed macro/);
  });
});
