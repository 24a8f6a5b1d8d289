// Files and objects (issue 6), every peer in the same run on the same data, all through one
// local S3 server (s3rver in a process of its own, buckets in a temp dir):
//   (1) objects: 2 GiB in 64 MiB objects copied between two buckets — Ferry (embedded, in a
//       child process as `npm start` runs it, a BINARY_FILE job between obs links, driven over
//       the CDM API), `rclone copy` streaming the bytes as Ferry does (and, for reference, with
//       its default server-side copy), a plain streaming copy with the SDK, and a bare-socket
//       relay (the Node floor: the least a Node process can do per byte);
//   (2) sftp: 1,000 files of 1 MB from an SFTP server to a bucket, Ferry against `rclone copy`;
//   (3) orders: the 1,000,000-row MariaDB `bench.orders` (../shared/bench/) exported to CSV
//       objects, against MariaDB's own `SELECT … INTO OUTFILE`, beside a native pipeline
//       (MariaDB's client piped into `rclone rcat`) that shows what any client-side export reaches here.
// Every copy is checked: each object's MD5 against the source's, each CSV export's lines
// against INTO OUTFILE's file. Peak RSS is each process's own (VmHWM, /usr/bin/time -v).
// Figures go to stdout and to the `## files` section of bench/RESULTS.md.
//
// Options: --quick (256 MiB of objects, 100 files over SFTP, 100,000 rows), --only=objects,sftp,orders,
// --profile (CPU profiles of the Ferry children in bench/.profiles), --no-rclone (Ferry alone, to iterate).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import { PROJECT_ROOT } from '../lib/local/embedded';
import { ensureOrders, mysqlLink, MARIADB } from './support/bench-databases';
import { linkBody, runJob, type RunResult, type TableJob } from './support/cdm-run';
import { spawnFerry } from './support/ferry-process';
import { ensureRclone, rcloneCopy, rcloneEnv, remoteEnv, s3Remote } from './support/rclone';
import { writeSection } from './support/results';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3Server, type BenchS3 } from './support/s3-server';
import { processCpuSeconds, runTimed } from './support/timed-process';
import { ensureSshd, startSftpServer } from '../test/support/sftp-server';

const MiB = 1024 * 1024;
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wanted = (scenario: string) => !only || only.includes(scenario);

const OBJECT_BYTES = 64 * MiB;
const OBJECTS_TOTAL = (quick ? 256 : 2048) * MiB;
const SFTP_FILES = quick ? 100 : 1000;
const SFTP_FILE_BYTES = 1 * MiB;
const ORDERS = 1_000_000;
/** --quick exports the first 100,000 orders (the same WHERE for Ferry and INTO OUTFILE). */
const ORDER_ROWS = quick ? 100_000 : ORDERS;
/** Files in flight: rclone's default --transfers, the plain SDK copy's objects at a time, Ferry's throttlingConfig.numExtractors. */
const TRANSFERS = 4;
const PLAIN_CONCURRENCY = TRANSFERS;
/** Rows per chunk of the orders export (the MariaDB link's fetchSize), as in the relational bench. */
const FETCH_SIZE = 20_000;
/** Rounds of (3): its three runs take seconds each, and the ratio moved most with the machine. */
const ORDERS_ROUNDS = 3;
/** Output objects of the orders export roll over at this size (toJobConfig.writeFileSize, MB). */
const CSV_FILE_MB = 64;
const SQL_FILE = join(PROJECT_ROOT, '../shared/bench/orders-mysql.sql');
const COMMAND = `npm run bench -- files${quick ? ' --quick' : ''}`;
const RSS_TARGET_MB = 256;
/** bench.orders' TINYINT(1) column `paid`, the 7th. */
const PAID = 6;

const log = (line: string) => console.log(line);
const mb = (kb: number) => `${((kb * 1024) / 1e6).toFixed(0)} MB`;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Figure {
  label: string;
  seconds: number;
  peakRssKb?: number;
  /** CPU seconds of the tool's process during the copy, and of the S3 server. */
  cpuSeconds?: number;
  serverCpuSeconds?: number;
  check: string;
}

const cpu = (s?: number) => (s === undefined || Number.isNaN(s) ? '—' : s.toFixed(1));

/**
 * Each group of peers runs `rounds` times, every other round in reverse order, and each peer
 * keeps its fastest run: whichever run comes first after the data is written (or after
 * another's writes) costs the servers more, and this shared machine's speed drifts, so no peer
 * may always come first or last.
 */
async function fastestOf<T extends { seconds: number }>(runs: (() => Promise<T>)[], rounds = 2): Promise<T[]> {
  const fastest: T[] = [];
  const order = runs.map((_, i) => i);
  for (const round of Array.from({ length: rounds }, (_v, r) => (r % 2 ? [...order].reverse() : order))) {
    for (const i of round) {
      const f = await runs[i]!();
      if (!fastest[i] || f.seconds < fastest[i]!.seconds) fastest[i] = f;
    }
  }
  return fastest;
}

