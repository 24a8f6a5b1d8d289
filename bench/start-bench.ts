// The start-job path, embedded: latency of sequential starts, starts/s with 50
// concurrent callers over 50 jobs, each handler's minified bundle size, and the cold
// import time of the start handler in a fresh Node process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startEmbedded } from '../lib/local/embedded';
import { issueToken } from '../lib/local/tokens';
import { buildArtifacts } from '../scripts/build';
import { writeSection } from './support/results';

const SEQUENTIAL = 300;
const CONCURRENT_CALLERS = 50;
const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-start-'));
const src = join(dir, 'src.db');
const db = new Database(src);
db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'x\');');
db.close();

const ferry = await startEmbedded({ dataDir: join(dir, 'data'), port: 0 });
const token = await issueToken(ferry.keys, { projects: ['bench'] });
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${ferry.url}/v1.1/bench${path}`, {
    method,
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const link = (name: string, file: string) => ({
  name,
  'connector-name': 'generic-jdbc-connector',
  'link-config-values': { configs: [{ name: 'linkConfig', inputs: [{ name: 'linkConfig.databaseType', value: 'SQLITE' }, { name: 'linkConfig.database', value: file }] }] },
});
const job = (name: string) => ({
  name,
  'from-connector-name': 'generic-jdbc-connector',
  'to-connector-name': 'generic-jdbc-connector',
  'from-link-name': 'src',
  'to-link-name': 'dst',
  'from-config-values': { configs: [{ name: 'fromJobConfig', inputs: [{ name: 'fromJobConfig.tableName', value: 't' }] }] },
  'to-config-values': {
    configs: [{ name: 'toJobConfig', inputs: [{ name: 'toJobConfig.tableName', value: `t_${name}` }, { name: 'toJobConfig.tablePreparation', value: 'DROP_AND_CREATE' }] }],
  },
  'driver-config-values': { configs: [] },
});

const cluster = (await call('POST', '/clusters', { cluster: { name: 'bench' } })).id;
const cdm = `/clusters/${cluster}/cdm`;
await call('POST', `${cdm}/link`, { links: [link('src', src), link('dst', join(dir, 'dst.db'))] });
const seqJobs = Array.from({ length: SEQUENTIAL }, (_, i) => `seq-${i}`);
const conJobs = Array.from({ length: CONCURRENT_CALLERS }, (_, i) => `con-${i}`);
for (let i = 0; i < seqJobs.length; i += 50) await call('POST', `${cdm}/job`, { jobs: seqJobs.slice(i, i + 50).map(job) });
await call('POST', `${cdm}/job`, { jobs: conJobs.map(job) });

// Sequential: the start call alone, each on a fresh job, with the previous run's
// execution finished (untimed) so that it does not share the event loop with the start.
const latencies: number[] = [];
for (const name of seqJobs) {
  const t = performance.now();
  await call('PUT', `${cdm}/job/${name}/start`);
  latencies.push(performance.now() - t);
  await ferry.queue.idle();
}

// Concurrent: 50 callers, each starting its own job, 5 rounds (waiting for runs to end between rounds).
let starts = 0;
let busy = 0;
const t0 = performance.now();
for (let round = 0; round < 5; round++) {
  await Promise.all(conJobs.map((n) => call('PUT', `${cdm}/job/${n}/start`).then(() => starts++)));
  busy += performance.now() - t0 - busy;
  await ferry.queue.idle();
}
const startsPerSecond = starts / (busy / 1000);
await ferry.close();

// Bundles: the deployment artifacts scripts/build.ts makes (npm run build). The cold
// import loads the start bundle in fresh processes as Lambda would, resolving @aws-sdk
// (which the nodejs22.x runtime provides) from node_modules.
const artifacts = await buildArtifacts();
const startBundle = artifacts.find((a) => a.function === 'jobStart')!.bundlePath;
const probe = join(dir, 'probe.cjs');
writeFileSync(probe, `const t=performance.now();require(${JSON.stringify(startBundle)});console.log((performance.now()-t).toFixed(1));`);
const coldImports = Array.from({ length: 5 }, () => Number(execFileSync(process.execPath, [probe], { encoding: 'utf8' }).trim()));
rmSync(dir, { recursive: true, force: true });

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const table = `| measure | value | aim |
|---|---|---|
| start latency, median (${SEQUENTIAL} sequential starts, HTTP round trip) | ${pct(50).toFixed(2)} ms | |
| start latency, p99 | ${pct(99).toFixed(2)} ms | < 20 ms |
| starts/s, ${CONCURRENT_CALLERS} concurrent callers over ${CONCURRENT_CALLERS} jobs (their runs executing alongside) | ${startsPerSecond.toFixed(0)} | |
| start handler cold import (median of 5 fresh processes; @aws-sdk from node_modules, as the Lambda runtime provides it) | ${median(coldImports).toFixed(1)} ms | < 150 ms |
${artifacts.map((a) => `| bundle ${a.function} (minified; zipped) | ${(a.bundleBytes / 1024).toFixed(0)} KB; ${(a.zipBytes / 1024).toFixed(0)} KB | ${a.function === 'jobStart' ? '< 400 KB' : ''} |`).join('\n')}`;
console.log(table);
writeSection(
  'start',
  [
    '## start',
    '',
    `Command: \`npm run bench -- start\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores, Node ${process.version}; embedded runtime (dynalite, in-process queue) in this process.`,
    '',
    '> Shared, noisy machine: the latency and throughput figures move from run to run. No peer is named for this benchmark; the aims are the issue\'s.',
    '',
    table,
    '',
  ].join('\n'),
);
