// Helpers for file job tests: CDM bodies for file links and jobs, a cluster on the
// embedded runtime to run them in, and file trees compared by the MD5 of every file.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { expect } from 'vitest';
import { waitFor, type Api } from '../../support/embedded';

const configs = (name: string, values: Record<string, string>) => ({
  configs: [{ name, inputs: Object.entries(values).map(([n, value]) => ({ name: n, value })) }],
});

export const link = (name: string, connector: string, inputs: Record<string, string>) => ({
  name,
  'connector-name': connector,
  'link-config-values': configs('linkConfig', inputs),
});

export interface JobSides {
  from: [link: string, connector: string];
  to: [link: string, connector: string];
  fromInputs: Record<string, string>;
  toInputs: Record<string, string>;
  driver?: Record<string, string>;
}

export const job = (name: string, s: JobSides) => ({
  job_type: 'NORMAL_JOB',
  name,
  'from-link-name': s.from[0],
  'from-connector-name': s.from[1],
  'to-link-name': s.to[0],
  'to-connector-name': s.to[1],
  'from-config-values': configs('fromJobConfig', s.fromInputs),
  'to-config-values': configs('toJobConfig', s.toInputs),
  'driver-config-values': s.driver ? configs('throttlingConfig', s.driver) : { configs: [] },
});

export const counters = (s: any) => s.counters['org.apache.sqoop.submission.counter.SqoopCounters'];

/** A cluster in `api` with helpers to create links and jobs and to run a job to its end. */
export async function cluster(api: Api) {
  const id = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${id}/cdm`;
  const ok = (r: { status: number; body: any }) => {
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const status = async (j: string) => (await api.call('GET', `${base}/job/${j}/status`)).body.submissions[0];
  return {
    id,
    base,
    links: async (...links: unknown[]) => ok(await api.call('POST', `${base}/link`, { links })),
    job: async (name: string, s: JobSides) => ok(await api.call('POST', `${base}/job`, { jobs: [job(name, s)] })),
    /** Creating a job that must be refused: the CDM error body. */
    refusedJob: async (name: string, s: JobSides) => {
      const r = await api.call('POST', `${base}/job`, { jobs: [job(name, s)] });
      expect(r.status).toBe(400);
      return r.body as { errCode: string; externalMessage: string };
    },
    status,
    /** Starts a job and waits for the run to end; returns the final submission. */
    async run(j: string) {
      ok(await api.call('PUT', `${base}/job/${j}/start`));
      return waitFor(`job ${j} to end`, () => status(j), (s) => ['SUCCEEDED', 'FAILED', 'FAILURE_ON_SUBMIT'].includes(s?.status));
    },
  };
}

/** Writes `files` (relative path → content) under `dir`. */
export function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
}

/** Deterministic pseudo-random bytes (no two test files alike, same bytes every run). */
export function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** Relative path → MD5 of every file under `dir` (Ferry's hidden bookkeeping included, so leftovers show). */
export function treeMd5(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p).split('\\').join('/')] = md5(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}
