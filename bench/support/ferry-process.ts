// Ferry embedded as users run it (`npm start`: the bundle of lib/local/main.ts), in a child process of
// its own so that its peak RSS is its own: a small CDM API client, the child's memory
// from /proc, and an optional CPU profile (written when the child exits).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateKeys } from '../../lib/local/local-keys';
import { issueToken } from '../../lib/local/tokens';
import { PROJECT_ROOT } from '../../lib/local/embedded';
import { bundleEmbeddedForProcess } from '../../scripts/bundle-embedded';
import { processCpuSeconds } from './timed-process';

export const PROJECT = 'bench';

export interface FerryProcess {
  readonly pid: number;
  readonly url: string;
  /** One CDM API call; a non-2xx answer throws with the body. */
  call(method: string, path: string, body?: unknown): Promise<any>;
  /** The child's memory from /proc/<pid>/status, in KiB: now (VmRSS) and its peak so far (VmHWM). */
  memory(): { rssKb: number; peakKb: number };
  /** CPU seconds the child has used so far. */
  cpuSeconds(): number;
  /** SIGTERM (the embedded runtime closes, a CPU profile is written), then waits for the exit. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  dataDir: string;
  /** Directory for a `--cpu-prof` profile of the child. */
  cpuProfDir?: string;
  env?: Record<string, string>;
}

export async function spawnFerry(opts: SpawnOptions): Promise<FerryProcess> {
  const args = [
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    await bundleEmbeddedForProcess(),
  ];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', NODE_NO_WARNINGS: '1', FERRY_DATA_DIR: opts.dataDir, PORT: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child);
  const token = await issueToken(await loadOrCreateKeys(opts.dataDir), { projects: [PROJECT] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid!;

  return {
    pid,
    url,
    async call(method, path, body) {
      const res = await fetch(`${url}/v1.1/${PROJECT}${path}`, {
        method,
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { rssKb: kb('VmRSS'), peakKb: kb('VmHWM') };
    },
    cpuSeconds: () => processCpuSeconds(pid),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** main.ts prints `Ferry is listening on http://…` once the gateway is up. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining whatever it prints later
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Ferry exited (code ${code}) before listening; it printed: ${out}`)));
  });
}
