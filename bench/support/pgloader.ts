// pgloader, the reference the relational bench measures Ferry against: installed from its
// Debian package when missing, run on its documented command line under /usr/bin/time -v
// (or with its VmHWM polled), its own summary line for the table parsed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface PgloaderRun {
  /** Process start to exit, as measured here. */
  wallSeconds: number;
  peakRssKb: number;
  /** From pgloader's summary: the table's row count, size and load time (its data phase). */
  rows?: number;
  bytes?: number;
  tableSeconds?: number;
  /** pgloader's "Total import time". */
  totalSeconds?: number;
  output: string;
}

const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;

/** pgloader's path, installing the Debian package when it is missing; otherwise why it cannot run. */
export function ensurePgloader(log: (line: string) => void): { path: string } | { missing: string } {
  const found = which('pgloader');
  if (found) return { path: found };
  if (!which('apt-get')) return { missing: 'pgloader is not installed and there is no apt-get to install it' };
  log('pgloader is missing: apt-get install -y pgloader …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = spawnSync('apt-get', ['install', '-y', 'pgloader'], { encoding: 'utf8', env });
  if (install.status !== 0) {
    // A fresh machine may have no package lists yet.
    spawnSync('apt-get', ['update'], { encoding: 'utf8', env });
    install = spawnSync('apt-get', ['install', '-y', 'pgloader'], { encoding: 'utf8', env });
  }
  const path = which('pgloader');
  if (path) return { path };
  const why = (install.stderr || install.stdout || install.error?.message || '').trim().split('\n').slice(-3).join(' / ');
  return { missing: `apt-get install -y pgloader failed (exit ${install.status}): ${why}` };
}

/** Runs `pgloader <from> <to>` and measures it. */
export async function runPgloader(path: string, fromUri: string, toUri: string, table: string): Promise<PgloaderRun> {
  const timed = existsSync('/usr/bin/time');
  const [cmd, args] = timed ? ['/usr/bin/time', ['-v', path, fromUri, toUri]] : [path, [fromUri, toUri]];
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // Without /usr/bin/time: poll the process's high-water mark (pgloader is one process).
  let polledKb = 0;
  const poll = timed
    ? undefined
    : setInterval(() => {
        try {
          const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKb = Math.max(polledKb, Number(m[1]));
        } catch {
          // exited between polls
        }
      }, 20);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const wallSeconds = (performance.now() - t0) / 1000;
  if (poll) clearInterval(poll);
  if (code !== 0) throw new Error(`pgloader exited with ${code}:\n${output.slice(-4000)}`);
  const peakRssKb = timed ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(output)?.[1] ?? NaN) : polledKb;
  return { wallSeconds, peakRssKb, ...summary(output, table), output };
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