/**
 * Flushes written data to disk before a timed run: gigabytes a setup or the previous run
 * left dirty would otherwise be written back during the next one, and slow whichever runs next.
 */
const settleDisk = () => spawnSync('sync');

/** Runs `copy` (after settleDisk) and adds what it cost the S3 server in CPU. */
async function withServerCpu<T extends Figure>(s3: BenchS3, copy: () => Promise<T>): Promise<T> {
  settleDisk();
  const before = s3.cpuSeconds();
  const f = await copy();
  return { ...f, serverCpuSeconds: s3.cpuSeconds() - before };
}

// ---- Ferry: a fresh embedded runtime per run ----

interface LinkSpec {
  name: string;
  connector: string;
  inputs: Record<string, string>;
}

/**
 * Links and one job in a fresh embedded child; the run must succeed. With `warmUp`, the job runs
 * once before, untimed, as in a service already running (then `warmUp` resets what it wrote).
 */
async function ferryRun(label: string, links: LinkSpec[], job: TableJob, warmUp?: () => Promise<void>): Promise<{ run: RunResult; idleRssKb: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-bench-files-'));
  const profDir = profile ? join(PROJECT_ROOT, 'bench/.profiles', label.replace(/\W+/g, '-')) : undefined;
  const ferry = await spawnFerry({ dataDir, cpuProfDir: profDir });
  try {
    const idleRssKb = ferry.memory().rssKb;
    const cluster = (await ferry.call('POST', '/clusters', { cluster: { name: 'bench' } })).id as string;
    const cdm = `/clusters/${cluster}/cdm`;
    await ferry.call('POST', `${cdm}/link`, { links: links.map((l) => linkBody(l.name, l.inputs, l.connector)) });
    const succeeded = async () => {
      const run = await runJob(ferry, cdm, job);
      if (run.status !== 'SUCCEEDED') throw new Error(`${label} ended ${run.status}: ${run.submission['error-summary']}`);
      return run;
    };
    if (warmUp) {
      await succeeded();
      await warmUp();
    }
    return { run: await succeeded(), idleRssKb };
  } finally {
    await ferry.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const obsLink = (s3: BenchS3): LinkSpec => ({
  name: 's3',
  connector: 'obs-connector',
  inputs: {
    'linkConfig.server': 'http://127.0.0.1',
    'linkConfig.port': String(s3.port),
    'linkConfig.accessKey': S3_ACCESS_KEY,
    'linkConfig.securityKey': S3_SECRET_KEY,
  },
});

/** The objects of `bucket` are exactly `expected` (key under `prefix` → MD5), nothing more. */
async function checkObjects(s3: BenchS3, bucket: string, prefix: string, expected: Map<string, string>): Promise<string> {
  const got = await s3.md5s(bucket);
  const wrong = [...expected].filter(([k, md5]) => got.get(prefix + k) !== md5).map(([k]) => k);
  const extra = [...got.keys()].filter((k) => !k.startsWith(prefix) || !expected.has(k.slice(prefix.length)));
  if (!wrong.length && !extra.length) return `PASS (${expected.size} MD5s)`;
  return `FAIL (${wrong.length} missing or different${wrong.length ? `, e.g. ${wrong[0]}` : ''}; ${extra.length} unexpected${extra.length ? `, e.g. ${extra[0]}` : ''})`;
}

// ---- (1) objects between two buckets ----

async function objectsScenario(s3: BenchS3, rclone: { path: string } | { missing: string }): Promise<string[]> {
  const count = OBJECTS_TOTAL / OBJECT_BYTES;
  await s3.createBucket('source');
  const expected = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const body = randomBytes(OBJECT_BYTES);
    const rel = `part-${String(i).padStart(4, '0')}.bin`;
    expected.set(rel, createHash('md5').update(body).digest('hex'));
    await s3.put('source', `data/${rel}`, body);
  }
  log(`source: ${count} objects of ${OBJECT_BYTES / MiB} MiB in bucket source/data (${fmt(OBJECTS_TOTAL / 1e6)} MB)`);
  const figures: Figure[] = [];

  // Ferry's runs: the destination link naming another region (Ferry cannot know it is the
  // same server, so every byte goes through it, as between two stores), and one link for both
  // buckets (the server copies each object itself, as rclone's default does), that one also
  // as the second job of the process: a running service, not one just started (its first
  // job also pays for compiling the code it runs; a second of CPU where the copy itself is one).
  type FerryFigure = Figure & { idleRssKb: number; counters: Record<string, number> };
  const ferryCopy = async (variant: 'streamed' | 'server-side' | 'server-side-running'): Promise<FerryFigure> => {
    const streamed = variant === 'streamed';
    const running = variant === 'server-side-running';
    const bucket = `ferry-${variant}`;
    const links = streamed ? [obsLink(s3), { ...obsLink(s3), name: 's3-elsewhere', inputs: { ...obsLink(s3).inputs, 'linkConfig.region': 'elsewhere-1' } }] : [obsLink(s3)];
    await s3.createBucket(bucket);
    /** The S3 server's CPU when the timed run began (after the warm-up, in a running service). */
    let serverCpuFrom: number | undefined;
    const warmUp = async () => {
      await s3.empty(bucket);
      settleDisk();
      serverCpuFrom = s3.cpuSeconds();
    };
    const f: FerryFigure = await withServerCpu(s3, async () => {
      const { run, idleRssKb } = await ferryRun(`objects-${variant}`, links, {
        name: 'objects',
        fromLink: 's3',
        toLink: streamed ? 's3-elsewhere' : 's3',
        fromConnector: 'obs-connector',
        toConnector: 'obs-connector',
        numExtractors: TRANSFERS,
        from: { 'fromJobConfig.bucketName': 'source', 'fromJobConfig.inputDirectory': '/data/', 'fromJobConfig.inputFormat': 'BINARY_FILE' },
        to: { 'toJobConfig.bucketName': bucket, 'toJobConfig.outputDirectory': '/data', 'toJobConfig.outputFormat': 'BINARY_FILE' },
      }, running ? warmUp : undefined);
      const how = streamed
        ? 'destination link in another region: bytes through Ferry'
        : `one link for both buckets: server-side copy${running ? '; the second job of the process, as in a running service' : ''}`;
      return { label: `Ferry, BINARY_FILE job, obs-connector → obs-connector, numExtractors ${TRANSFERS} (${how})`, seconds: run.serverSeconds, peakRssKb: run.peakRssKb, cpuSeconds: run.cpuSeconds, idleRssKb, counters: run.counters, check: '' };
    });
    if (serverCpuFrom !== undefined) f.serverCpuSeconds = s3.cpuSeconds() - serverCpuFrom;
    f.check = await checkObjects(s3, bucket, 'data/', expected);
    log(`  Ferry ${variant}: ${f.seconds.toFixed(2)} s, peak RSS ${mb(f.peakRssKb!)} (idle ${mb(f.idleRssKb)}), CPU ${cpu(f.cpuSeconds)} s (s3rver ${cpu(f.serverCpuSeconds)} s), ${f.check}`);
    await s3.empty(bucket);
    return f;
  };
  const rcloneCopyOf = async (streamed: boolean): Promise<Figure> => {
    if (!('path' in rclone)) throw new Error('rclone missing');
    const env = s3Remote('s3', s3.endpoint, S3_ACCESS_KEY, S3_SECRET_KEY);
    const [bucket, label, flags] = streamed
      ? ['rclone', 'rclone copy, streamed through rclone (--disable copy)', ['--disable', 'copy']]
      : ['rclone-server-side', 'rclone copy, its default here: server-side copy (no bytes through rclone)', []];
    await s3.createBucket(bucket);
    let sides = '';
    const f = await withServerCpu(s3, async (): Promise<Figure> => {
      const r = await rcloneCopy(rclone.path, 's3:source/data', `s3:${bucket}/data`, env, [...flags]);
      sides = `${r.files} files, ${r.serverSideCopies} server-side`;
      if (r.files !== count || streamed !== (r.serverSideCopies === 0)) {
        throw new Error(`rclone ${label}: ${sides}, not what was asked for:\n${r.output.slice(-2000)}`);
      }
      return { label, seconds: r.wallSeconds, peakRssKb: r.peakRssKb, cpuSeconds: r.cpuSeconds, check: '' };
    });
    f.check = await checkObjects(s3, bucket, 'data/', expected);
    log(`  ${label}: ${f.seconds.toFixed(2)} s (${sides}), peak RSS ${mb(f.peakRssKb!)}, CPU ${cpu(f.cpuSeconds)} s (s3rver ${cpu(f.serverCpuSeconds)} s), ${f.check}`);
    await s3.empty(bucket);
    return f;
  };

  /** A copy by a Node program of the bench's own (bench/support), timed by itself from its listing to its last PUT. */
  const nodeCopy = async (main: string, bucket: string, label: string): Promise<Figure> => {
    await s3.createBucket(bucket);
    const f = await withServerCpu(s3, async (): Promise<Figure> => {
      const p = await runTimed(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench/support', main), s3.endpoint, 'source', 'data/', bucket, String(PLAIN_CONCURRENCY)]);
      return {
        label,
        // Its own time from listing to the last PUT (node and tsx starting up are not the copy).
        seconds: Number(/ in ([\d.]+) s/.exec(p.output)?.[1] ?? p.wallSeconds),
        peakRssKb: p.peakRssKb,
        cpuSeconds: p.cpuSeconds,
        check: '',
      };
    });
    f.check = await checkObjects(s3, bucket, 'data/', expected);
    log(`  ${label}: ${f.seconds.toFixed(2)} s, peak RSS ${mb(f.peakRssKb!)}, CPU ${cpu(f.cpuSeconds)} s (s3rver ${cpu(f.serverCpuSeconds)} s), ${f.check}`);
    await s3.empty(bucket);
    return f;
  };
  const plainCopy = () =>
    nodeCopy('s3-plain-copy-main.ts', 'plain', `plain SDK copy (GetObject body → PutObject, ${PLAIN_CONCURRENCY} objects at a time)`);
  const nodeFloor = () =>
    nodeCopy('s3-socket-relay-main.ts', 'floor', `Node floor: bare-socket relay (each GET's bytes straight into its PUT's socket, no HTTP parser, SDK or checkpoint; ${PLAIN_CONCURRENCY} objects at a time)`);

  const withRclone = 'path' in rclone;
  if (!withRclone) log(`  rclone skipped: ${rclone.missing}`);
  const [ferry, plain, floor, rcloneStreamed] = await fastestOf<Figure>([
    () => ferryCopy('streamed'),
    plainCopy,
    nodeFloor,
    ...(withRclone ? [() => rcloneCopyOf(true)] : []),
  ]) as [FerryFigure, Figure, Figure, Figure | undefined];
  const [ferryServerSide, ferryRunning, rcloneServerSide] = await fastestOf<Figure>([
    () => ferryCopy('server-side'),
    () => ferryCopy('server-side-running'),
    ...(withRclone ? [() => rcloneCopyOf(false)] : []),
  ]) as [FerryFigure, FerryFigure, Figure | undefined];
  figures.push(ferry, ferryServerSide, ferryRunning, ...(rcloneStreamed ? [rcloneStreamed] : []), ...(rcloneServerSide ? [rcloneServerSide] : []), plain, floor);
  await s3.empty('source');

  const rate = (f: Figure) => OBJECTS_TOTAL / 1e6 / f.seconds;
  const lines = [
    `### (1) ${fmt(OBJECTS_TOTAL / MiB)} MiB in ${count} objects of ${OBJECT_BYTES / MiB} MiB, bucket to bucket on one local S3 server`,
    '',
    '| run | time | MB/s | peak RSS | CPU s (tool; s3rver) | MD5 of every object vs source |',
    '|---|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.label} | ${f.seconds.toFixed(2)} s | ${fmt(rate(f), 1)} | ${f.peakRssKb ? mb(f.peakRssKb) : '—'}${'idleRssKb' in f ? ` (idle ${mb(f.idleRssKb as number)})` : ''} ` +
        `| ${cpu(f.cpuSeconds)}; ${cpu(f.serverCpuSeconds)} | ${f.check} |`,
    ),
    '',
    `Ferry, bytes through it: ${fmt(rate(ferry) / rate(plain), 2)}× the plain copy (target ≥ 0.8×)` +
      (rcloneStreamed ? `, ${fmt(rate(ferry) / rate(rcloneStreamed), 2)}× rclone streaming (target ≥ 1×)` : '') +
      `. Ferry, one link (server-side copy): ${fmt(rate(ferryServerSide) / rate(plain), 2)}× the plain copy` +
      (rcloneServerSide ? `, ${fmt(rate(ferryServerSide) / rate(rcloneServerSide), 2)}× rclone's default (server-side) copy` : '') +
      (rcloneServerSide ? `; as the second job of a running Ferry, ${fmt(rate(ferryRunning) / rate(rcloneServerSide), 2)}× rclone's` : '') +
      `. Peak RSS ${mb(ferry.peakRssKb!)}, ${mb(ferryServerSide.peakRssKb!)} and ${mb(ferryRunning.peakRssKb!)} (target < ${RSS_TARGET_MB} MB). ` +
      `Ferry's counters (each run): FILES_WRITTEN ${ferry.counters.FILES_WRITTEN}, BYTES_WRITTEN ${fmt(ferry.counters.BYTES_WRITTEN ?? 0)}.`,
    '',
    `The Node floor (the least work a Node process can do per byte here): ${fmt(rate(floor) / rate(plain), 2)}× the plain copy` +
      (rcloneStreamed ? `, ${fmt(rate(floor) / rate(rcloneStreamed), 2)}× rclone streaming` : '') +
      `; Ferry streams at ${fmt(rate(ferry) / rate(floor), 2)}× the floor. s3rver and the copier share two cores, so whatever CPU the copier spends per byte is taken from s3rver.`,
    '',
  ];
  return lines;
}

// ---- (2) files from an SFTP server to a bucket ----

async function sftpScenario(s3: BenchS3, rclone: { path: string } | { missing: string }): Promise<string[]> {
  ensureSshd();
  const sftp = await startSftpServer();
  try {
    const dir = join(sftp.root, 'files');
    mkdirSync(dir, { recursive: true });
    const expected = new Map<string, string>();
    for (let i = 0; i < SFTP_FILES; i++) {
      const body = randomBytes(SFTP_FILE_BYTES);
      const rel = `f-${String(i).padStart(5, '0')}.bin`;
      writeFileSync(join(dir, rel), body);
      expected.set(rel, createHash('md5').update(body).digest('hex'));
    }
    // Written by this process (root): the SFTP user must own them to read them.
    sftp.own();
    log(`sftp: ${SFTP_FILES} files of ${SFTP_FILE_BYTES / MiB} MiB in ${dir} (sshd on port ${sftp.port})`);
    const figures: Figure[] = [];
    await s3.createBucket('sftp-ferry');
    settleDisk();
    const { run, idleRssKb } = await ferryRun('sftp', [
      obsLink(s3),
      {
        name: 'sftp',
        connector: 'sftp-connector',
        inputs: {
          'linkConfig.server': sftp.host,
          'linkConfig.port': String(sftp.port),
          'linkConfig.username': sftp.username,
          'linkConfig.password': sftp.password,
        },
      },
    ], {
      name: 'sftp',
      fromLink: 'sftp',
      toLink: 's3',
      fromConnector: 'sftp-connector',
      toConnector: 'obs-connector',
      numExtractors: TRANSFERS,
      from: { 'fromJobConfig.inputDirectory': dir, 'fromJobConfig.inputFormat': 'BINARY_FILE' },
      to: { 'toJobConfig.bucketName': 'sftp-ferry', 'toJobConfig.outputDirectory': '/files', 'toJobConfig.outputFormat': 'BINARY_FILE' },
    });
    const ferry = { label: `Ferry, BINARY_FILE job, sftp-connector → obs-connector, numExtractors ${TRANSFERS}`, seconds: run.serverSeconds, peakRssKb: run.peakRssKb, cpuSeconds: run.cpuSeconds, check: await checkObjects(s3, 'sftp-ferry', 'files/', expected) };
    figures.push(ferry);
    log(`  Ferry: ${run.serverSeconds.toFixed(2)} s, peak RSS ${mb(run.peakRssKb)} (idle ${mb(idleRssKb)}), CPU ${cpu(run.cpuSeconds)} s, ${ferry.check}`);
    let peer: Figure | undefined;
    if ('path' in rclone) {
      await s3.createBucket('sftp-rclone');
      // rclone takes only an obscured password in its configuration (after --: a random password may start with -).
      const obscured = (await runTimed(rclone.path, ['obscure', '--', sftp.password])).output.split('\n')[0]!.trim();
      const env = {
        ...s3Remote('s3', s3.endpoint, S3_ACCESS_KEY, S3_SECRET_KEY),
        ...remoteEnv('sftp', { type: 'sftp', host: sftp.host, port: String(sftp.port), user: sftp.username, pass: obscured }),
      };
      settleDisk();
      const r = await rcloneCopy(rclone.path, `sftp:${dir}`, 's3:sftp-rclone/files', env);
      peer = { label: 'rclone copy over SFTP', seconds: r.wallSeconds, peakRssKb: r.peakRssKb, cpuSeconds: r.cpuSeconds, check: await checkObjects(s3, 'sftp-rclone', 'files/', expected) };
      figures.push(peer);
      log(`  rclone: ${r.wallSeconds.toFixed(2)} s, peak RSS ${mb(r.peakRssKb)}, CPU ${cpu(r.cpuSeconds)} s, ${peer.check}`);
    } else {
      log(`  rclone skipped: ${rclone.missing}`);
    }
    const rate = (f: Figure) => SFTP_FILES / f.seconds;
    return [
      `### (2) ${fmt(SFTP_FILES)} files of ${SFTP_FILE_BYTES / MiB} MiB from an SFTP server (sshd) to a bucket`,
      '',
      '| run | time | files/s | peak RSS | CPU s | MD5 of every object vs source file |',
      '|---|---|---|---|---|---|',
      ...figures.map((f) => `| ${f.label} | ${f.seconds.toFixed(2)} s | ${fmt(rate(f), 1)} | ${f.peakRssKb ? mb(f.peakRssKb) : '—'} | ${cpu(f.cpuSeconds)} | ${f.check} |`),
      '',
      `Ferry: ${peer ? `${fmt(rate(ferry) / rate(peer), 2)}× rclone's files/s (target ≥ 1×)` : 'no rclone figure'}; peak RSS ${mb(ferry.peakRssKb)} (target < ${RSS_TARGET_MB} MB).`,
      '',
    ];
  } finally {
    await sftp.stop();
  }
}

// ---- (3) bench.orders to CSV objects ----

/** Count and order-independent digest of text lines (the sum of their MD5s). */
class LineDigest {
  rows = 0;
  /** Shown when two digests differ. */
  first: string | undefined;
  private sum = 0n;
  add(line: string): void {
    this.rows++;
    this.first ??= line;
    this.sum = (this.sum + BigInt(`0x${createHash('md5').update(line).digest('hex')}`)) & ((1n << 128n) - 1n);
  }
  get digest(): string {
    return this.sum.toString(16).padStart(32, '0');
  }
}

async function digestLines(input: Readable, digest: LineDigest, normalize: (line: string) => string = (l) => l): Promise<void> {
  for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line !== '') digest.add(normalize(line));
}

