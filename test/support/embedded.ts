// Starts the embedded runtime in a throwaway data directory, with a small API client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded, type Embedded, type EmbeddedOptions } from '../../lib/local/embedded';
import { issueToken, type TokenClaims } from '../../lib/local/tokens';

export interface Api {
  ferry: Embedded;
  dataDir: string;
  token(claims?: Partial<TokenClaims>): Promise<string>;
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any }>;
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startApi(opts: Partial<EmbeddedOptions> = {}): Promise<Api> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ferry-test-'));
  const ferry = await startEmbedded({ port: 0, ...opts, dataDir });
  const defaultToken = await issueToken(ferry.keys, { projects: ['p1'] });
  return {
    ferry,
    dataDir,
    token: (claims = {}) => issueToken(ferry.keys, { projects: ['p1'], ...claims }),
    async call(method, path, body, token = defaultToken) {
      const res = await fetch(`${ferry.url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Auth-Token': token } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close({ keepData = false } = {}) {
      await ferry.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value or the time runs out (the test then fails with the last value). */
export async function waitFor<T>(what: string, fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await fn();
  while (!done(last)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await fn();
  }
  return last;
}

/**
 * Freezes the executor that makes the run's `nth` progress report: its sink has committed
 * that chunk, but it stops dead before reporting it, as an executor that hangs or loses its
 * container would. `thaw()` lets it carry on late (and waits for the report it then makes);
 * `restore()` puts the store back. Start the API with settings.progressIntervalMs 0, so that
 * report n follows chunk n.
 */
export function freezeProgressReport(api: Api, nth: number): { thaw(): Promise<unknown>; restore(): void } {
  const subs = api.ferry.runtime.store.submissions;
  const recordProgress = subs.recordProgress;
  let calls = 0;
  let thaw: (() => Promise<unknown>) | undefined;
  subs.recordProgress = (...args) => {
    if (++calls !== nth) return recordProgress(...args);
    return new Promise((resolve) => {
      thaw = () => recordProgress(...args).then(resolve);
    });
  };
  return {
    thaw: () => thaw!(),
    restore: () => void (subs.recordProgress = recordProgress),
  };
}
