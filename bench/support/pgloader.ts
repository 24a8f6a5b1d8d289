// pgloader, the reference the relational bench measures Ferry against: installed from its
// Debian package when missing, run on its documented command line under /usr/bin/time -v
// (or with its VmHWM polled), its own summary line for the table parsed.
import { ensureDebianPackage } from './debian-package';
import { runTimed, type TimedRun } from './timed-process';

export interface PgloaderRun extends TimedRun {
  /** From pgloader's summary: the table's row count, size and load time (its data phase). */
  rows?: number;
  bytes?: number;
  tableSeconds?: number;
  /** pgloader's "Total import time". */
  totalSeconds?: number;
}

/** pgloader's path, installing the Debian package when it is missing; otherwise why it cannot run. */
export const ensurePgloader = (log: (line: string) => void) => ensureDebianPackage('pgloader', 'pgloader', log);

/** Runs `pgloader <from> <to>` and measures it. */
export async function runPgloader(path: string, fromUri: string, toUri: string, table: string): Promise<PgloaderRun> {
  const run = await runTimed(path, [fromUri, toUri]);
  return { ...run, ...summary(run.output, table) };
}

const UNITS: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** `1m2.5s`, `8.305s`, `450ms` → seconds. */
function seconds(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/([\d.]+)(h|ms|m|s)/g)) {
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001 } as Record<string, number>)[unit!]!;
  }
  return total;
}

/**
 * pgloader's summary table: a line per table (`bench.orders  0  1000000  121.2 MB  8.305s`)
 * and `Total import time  ✓  1000000  121.2 MB  9.050s`.
 */
function summary(output: string, table: string): Pick<PgloaderRun, 'rows' | 'bytes' | 'tableSeconds' | 'totalSeconds'> {
  const esc = table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const line = new RegExp(`^\\s*${esc}\\s+\\d+\\s+(\\d+)\\s+([\\d.]+) (B|kB|MB|GB|TB)\\s+([\\d.hms]+)\\s*$`, 'm').exec(output);
  const total = /Total import time\s+\S+\s+\d+\s+[\d.]+ \w+\s+([\d.hms]+)/.exec(output);
  return {
    rows: line ? Number(line[1]) : undefined,
    bytes: line ? Number(line[2]) * UNITS[line[3]!]! : undefined,
    tableSeconds: line ? seconds(line[4]!) : undefined,
    totalSeconds: total ? seconds(total[1]!) : undefined,
  };
}
