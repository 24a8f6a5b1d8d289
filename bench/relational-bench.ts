// Relational migration against pgloader (issue 5): MariaDB `bench.orders` (1,000,000 rows,
// ../shared/bench/orders-mysql.sql) to PostgreSQL with Ferry — embedded, in a child process
// as `npm start` runs it, driven over the CDM API, with 1 and 2 extractors — and with
// pgloader in the same run; then PostgreSQL → MariaDB (Ferry only), and with --big (or
// FERRY_BENCH_BIG=1) the peak RSS at 5,000,000 rows. Every copy is checked against its
// source by count + order-independent checksum (lib/engine/verify.ts). Figures go to
// stdout and to the `## relational` section of bench/RESULTS.md.
//
// Options: --big (5M rows too), --profile (CPU profiles of the Ferry children in
// bench/.profiles), --no-pgloader.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/local/embedded';
import { databaseCpuSeconds, freshMariadbDatabase, freshPostgresDatabase, settlePostgres, ensureBigOrders, ensureOrders, mysqlLink, postgresLink, MARIADB, POSTGRES } from './support/bench-databases';
import { linkBody, runJob, type RunResult } from './support/cdm-run';
import { tallyTable } from './support/copy-tally';
import { spawnFerry } from './support/ferry-process';
import { ensurePgloader, runPgloader, type PgloaderRun } from './support/pgloader';
import { writeSection } from './support/results';

const ROWS = 1_000_000;
const BIG_COPIES = 5;
/**
 * Rows per chunk (the source link's linkConfig.fetchSize): each chunk is one keyset page,
 * one COPY and one commit with its checkpoint, plus the run's progress bookkeeping. 20,000
 * rows (~2.6 MB of data) amortise that well and keep one chunk's objects small.
 */
const FETCH_SIZE = 20_000;
const SQL_FILE = join(PROJECT_ROOT, '../shared/bench/orders-mysql.sql');
const FERRY_DB = 'ferry_bench';
const PGLOADER_DB = 'ferry_bench_pgloader';
const BACK_DB = 'ferry_bench_back';
const COMMAND = 'npm run bench -- relational';

const argv = process.argv.slice(2);
const big = argv.includes('--big') || process.env.FERRY_BENCH_BIG === '1';
const profile = argv.includes('--profile');
const withPgloader = !argv.includes('--no-pgloader');
const log = (line: string) => console.log(line);

interface FerryFigure {
  label: string;
  extractors: number;
  run: RunResult;
  /** The child's RSS once started, before the job (the embedded runtime itself). */
  idleRssKb: number;
  /** CPU seconds of the databases during the run. */
  dbCpu: DbCpu;
  check: string;
}

type DbCpu = { mariadb: number; postgres: number };
/** The databases' CPU seconds while `run` runs. */
async function withDbCpu<T>(run: () => Promise<T>): Promise<[T, DbCpu]> {
  const before = databaseCpuSeconds();
  const result = await run();
  const after = databaseCpuSeconds();
  return [result, { mariadb: after.mariadb - before.mariadb, postgres: after.postgres - before.postgres }];
}

