// Shared by the schedule and event tests: an embedded runtime on a ManualClock, a
// cluster with SQLite links, and CDM job bodies with driver inputs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ManualClock } from '../../../lib/local/embedded-scheduler';
import { sqliteLink, tableJob } from '../../support/cdm-bodies';
import { startApi, waitFor, type Api } from '../../support/embedded';
import { makeOrders } from '../../support/sqlite-fixtures';

export interface Setup {
  api: Api;
  clock: ManualClock;
  cluster: string;
  base: string;
  src: string;
  dst: string;
}

/** A runtime whose schedules run on `clock`; `concurrency: 0` keeps every run BOOTING (a run that never ends). */
export async function setup(opts: { concurrency?: number; clock?: ManualClock; rows?: number } = {}): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-sched-'));
  const src = join(dir, 'src.db');
  const dst = join(dir, 'dst.db');
  makeOrders(src, opts.rows ?? 20);
  const clock = opts.clock ?? new ManualClock(Date.now());
  const api = await startApi({ schedulerClock: clock, ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}) });
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'c' } })).body.id as string;
  const base = `/v1.1/p1/clusters/${cluster}/cdm`;
  const links = await api.call('POST', `${base}/link`, { links: [sqliteLink('src', src), sqliteLink('dst', dst)] });
  expect(links.status, JSON.stringify(links.body)).toBe(200);
  return { api, clock, cluster, base, src, dst };
}

/** `driver-config-values` from `config.input` → value. */
export function driver(values: Record<string, string>) {
  const configs = new Map<string, { name: string; value: string }[]>();
  for (const [name, value] of Object.entries(values)) {
    const config = name.slice(0, name.indexOf('.'));
    configs.set(config, [...(configs.get(config) ?? []), { name, value }]);
  }
  return { configs: [...configs].map(([name, inputs]) => ({ name, inputs })) };
}

export function job(name: string, values: Record<string, string>, opts: Parameters<typeof tableJob>[1] = {}) {
  return { ...tableJob(name, opts), 'driver-config-values': driver(values) };
}

/** CDM's `yyyy-MM-dd HH:mm:ss` of an instant, in UTC. */
export const cdmTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** The next whole minute at least `ms` after the clock's time. */
export const minuteAfter = (clock: ManualClock, ms: number) => Math.ceil((clock.now() + ms) / 60_000) * 60_000;

export async function history(s: Setup, name: string): Promise<any[]> {
  const r = await s.api.call('GET', `${s.base}/submissions?jname=${encodeURIComponent(name)}&page_size=100`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.submissions;
}

/** Waits (polling, not sleeping for a fixed time) until submission `id` of `name` has ended. */
export function ended(s: Setup, name: string, id: number) {
  return waitFor(
    `${name} #${id} to end`,
    async () => (await history(s, name)).find((x) => x['submission-id'] === id),
    (x) => x !== undefined && ['SUCCEEDED', 'FAILED', 'FAILURE_ON_SUBMIT'].includes(x.status),
  );
}

export const refOf = (s: Setup, name: string) => ({ project: 'p1', cluster: s.cluster, job: name });