/** CPU seconds MariaDB's server process has used so far (NaN when it is not found here). */
function mariadbCpuSeconds(): number {
  const pid = spawnSync('pidof', ['-s', 'mariadbd', 'mysqld'], { encoding: 'utf8' }).stdout?.trim();
  return pid ? processCpuSeconds(Number(pid)) : NaN;
}

async function ordersScenario(s3: BenchS3, rclone: { path: string } | { missing: string }): Promise<string[]> {
  log(`bench.orders: ${await ensureOrders(SQL_FILE, ORDERS)} (${fmt(ORDERS)} rows, ${SQL_FILE})`);
  const where = ORDER_ROWS < ORDERS ? `id <= ${ORDER_ROWS}` : '';
  const outfile = join(tmpdir(), `ferry-bench-orders-${process.pid}.csv`);
  // INTO OUTFILE's lines in Ferry's spelling of two values: NULL, which INTO OUTFILE writes
  // as \N and Ferry as an empty field, and the TINYINT(1) `paid`, which Ferry reads as a
  // boolean (true/false) and INTO OUTFILE writes as 1/0. No field of bench.orders holds a comma.
  const want = new LineDigest();
  const asFerry = (f: string, i: number) => (f === '\\N' ? '' : i === PAID ? ({ '1': 'true', '0': 'false' }[f] ?? f) : f);
  const conn = await mysql.createConnection({ ...MARIADB });
  // One full read first warms MariaDB's buffer pool alike for every run.
  await conn.query(`SELECT COUNT(*), SUM(LENGTH(note)) FROM bench.orders ${where ? `WHERE ${where}` : ''}`);
  const intoOutfile = async () => {
    rmSync(outfile, { force: true });
    settleDisk();
    const dbCpu0 = mariadbCpuSeconds();
    const t0 = performance.now();
    await conn.query(
      `SELECT * FROM bench.orders ${where ? `WHERE ${where}` : ''} INTO OUTFILE ${conn.escape(outfile)} FIELDS TERMINATED BY ',' LINES TERMINATED BY '\\n'`,
    );
    const seconds = (performance.now() - t0) / 1000;
    const dbCpu = mariadbCpuSeconds() - dbCpu0;
    log(`  SELECT … INTO OUTFILE: ${seconds.toFixed(2)} s`);
    // Every run writes the same lines: the first one's are what Ferry's are checked against.
    if (!want.rows) await digestLines(createReadStream(outfile), want, (l) => l.split(',').map(asFerry).join(','));
    rmSync(outfile, { force: true });
    return { seconds, dbCpu };
  };

  /** Ferry's export with `extractors` slices of the key read side by side, checked line by line against INTO OUTFILE's. */
  await s3.createBucket('orders');
  const ferryExport = async (extractors: number) => {
    settleDisk();
    const dbCpu0 = mariadbCpuSeconds();
    const s3Cpu0 = s3.cpuSeconds();
    const { run, idleRssKb } = await ferryRun(`orders-${extractors}`, [
      obsLink(s3),
      { name: 'db', connector: 'generic-jdbc-connector', inputs: mysqlLink('bench', FETCH_SIZE) },
    ], {
      name: 'orders',
      fromLink: 'db',
      toLink: 's3',
      toConnector: 'obs-connector',
      numExtractors: extractors,
      from: { 'fromJobConfig.schemaName': 'bench', 'fromJobConfig.tableName': 'orders', ...(where ? { 'fromJobConfig.whereClause': where } : {}) },
      to: {
        'toJobConfig.bucketName': 'orders',
        'toJobConfig.outputDirectory': '/orders',
        'toJobConfig.outputFormat': 'CSV_FILE',
        'toJobConfig.fieldSeparator': ',',
        'toJobConfig.lineSeparator': '\\n',
        'toJobConfig.writeFileSize': String(CSV_FILE_MB),
        'toJobConfig.filePrefix': 'orders',
      },
    });
    const dbCpu = mariadbCpuSeconds() - dbCpu0;
    const s3Cpu = s3.cpuSeconds() - s3Cpu0;
    const got = new LineDigest();
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'orders', Prefix: 'orders/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    for (const key of keys) {
      const r = await s3.client.send(new GetObjectCommand({ Bucket: 'orders', Key: key }));
      await digestLines(r.Body as Readable, got);
    }
    await s3.empty('orders');
    const check =
      want.rows === got.rows && want.digest === got.digest
        ? `PASS (${fmt(got.rows)} lines in ${keys.length} objects)`
        : `FAIL (${fmt(got.rows)} lines, digest ${got.digest}, first \`${got.first}\`; INTO OUTFILE ${fmt(want.rows)}, ${want.digest}, first \`${want.first}\`)`;
    log(`  Ferry, ${extractors} extractor(s): ${run.serverSeconds.toFixed(2)} s, peak RSS ${mb(run.peakRssKb)} (idle ${mb(idleRssKb)}), CPU ${cpu(run.cpuSeconds)} s (MariaDB ${cpu(dbCpu)} s, s3rver ${cpu(s3Cpu)} s), ${check}`);
    return { extractors, run, idleRssKb, dbCpu, s3Cpu, check, rate: ORDER_ROWS / run.serverSeconds, seconds: run.serverSeconds };
  };
  /**
   * The native pipeline: MariaDB's own C client reading the rows (tab-separated, nothing quoted)
   * piped into `rclone rcat`, Go's streaming multipart upload, to the same S3 server: what
   * native tools reach here when they read over the client protocol and write to this server.
   */
  const client = spawnSync('which', ['mariadb', 'mysql'], { encoding: 'utf8' }).stdout?.split('\n')[0];
  await s3.createBucket('orders-native');
  const nativeExport = async () => {
    if (!('path' in rclone) || !client) throw new Error('the native pipeline needs rclone and the mysql client');
    settleDisk();
    const dbCpu0 = mariadbCpuSeconds();
    const s3Cpu0 = s3.cpuSeconds();
    const select = `SELECT * FROM bench.orders ${where ? `WHERE ${where}` : ''}`;
    const pipeline = `${client} -h${MARIADB.host} -P${MARIADB.port} -u${MARIADB.user} --quick --batch --skip-column-names -e "${select}" | ${rclone.path} rcat s3:orders-native/orders.tsv`;
    const p = await runTimed('bash', ['-o', 'pipefail', '-c', pipeline], rcloneEnv(s3Remote('s3', s3.endpoint, S3_ACCESS_KEY, S3_SECRET_KEY)));
    const dbCpu = mariadbCpuSeconds() - dbCpu0;
    const s3Cpu = s3.cpuSeconds() - s3Cpu0;
    const r = await s3.client.send(new GetObjectCommand({ Bucket: 'orders-native', Key: 'orders.tsv' }));
    const got = new LineDigest();
    await digestLines(r.Body as Readable, got);
    await s3.empty('orders-native');
    const check = got.rows === ORDER_ROWS ? `PASS (${fmt(got.rows)} lines)` : `FAIL (${fmt(got.rows)} lines)`;
    log(`  native pipeline (${client} | rclone rcat): ${p.wallSeconds.toFixed(2)} s (MariaDB ${cpu(dbCpu)} s, s3rver ${cpu(s3Cpu)} s), ${check}`);
    return { seconds: p.wallSeconds, peakRssKb: p.peakRssKb, cpuSeconds: p.cpuSeconds, dbCpu, s3Cpu, check };
  };
  const withNative = 'path' in rclone && Boolean(client);
  if (!withNative) log(`  native pipeline skipped: ${'missing' in rclone ? `rclone ${rclone.missing}` : 'no mysql client'}`);
  // INTO OUTFILE first: Ferry's lines are checked against its file.
  const fastest = await fastestOf<{ seconds: number }>(
    [intoOutfile, () => ferryExport(1), () => ferryExport(2), ...(withNative ? [nativeExport] : [])],
    ORDERS_ROUNDS,
  ).finally(() => conn.end());
  const outfileRun = fastest[0] as Awaited<ReturnType<typeof intoOutfile>>;
  const runs = fastest.slice(1, 3) as Awaited<ReturnType<typeof ferryExport>>[];
  const native = fastest[3] as Awaited<ReturnType<typeof nativeExport>> | undefined;
  const { seconds: outfileSeconds, dbCpu: outfileDbCpu } = outfileRun;
  const best = runs.reduce((a, b) => (b.rate > a.rate ? b : a));
  const outfileRate = ORDER_ROWS / outfileSeconds;
  return [
    `### (3) ${fmt(ORDER_ROWS)} rows of MariaDB bench.orders exported to CSV`,
    '',
    '| run | time | rows/s | peak RSS | CPU s (tool; MariaDB; s3rver) | lines vs INTO OUTFILE |',
    '|---|---|---|---|---|---|',
    `| MariaDB \`SELECT * … INTO OUTFILE\` (server-side file) | ${outfileSeconds.toFixed(2)} s | ${fmt(outfileRate)} | — | —; ${cpu(outfileDbCpu)}; — | (reference) |`,
    ...(native
      ? [
          `| native pipeline: MariaDB's client (\`--quick --batch\`: tab-separated, nothing quoted) piped into \`rclone rcat\` (a streaming multipart upload) to the same bucket server | ${native.seconds.toFixed(2)} s | ${fmt(ORDER_ROWS / native.seconds)} ` +
            `| ${native.peakRssKb ? mb(native.peakRssKb) : '—'} (its largest process) | ${cpu(native.cpuSeconds)}; ${cpu(native.dbCpu)}; ${cpu(native.s3Cpu)} | ${native.check} |`,
        ]
      : []),
    ...runs.map(
      (r) =>
        `| Ferry, table → obs-connector CSV_FILE objects (writeFileSize ${CSV_FILE_MB} MB, fetchSize ${fmt(FETCH_SIZE)}), numExtractors ${r.extractors} | ${r.run.serverSeconds.toFixed(2)} s | ${fmt(r.rate)} ` +
        `| ${mb(r.run.peakRssKb)} (idle ${mb(r.idleRssKb)}) | ${cpu(r.run.cpuSeconds)}; ${cpu(r.dbCpu)}; ${cpu(r.s3Cpu)} | ${r.check} |`,
    ),
    '',
    `Ferry (best run, numExtractors ${best.extractors}): ${fmt(best.rate / outfileRate, 2)}× INTO OUTFILE's rows/s (target ≥ 0.5×); ` +
      `peak RSS ${runs.map((r) => mb(r.run.peakRssKb)).join(' and ')} (target < ${RSS_TARGET_MB} MB).` +
      (native
        ? ` The native pipeline: ${fmt(ORDER_ROWS / native.seconds / outfileRate, 2)}× INTO OUTFILE; Ferry exports at ${fmt(best.rate / (ORDER_ROWS / native.seconds), 2)}× its rows/s. ` +
          `INTO OUTFILE formats in the server and writes a local file; every client-side export also pays the client protocol and the upload, on the same two cores as MariaDB and s3rver.`
        : ''),
    '',
  ];
}