/** One Ferry job in a fresh embedded child: cluster, two links, the job, one run. */
async function ferryRun(label: string, o: {
  from: Record<string, string>;
  fromTable: { schema: string; table: string };
  to: Record<string, string>;
  toTable: { schema?: string; table: string };
  extractors: number;
}): Promise<Omit<FerryFigure, 'check'>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-bench-relational-'));
  const profDir = profile ? join(PROJECT_ROOT, 'bench/.profiles', label.replace(/\W+/g, '-')) : undefined;
  await settlePostgres();
  const ferry = await spawnFerry({ dataDir, cpuProfDir: profDir });
  try {
    const idleRssKb = ferry.memory().rssKb;
    const cluster = (await ferry.call('POST', '/clusters', { cluster: { name: 'bench' } })).id as string;
    const cdm = `/clusters/${cluster}/cdm`;
    await ferry.call('POST', `${cdm}/link`, { links: [linkBody('src', o.from), linkBody('dst', o.to)] });
    const [run, dbCpu] = await withDbCpu(() => runJob(ferry, cdm, {
      name: 'orders',
      fromLink: 'src',
      toLink: 'dst',
      from: { 'fromJobConfig.schemaName': o.fromTable.schema, 'fromJobConfig.tableName': o.fromTable.table },
      to: {
        ...(o.toTable.schema ? { 'toJobConfig.schemaName': o.toTable.schema } : {}),
        'toJobConfig.tableName': o.toTable.table,
        'toJobConfig.tablePreparation': 'DROP_AND_CREATE',
      },
      numExtractors: o.extractors,
    }));
    if (run.status !== 'SUCCEEDED') throw new Error(`${label} ended ${run.status}: ${run.submission['error-summary']}`);
    log(`  ${label}: ${run.rows} rows in ${run.serverSeconds.toFixed(2)} s, peak RSS ${mb(run.peakRssKb * 1024)} (idle ${mb(idleRssKb * 1024)}), CPU s Ferry ${run.cpuSeconds.toFixed(1)}; ${cpu(dbCpu)}`);
    return { label, extractors: o.extractors, run, idleRssKb, dbCpu };
  } finally {
    await ferry.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const cpu = (c: DbCpu) => `MariaDB ${c.mariadb.toFixed(1)}; PostgreSQL ${c.postgres.toFixed(1)}`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const perSecond = (n: number, s: number) => n / s;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (want: { rows: number; checksum: string }, got: { rows: number; checksum: string }) =>
  want.rows === got.rows && want.checksum === got.checksum ? 'PASS' : `FAIL (${got.rows} rows, checksum ${got.checksum})`;

// ---- source data ----
log(`bench.orders: ${await ensureOrders(SQL_FILE, ROWS)} (${fmt(ROWS)} rows, ${SQL_FILE})`);
const mariaLink = (db: string) => mysqlLink(db, FETCH_SIZE);
const pgLink = (db: string) => postgresLink(db, FETCH_SIZE);
// Tallying the source first also warms MariaDB's buffer pool for every tool alike.
const sourceTally = await tallyTable(mariaLink('bench'), 'bench', 'orders');
log(`source tally: ${sourceTally.rows} rows, checksum ${sourceTally.checksum} (${sourceTally.seconds.toFixed(1)} s)`);

// ---- MariaDB → PostgreSQL: Ferry, 1 and 2 extractors ----
await freshPostgresDatabase(FERRY_DB);
const toPg: FerryFigure[] = [];
for (const extractors of [1, 2]) {
  const table = `orders_x${extractors}`;
  const f = await ferryRun(`MariaDB → PostgreSQL, ${extractors} extractor${extractors > 1 ? 's' : ''}`, {
    from: mariaLink('bench'),
    fromTable: { schema: 'bench', table: 'orders' },
    to: pgLink(FERRY_DB),
    toTable: { table },
    extractors,
  });
  const t = await tallyTable(pgLink(FERRY_DB), 'public', table);
  toPg.push({ ...f, check: verdict(sourceTally, t) });
}

// ---- MariaDB → PostgreSQL: pgloader ----
let pgloader: (PgloaderRun & { check: string; dbCpu: DbCpu }) | { missing: string } | undefined;
if (withPgloader) {
  const found = ensurePgloader(log);
  if ('missing' in found) {
    log(`  pgloader skipped: ${found.missing}`);
    pgloader = found;
  } else {
    await freshPostgresDatabase(PGLOADER_DB);
    await settlePostgres();
    const [r, dbCpu] = await withDbCpu(() =>
      runPgloader(
        found.path,
        `mysql://${MARIADB.user}@${MARIADB.host}:${MARIADB.port}/bench`,
        `postgresql://${POSTGRES.user}@${POSTGRES.host}:${POSTGRES.port}/${PGLOADER_DB}`,
        'bench.orders',
      ),
    );
    // pgloader puts MySQL database `bench` into schema `bench`, DATETIME as timestamptz.
    const t = await tallyTable(pgLink(PGLOADER_DB), 'bench', 'orders', { utcAsNaive: true });
    pgloader = { ...r, check: verdict(sourceTally, t), dbCpu };
    log(`  pgloader: ${r.rows} rows, ${r.tableSeconds} s data phase, ${r.wallSeconds.toFixed(2)} s wall, peak RSS ${mb(r.peakRssKb * 1024)}, CPU s pgloader ${r.cpuSeconds.toFixed(1)}; ${cpu(dbCpu)}`);
  }
}

// ---- PostgreSQL → MariaDB: Ferry only (from Ferry's copy, checked against the MariaDB original) ----
await freshMariadbDatabase(BACK_DB);
const toMysql: FerryFigure[] = [];
for (const extractors of [1, 2]) {
  const table = `orders_x${extractors}`;
  const f = await ferryRun(`PostgreSQL → MariaDB, ${extractors} extractor${extractors > 1 ? 's' : ''}`, {
    from: pgLink(FERRY_DB),
    fromTable: { schema: 'public', table: 'orders_x1' },
    to: mariaLink(BACK_DB),
    toTable: { schema: BACK_DB, table },
    extractors,
  });
  const t = await tallyTable(mariaLink(BACK_DB), BACK_DB, table);
  toMysql.push({ ...f, check: verdict(sourceTally, t) });
}

// ---- 5,000,000 rows: peak RSS against 1,000,000 ----
let bigRun: FerryFigure | undefined;
if (big) {
  log(`bench_big.orders: ${await ensureBigOrders(BIG_COPIES, ROWS)} (${fmt(BIG_COPIES * ROWS)} rows)`);
  const bigTally = await tallyTable(mariaLink('bench_big'), 'bench_big', 'orders');
  const f = await ferryRun('MariaDB → PostgreSQL, 5M rows, 1 extractor', {
    from: mariaLink('bench_big'),
    fromTable: { schema: 'bench_big', table: 'orders' },
    to: pgLink(FERRY_DB),
    toTable: { table: 'orders_5m' },
    extractors: 1,
  });
  const t = await tallyTable(pgLink(FERRY_DB), 'public', 'orders_5m');
  bigRun = { ...f, check: verdict(bigTally, t) };
}

// ---- figures ----
const pgl = pgloader && !('missing' in pgloader) ? pgloader : undefined;
// MB/s for both tools over one size: pgloader's own figure for the table when it ran.
const bytes = pgl?.bytes ?? toPg[0]!.run.bytesRead;
const bytesNote = pgl?.bytes
  ? `MB/s = the table's size as pgloader reports it (${mb(bytes)}) / time, for both tools (Ferry's own BYTES_READ: ${mb(toPg[0]!.run.bytesRead)})`
  : `MB/s = Ferry's BYTES_READ (${mb(bytes)}) / time`;
const bestToPg = toPg.reduce((a, b) => (b.run.serverSeconds < a.run.serverSeconds ? b : a));
const cpuCell = (tool: number, db: DbCpu) => `${tool.toFixed(1)}; ${db.mariadb.toFixed(1)}; ${db.postgres.toFixed(1)}`;
const rows: string[][] = [];
const ferryRow = (f: FerryFigure, n: number) => [
  `Ferry ${f.label}`,
  `${f.run.serverSeconds.toFixed(2)} s`,
  fmt(perSecond(n, f.run.serverSeconds)),
  fmt(perSecond(bytes * (n / ROWS), f.run.serverSeconds) / 1e6, 1),
  `${mb(f.run.peakRssKb * 1024)} (idle ${mb(f.idleRssKb * 1024)})`,
  cpuCell(f.run.cpuSeconds, f.dbCpu),
  f.check,
];
for (const f of toPg) rows.push(ferryRow(f, ROWS));
if (pgl) {
  const data = pgl.tableSeconds ?? pgl.wallSeconds;
  rows.push([
    'pgloader MariaDB → PostgreSQL (data phase; wall incl. schema, PK, start-up)',
    `${data.toFixed(2)} s (wall ${pgl.wallSeconds.toFixed(2)} s)`,
    `${fmt(perSecond(ROWS, data))} (wall ${fmt(perSecond(ROWS, pgl.wallSeconds))})`,
    fmt(perSecond(bytes, data) / 1e6, 1),
    mb(pgl.peakRssKb * 1024),
    cpuCell(pgl.cpuSeconds, pgl.dbCpu),
    pgl.check,
  ]);
}
for (const f of toMysql) rows.push(ferryRow(f, ROWS));
if (bigRun) rows.push(ferryRow(bigRun, BIG_COPIES * ROWS));

const lines: string[] = [];
lines.push('| run | time | rows/s | MB/s | peak RSS | CPU s (tool; MariaDB; PostgreSQL) | checksum vs MariaDB source |', '|---|---|---|---|---|---|---|');
for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
lines.push('');
if (pgl) {
  const data = pgl.tableSeconds ?? pgl.wallSeconds;
  const ratio = data / bestToPg.run.serverSeconds;
  const wallRatio = pgl.wallSeconds / bestToPg.run.serverSeconds;
  lines.push(
    `Ferry/pgloader (best Ferry MariaDB → PostgreSQL run, ${bestToPg.extractors} extractor(s)): rows/s ${ratio.toFixed(2)}× pgloader's data phase, ` +
      `${wallRatio.toFixed(2)}× its wall time (target ≥ 2×); peak RSS ${(bestToPg.run.peakRssKb / pgl.peakRssKb).toFixed(2)}× pgloader's (target < 256 MB).`,
  );
} else {
  lines.push(`pgloader: not run (${pgloader && 'missing' in pgloader ? pgloader.missing : '--no-pgloader'}).`);
}
if (bigRun) {
  const same = toPg.find((f) => f.extractors === 1)!;
  lines.push(
    `Peak RSS at ${fmt(BIG_COPIES * ROWS)} rows ${mb(bigRun.run.peakRssKb * 1024)} vs ${mb(same.run.peakRssKb * 1024)} at ${fmt(ROWS)} (1 extractor; target: the same).`,
  );
}
lines.push(
  '',
  `Ferry time = the submission's creation-date → last-update-date at SUCCEEDED (start call to end, including planning and ` +
    `DROP_AND_CREATE, and the primary key added after the load); the embedded runtime runs in a child process (\`npm start\`: lib/local/main.ts bundled by esbuild, run by node), ` +
    `job created and started over the CDM API, linkConfig.fetchSize ${fmt(FETCH_SIZE)}; peak RSS is the child's VmHWM, ` +
    `the embedded runtime (dynalite, gateway, queue) included; CPU s are the tool's process and the database servers' (PostgreSQL's backends included) over the run. pgloader's time is its own summary line for the table; ` +
    `its peak RSS from /usr/bin/time -v. ${bytesNote}. PostgreSQL → MariaDB reads Ferry's copy (public.orders_x1) and is checked ` +
    `against the MariaDB original. Checksums: count + order-independent SHA-256 sum (lib/engine/verify.ts) through Ferry's ` +
    `jdbc sources; pgloader's timestamptz read in UTC is compared as the naive DATETIME.`,
);
const table = lines.join('\n');
log(`\n${table}`);

const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
const section = [
  '## relational',
  '',
  `Command: \`${COMMAND}${big ? ' -- --big' : ''}\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `${cpus().length} cores (${cpuModel}), MariaDB and PostgreSQL 15 on the same machine, Node ${process.version}.`,
  '',
  '> The machine is shared and noisy: absolute times move from run to run; only ratios measured in the same run count.',
  '',
  table,
  '',
].join('\n');
writeSection('relational', section);
log(`\nwritten to bench/RESULTS.md (## relational)`);
