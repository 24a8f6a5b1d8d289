// A peer run as its own process and measured from outside: wall time from spawn to exit,
// peak RSS and CPU time from /usr/bin/time -v (or the process's VmHWM polled when that is
// missing); and the CPU time of any running process from /proc.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface TimedRun {
  wallSeconds: number;
  peakRssKb: number;
  /** User + system CPU seconds (NaN without /usr/bin/time). */
  cpuSeconds: number;
  /** stdout and stderr together (with /usr/bin/time's report at the end). */
  output: string;
}

/** Runs `cmd args…` to its end; a non-zero exit throws with the tail of its output. */
export async function runTimed(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<TimedRun> {
  const timed = existsSync('/usr/bin/time');
  const [file, argv] = timed ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, [...args]];
  const t0 = performance.now();
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // Without /usr/bin/time: poll the process's high-water mark (one process, no children).
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
  if (code !== 0) throw new Error(`${cmd} exited with ${code}:\n${output.slice(-4000)}`);
  const peakRssKb = timed ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(output)?.[1] ?? NaN) : polledKb;
  const reported = (what: string) => Number(new RegExp(`${what} time \\(seconds\\): ([\\d.]+)`).exec(output)?.[1] ?? NaN);
  return { wallSeconds, peakRssKb, cpuSeconds: reported('User') + reported('System'), output };
}

/** CPU seconds (user + system) a live process has used so far (/proc/<pid>/stat), with those of its reaped children on request. */
export function processCpuSeconds(pid: number, o: { reapedChildren?: boolean } = {}): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15,
  // and the children it has waited for, cutime 16 and cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const own = fields[11]! + fields[12]!;
  return (o.reapedChildren ? own + fields[13]! + fields[14]! : own) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux the bench runs on. */
const CLOCK_TICKS = 100;
