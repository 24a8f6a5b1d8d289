// The embedded runtime as `npm start` runs it (the bundle of lib/local/main.ts), in a child
// process of its own that a test can kill with SIGKILL, and start again on the same data directory.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleEmbeddedForProcess } from '../../scripts/bundle-embedded';
import { loadOrCreateKeys } from '../../lib/local/local-keys';
import { issueToken } from '../../lib/local/tokens';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildRuntime {
  readonly url: string;
  readonly pid: number;
  /** A CDM API call with a token for project p1. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** SIGKILL: no handler runs, no connection is closed politely, nothing is flushed. */
  kill(): Promise<void>;
}

/** Starts the bundled lib/local/main.ts with `node`, as `npm start` does, and resolves once it listens. */
export async function startChildRuntime(dataDir: string, env: Record<string, string> = {}): Promise<ChildRuntime> {
  const child = spawn(process.execPath, [await bundleEmbeddedForProcess()], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env, FERRY_DATA_DIR: dataDir, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => void (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code, signal) => reject(new Error(`the embedded runtime exited (${signal ?? code}) before listening:\n${output}`)));
  });
  const token = await issueToken(await loadOrCreateKeys(dataDir), { projects: ['p1'] });
  return {
    url,
    pid: child.pid!,
    async call(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