// ---- the run ----

const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-files-s3-'));
const s3 = await startS3Server(dir);
const rclone = argv.includes('--no-rclone') ? { missing: '--no-rclone' } : wanted('objects') || wanted('sftp') || wanted('orders') ? ensureRclone(log) : { missing: 'not needed' };
const sections: string[] = [];
try {
  if (wanted('objects')) sections.push(...(await objectsScenario(s3, rclone)));
  if (wanted('sftp')) sections.push(...(await sftpScenario(s3, rclone)));
  if (wanted('orders')) sections.push(...(await ordersScenario(s3, rclone)));
} finally {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
}

const notes = [
  `Ferry's time is the submission's creation-date → last-update-date at SUCCEEDED (start call to end, listing and planning included); ` +
    `the embedded runtime runs in a child process (\`npm start\`: lib/local/main.ts bundled by esbuild, run by node), links and job created and started over the CDM API; ` +
    `its peak RSS is that child's VmHWM, the embedded runtime (dynalite, gateway, queue) included. rclone ${
      'path' in rclone ? `(${rclone.path}, Debian's package) ` : ''
    }is timed from spawn to exit and its peak RSS taken from /usr/bin/time -v (so is the native pipeline of (3), the client and rclone together); the plain SDK copy and the Node floor time themselves from their listing to their last PUT ` +
    `(their process start excluded) and their peak RSS comes from /usr/bin/time -v. s3rver (one Node process, every object also MD5-hashed and ` +
    `written to disk, a multipart upload rewritten whole on completion) is shared by every peer and bounds them all. Every timed run starts after \`sync\`, so none pays for another's writes. In (1) the streamed copies (Ferry's, the plain one, the Node floor, rclone's), then the server-side ones (Ferry's as the first job of a fresh process and as the second), run twice, and in (3) INTO OUTFILE, the native pipeline and Ferry's two exports three times, every other round in reverse order, and each row is the fastest of its runs: the first copy after the upload or after another's writes costs s3rver more, whoever makes it, and the machine's speed drifts within a run. MB = 10^6 bytes.`,
];
const section = [
  '## files',
  '',
  `Command: \`${COMMAND}\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ` +
    `s3rver in its own process on a temp dir, MariaDB on the same machine, Node ${process.version}.`,
  '',
  '> The machine is shared and noisy: absolute times move from run to run; only ratios measured in the same run count.',
  '',
  ...sections,
  ...notes,
  '',
].join('\n');
log(`\n${section}`);
if (!only) {
  writeSection('files', section);
  log('written to bench/RESULTS.md (## files)');
} else {
  log('(--only: bench/RESULTS.md left as it is)');
}
