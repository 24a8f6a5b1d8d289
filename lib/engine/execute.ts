// Runs one execution message. A run message (no partition) coordinates: it takes the
// submission's lease and a cluster slot, plans once (estimate, destination preparation,
// partitions), and dispatches the partitions that need an executor, copying one itself.
// A partition message copies its slice chunk by chunk — source → sink, each chunk
// committed with its checkpoint in the destination — under the partition's own lease,
// until the slice ends, the run stops or fails, or the invocation's time runs low and a
// continuation message takes over. The invocation that ends the last partition finishes
// the run (verification, SUCCEEDED).
//
// Recovery needs no bookkeeping of its own: partitions refresh the submission's stale
// time, so when every executor of a run has died the reaper re-queues the run message,
// and the coordinator re-dispatches the partitions whose leases expired.
import { releaseSlot, takeSlot } from '../clusters/slots';
import { connectorFor, jobSecrets } from '../connectors/registry';
import { CdmError, describeError } from '../errors';
import { openJobSecrets, secretsFrom } from '../jobs/job-secrets';
import { resolveLink } from '../links/links';
import type { InputMap } from '../model/config-values';
import { withPath } from '../model/parse';
import { isActive } from '../model/status';
import { EMPTY_COUNTERS, stoppedSummary, type Counters, type Submission } from '../model/submission';
import type { ExecutionMessage } from '../queue/queue';
import type { Runtime } from '../runtime';
import type { Partition, PartitionCounts } from '../store/partitions-repo';
import type { EndFields, SubmissionKey } from '../store/submissions-repo';
import { dirtyDataSettings, withDirtyData } from './dirty-data';
import { heapGrowthFor } from './heap';
import { resolveMacros } from './macros';
import { readAhead } from './read-ahead';
import { BINARY_ENGINE, CheckpointConflictError, rowCount, type Checkpoint, type RunKey, type Sink } from './types';
import { verifyCopy } from './verify';
import { afterRun } from '../schedules/after-run'; // issue 7 hook

export interface Invocation {
  /** Unique per invocation: the lease owner. */
  readonly owner: string;
  /** Milliseconds this invocation may still run (Lambda's getRemainingTimeInMillis). */
  remainingMs(): number;
}

export type Outcome =
  | 'succeeded'
  | 'failed'
  | 'continued'
  | 'waiting'
  | 'partition-done'
  | 'busy'
  | 'gone'
  | 'lease-lost';

/** Thrown when another executor holds the run or partition now; this one stops writing at once. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

const CHUNK_ROWS_INPUT = 'linkConfig.fetchSize';
const VERIFY_INPUT = 'ferryConfig.verify';
const EXTRACTORS_INPUT = 'throttlingConfig.numExtractors';
const STAGE_INPUT = 'toJobConfig.useStageTable';
const INCREMENTAL_INPUT = 'ferryConfig.incrementalColumn';

export function executeMessage(rt: Runtime, msg: ExecutionMessage, inv: Invocation): Promise<Outcome> {
  const key: SubmissionKey = { project: msg.project, cluster: msg.cluster, job: msg.job, id: msg.submissionId };
  return msg.partition === undefined ? coordinate(rt, key, inv) : runPartition(rt, key, msg.partition, inv);
}

// ---- the run: lease, slot, plan, dispatch ----

async function coordinate(rt: Runtime, key: SubmissionKey, inv: Invocation): Promise<Outcome> {
  const now = rt.now();
  const sub = await rt.store.submissions.acquireLease(key, inv.owner, now, now + rt.settings.leaseMs);
  if (!sub) {
    // Finished, or held by a live executor: a duplicate delivery. If that executor
    // dies, the reaper re-queues the run once its lease expires.
    const current = await rt.store.submissions.get(key);
    return current && isActive(current.status) ? 'busy' : 'gone';
  }
  if (sub.status === 'BOOTING') {
    if (!sub.stopRequested && !(await takeSlot(rt, key))) {
      // The cluster runs its maximum: stay BOOTING and look again later. The run is not
      // stale meanwhile, so the reaper neither re-queues nor fails it.
      await rt.store.submissions.releaseLease(key, inv.owner, rt.now() + rt.settings.slotWaitMs + rt.settings.bootGraceMs);
      await rt.queue.send(message(key, 'wait-slot'), { delayMs: rt.settings.slotWaitMs });
      return 'waiting';
    }
    if (!(await rt.store.submissions.markRunning(key, inv.owner, rt.now()))) return 'lease-lost';
  }
  if (sub.stopRequested) {
    await endRun(rt, key, 'FAILED', { progress: -1, counters: sub.counters, errorSummary: stoppedSummary(sub) });
    return 'failed';
  }
  try {
    if (!sub.planned) await holdingRun(rt, key, inv.owner, () => plan(rt, key, sub, inv.owner));
    const partitions = await rt.store.partitions.list(key);
    // Every slice copied, but the run never finished (its finisher died): finish it now.
    if (partitions.length && partitions.every((p) => p.state === 'DONE')) return await finishRun(rt, key, inv, partitions, true);
    const t = rt.now();
    const idle = partitions.filter((p) => p.state === 'PENDING' && !(p.leaseUntil && p.leaseUntil >= t));
    // Hand the run over to its partitions: from here on their heartbeats keep it fresh.
    await rt.store.submissions.releaseLease(key, inv.owner, t + rt.settings.leaseMs + rt.settings.bootGraceMs);
    const [mine, ...others] = idle;
    for (const p of others) await rt.queue.send(message(key, 'partition', p.n));
    return mine ? await runPartition(rt, key, mine.n, inv) : 'busy';
  } catch (e) {
    if (e instanceof LeaseLostError || e instanceof CheckpointConflictError) return 'lease-lost';
    await failRun(rt, key, e);
    return 'failed';
  }
}

/** Once per run: the estimate, the destination's preparation, and the partitions. */
async function plan(rt: Runtime, key: SubmissionKey, stored: Submission, owner: string): Promise<void> {
  const [sub, fromLink, toLink] = await openRunWithLinks(rt, key, stored);
  const { spec } = sub;
  const to = writeTarget(key, sub, toLink, rt);
  const fromConnector = connectorFor(spec.fromConnector);
  const run = runKey(key, 0);
  const { from, incremental } = await readWindow(rt, key, sub, fromLink);
  const timeZone = rt.settings.timeZone;
  const dirtyData = dirtyDataSettings(spec.driver) !== undefined;
  const source = await fromConnector.openSource!({ link: fromLink, from, run, timeZone, dirtyData });
  try {
    const sink = await connectorFor(spec.toConnector).openSink!({ link: toLink, to, run, schema: source.schema });
    try {
      const estimate = await source.estimateRows();
      await sink.prepare();
      const wanted = Number(spec.driver[EXTRACTORS_INPUT] ?? 1);
      // A source that slices what it has listed (files) does so for one extractor too: each later
      // invocation then reads the planned list, never a new listing that has lost files or
      // gained some (the run's own output, when it is written under the input).
      const slices =
        source.slices?.(wanted) ??
        (wanted > 1 ? await fromConnector.partition?.({ link: fromLink, from, schema: source.schema, run, timeZone }, wanted) : undefined) ??
        [from];
      // Slices are stored: their secret inputs stay sealed.
      const secret = jobSecrets(spec.fromConnector, spec.toConnector).from;
      await rt.store.partitions.create(key, slices.map((slice) => secretsFrom(slice, stored.spec.from, secret)));
      if (!(await rt.store.submissions.markPlanned(key, owner, { estimate, partitions: slices.length, incremental }, rt.now()))) {
        throw new LeaseLostError();
      }
    } finally {
      await sink.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * What the run reads: the job's source inputs, narrowed for an incremental job to the rows
 * above its high-water mark and up to the column's maximum now.
 */
async function readWindow(rt: Runtime, key: SubmissionKey, sub: Submission, fromLink: InputMap) {
  const from = resolveInputs(sub.spec.from, sub, rt);
  const column = sub.spec.driver[INCREMENTAL_INPUT];
  if (!column) return { from };
  const connector = connectorFor(sub.spec.fromConnector);
  const job = await rt.store.jobs.get(key.project, key.cluster, key.job);
  // A mark kept for another column (the job was modified) does not apply.
  const after = job?.incrementalColumn === column ? job.incrementalMark : undefined;
  const probe = await connector.openSource!({ link: fromLink, from, run: runKey(key, 0) });
  try {
    const window = await connector.incremental!({ link: fromLink, from, schema: probe.schema, run: runKey(key, 0) }, column, after);
    return { from: window.from, incremental: { column, after, upTo: window.upTo } };
  } finally {
    await probe.close();
  }
}

// ---- a partition: its lease, its chunks ----

async function runPartition(rt: Runtime, key: SubmissionKey, n: number, inv: Invocation): Promise<Outcome> {
  const now = rt.now();
  // Side by side: each is a round trip before the partition's first byte.
  const [part, sub] = await Promise.all([rt.store.partitions.acquire(key, n, inv.owner, now, now + rt.settings.leaseMs), rt.store.submissions.get(key)]);
  if (!part) return 'busy'; // done, or a live executor has it
  if (!sub || sub.status !== 'RUNNING') {
    // A slice that reported progress once, of a run that failed meanwhile (a continuation
    // arriving late): what an earlier invocation of it staged goes, as a live slice's does.
    if (sub?.status === 'FAILED' && part.extra) await discardPartition(rt, key, sub, part).catch(() => undefined);
    await rt.store.partitions.release(key, n, inv.owner);
    return 'gone';
  }
  try {
    return await copyPartition(rt, key, sub, part, inv);
  } catch (e) {
    if (e instanceof LeaseLostError || e instanceof CheckpointConflictError) return 'lease-lost';
    // Only the partition's lease holder speaks for it: a stale invocation's error says nothing about the run.
    if (await rt.store.partitions.end(key, n, inv.owner, 'FAILED')) await failRun(rt, key, e);
    return 'failed';
  }
}

/** The slice's source and sink, as every invocation of it opens them. */
async function openPartition(rt: Runtime, key: SubmissionKey, stored: Submission, part: Partition, withDirty: boolean) {
  const [sub, fromLink, toLink] = await openRunWithLinks(rt, key, stored);
  const { spec } = sub;
  const run = runKey(key, part.n);
  const from = secretsFrom(part.from, spec.from, jobSecrets(spec.fromConnector, spec.toConnector).from);
  const dirty = withDirty ? dirtyDataSettings(spec.driver) : undefined;
  const read = await connectorFor(spec.fromConnector).openSource!({ link: fromLink, from, run, timeZone: rt.settings.timeZone, dirtyData: !!dirty });
  // Dirty records reach their link as the source yields them, so before their chunk commits.
  const source = dirty ? withDirtyData(rt, run, dirty, read) : read;
  try {
    const sink = await connectorFor(spec.toConnector).openSink!({ link: toLink, to: writeTarget(key, sub, toLink, rt), run, schema: source.schema });
    return { sub, fromLink, source, sink };
  } catch (e) {
    await source.close();
    throw e;
  }
}

async function discardPartition(rt: Runtime, key: SubmissionKey, stored: Submission, part: Partition): Promise<void> {
  const { source, sink } = await openPartition(rt, key, stored, part, false);
  try {
    await sink.discard?.();
  } finally {
    await sink.close();
    await source.close();
  }
}

/** A failure to clean up after a failed run only leaves litter: the run's error is what the user needs. */
const discard = (sink: Sink) => sink.discard?.().catch(() => undefined);

async function copyPartition(rt: Runtime, key: SubmissionKey, stored: Submission, part: Partition, inv: Invocation): Promise<Outcome> {
  const { sub, fromLink, source, sink } = await openPartition(rt, key, stored, part, true);
  let asBytes = source.schema.engine === BINARY_ENGINE;
  heapGrowthFor(asBytes);
  let partitions: Partition[];
  let cp: Checkpoint = { position: {}, rowsRead: 0, rowsWritten: 0, bytesRead: 0 };
  // File connectors know file and byte counters the engine cannot see (optional members).
  const counts = (c: Checkpoint): PartitionCounts => ({
    rowsRead: c.rowsRead,
    rowsWritten: c.rowsWritten,
    bytesRead: c.bytesRead,
    extra: { ...source.counters?.(), ...sink.counters?.() },
  });
  try {
    try {
      // The destination's checkpoint is the truth: it commits with the data it counts.
      const start = await sink.checkpoint();
      if (start) cp = start;
      const opts = { encoding: await sink.encoding?.(), fileStreamBytes: sink.fileStreamBytes?.() };
      // Reports (lease, progress, a stop request) go at most every `interval`, not after
      // every chunk: store writes per chunk would cost as much as the copy of small chunks.
      // A run of N partitions hears from each every N intervals, so from one of them about every
      // interval: its store calls a second do not grow with numExtractors.
      const interval = Math.min(rt.settings.progressIntervalMs * (sub.partitionCount ?? 1), rt.settings.leaseMs / 4);
      let reportedAt = rt.now();
      for await (const batch of readAhead(source.read(start?.position, chunkRows(fromLink), opts))) {
        // Rows the source formats into lines arrive as a few large buffers a page, as bytes do.
        if (batch.lines && !asBytes) heapGrowthFor((asBytes = true));
        const rows = rowCount(batch);
        cp = {
          position: batch.position,
          // A dirty record was read but not written: ROWS_WRITTEN_SKIPPED counts it.
          rowsRead: cp.rowsRead + rows + (batch.dirty?.length ?? 0),
          rowsWritten: cp.rowsWritten + rows,
          bytesRead: cp.bytesRead + batch.bytes,
        };
        await sink.write(batch, cp);
        const handOver = inv.remainingMs() < rt.settings.continueMarginMs;
        if (!handOver && rt.now() - reportedAt < interval) continue;
        reportedAt = rt.now();
        if (!(await rt.store.partitions.heartbeat(key, part.n, inv.owner, counts(cp), rt.now() + rt.settings.leaseMs))) {
          throw new LeaseLostError();
        }
        const current = await reportProgress(rt, key, sub, { ...part, ...counts(cp) });
        if (!current || current.status !== 'RUNNING') {
          // Failed elsewhere (another slice, a stop, the reaper): this slice's staging goes too.
          if (current?.status === 'FAILED') await discard(sink);
          return 'gone'; // or finished elsewhere
        }
        if (current.stopRequested) {
          await discard(sink);
          // The counts once the staging is gone: what the run committed, not what the report before it saw.
          if (await rt.store.partitions.end(key, part.n, inv.owner, 'FAILED', counts(cp))) await failRun(rt, key, undefined, current);
          return 'failed';
        }
        if (handOver) {
          await sink.suspend?.();
          // Release before sending: the continuation may start at once and must find the
          // lease free. Should the send fail, the run goes stale and the reaper re-queues it.
          await rt.store.partitions.release(key, part.n, inv.owner);
          await rt.queue.send(message(key, 'continue', part.n));
          return 'continued';
        }
      }
      await sink.seal?.();
      // DONE before the checkpoint goes: a crash in between leaves a stray checkpoint row,
      // never a slice that looks unstarted and would be copied twice.
      if (!(await rt.store.partitions.end(key, part.n, inv.owner, 'DONE', counts(cp)))) throw new LeaseLostError();
      // The slice is done whatever happens here; a checkpoint row left behind is only litter.
      // Whether it was the run's last is read meanwhile.
      [, partitions] = await Promise.all([sink.finish().catch(() => undefined), rt.store.partitions.list(key)]);
    } catch (e) {
      if (e instanceof LeaseLostError || e instanceof CheckpointConflictError) throw e;
      // Only the slice's lease holder speaks for it (a stale invocation's error says nothing
      // about the run) and may clean up after it; the counts are taken once its staging is gone.
      if (!(await rt.store.partitions.heartbeat(key, part.n, inv.owner, counts(cp), rt.now() + rt.settings.leaseMs))) return 'lease-lost';
      await discard(sink);
      if (await rt.store.partitions.end(key, part.n, inv.owner, 'FAILED', counts(cp))) await failRun(rt, key, e);
      return 'failed';
    } finally {
      await sink.close();
    }
  } finally {
    await source.close();
  }
  return partitions.every((p) => p.state === 'DONE') ? finishRun(rt, key, inv, partitions, false) : 'partition-done';
}

/** The run's counters: the sum of its partitions', which come from the sinks' checkpoints. */
function sumOf(partitions: readonly PartitionCounts[]): PartitionCounts {
  const extra: Partial<Counters> = {};
  for (const p of partitions) {
    for (const [k, v] of Object.entries(p.extra ?? {}) as [keyof Counters, number][]) {
      // -1 is "does not apply": it adds nothing, and stays only if no partition reports one.
      extra[k] = v < 0 ? (extra[k] ?? v) : Math.max(0, extra[k] ?? 0) + v;
    }
  }
  return partitions.reduce(
    (a, p) => ({ rowsRead: a.rowsRead + p.rowsRead, rowsWritten: a.rowsWritten + p.rowsWritten, bytesRead: a.bytesRead + p.bytesRead, extra }),
    { rowsRead: 0, rowsWritten: 0, bytesRead: 0, extra },
  );
}

/** After a chunk: the run's progress (never backwards) and counters, and its stale time pushed out. */
async function reportProgress(rt: Runtime, key: SubmissionKey, sub: Submission, mine: Partition): Promise<Submission | undefined> {
  // A run of one slice is that slice: no need to read the others back.
  const partitions = sub.partitionCount === 1 ? [mine] : await rt.store.partitions.list(key);
  const sum = sumOf(partitions);
  const now = rt.now();
  return rt.store.submissions.recordProgress(key, {
    // Below 100 until the run is final.
    progress: Math.min(99, Math.floor((sum.rowsWritten * 100) / Math.max(sub.estimate ?? 0, 1))),
    counters: tableCounters(sum),
    partitions: partitions.map((p) => ({ partition: p.n, state: p.state, rowsWritten: p.rowsWritten })),
    now,
    staleAt: now + rt.settings.leaseMs,
  });
}

// ---- the end of a run ----

/** Every partition is DONE: verify if asked, then SUCCEEDED with the exact counters. */
async function finishRun(rt: Runtime, key: SubmissionKey, inv: Invocation, partitions: Partition[], leased: boolean): Promise<Outcome> {
  // The submission's lease makes one invocation the finisher when partitions end together.
  const now = rt.now();
  const stored = leased ? await rt.store.submissions.get(key) : await rt.store.submissions.acquireLease(key, inv.owner, now, now + rt.settings.leaseMs);
  if (!stored) return leased ? 'gone' : 'partition-done';
  return holdingRun(rt, key, inv.owner, () => finishHeld(rt, key, stored, partitions));
}

async function finishHeld(rt: Runtime, key: SubmissionKey, stored: Submission, partitions: Partition[]): Promise<Outcome> {
  if (stored.status !== 'RUNNING') return 'gone';
  const counters = tableCounters(sumOf(partitions));
  const slices = partitions.map((p) => ({ partition: p.n, state: p.state, rowsWritten: p.rowsWritten }));
  try {
    const [sub, fromLink, toLink] = await openRunWithLinks(rt, key, stored);
    const stage = stageOf(key, sub, toLink, rt);
    // With a stage, what is verified is the stage: a mismatch then never reaches the target.
    const verification =
      sub.spec.driver[VERIFY_INPUT] === 'true'
        ? await verifyCopy({
            spec: sub.spec,
            fromLink,
            toLink,
            from: resolveInputs(sub.spec.from, sub, rt),
            to: writeTarget(key, sub, toLink, rt),
            run: runKey(key, 0),
            timeZone: rt.settings.timeZone,
            chunkRows: chunkRows(fromLink),
          })
        : undefined;
    if (verification && !verification.matched) {
      const { source: s, destination: d } = verification;
      await endRun(rt, key, 'FAILED', {
        progress: -1,
        counters,
        verification,
        errorSummary: `Verification failed: the source has ${s.rows} rows (checksum ${s.checksum}), the destination ${d.rows} (checksum ${d.checksum}).`,
      });
      return 'failed';
    }
    await stage?.commit(toLink);
    await complete(rt, key, sub, toLink, partitions.length);
    await advanceMark(rt, key, sub);
    await endRun(rt, key, 'SUCCEEDED', { progress: 100, counters, ...(verification && { verification }), partitions: slices });
    return 'succeeded';
  } catch (e) {
    await failRun(rt, key, e);
    return 'failed';
  }
}

/** The destination's work for the run as a whole (file jobs: MD5 result, marker file; a created table's key), after the data is final. */
async function complete(rt: Runtime, key: SubmissionKey, sub: Submission, toLink: InputMap, partitions: number): Promise<void> {
  const connector = connectorFor(sub.spec.toConnector);
  await connector.complete?.({ link: toLink, to: writeTarget(key, sub, toLink, rt), run: runKey(key, 0), partitions });
}

/**
 * An incremental run that copied its window moves the job's mark to the window's top, after
 * the rows are in the target and before the run is SUCCEEDED: a failed run leaves the mark.
 */
async function advanceMark(rt: Runtime, key: SubmissionKey, sub: Submission): Promise<void> {
  const w = sub.incremental;
  if (!w?.upTo) return;
  await rt.store.jobs.advanceMark(key.project, key.cluster, key.job, w.column, w.after, w.upTo);
}

/**
 * Ends an active run (whoever holds what: the status condition makes the first end the only
 * one). Every end goes through here, the reaper's too: the job, the cluster slot and the
 * after-run work (retries, disposable jobs, pending events) follow each the same way.
 */
export async function endRun(
  rt: Runtime,
  key: SubmissionKey,
  status: 'SUCCEEDED' | 'FAILED',
  fields: EndFields,
  by = 'ferry-executor',
): Promise<boolean> {
  // The stage goes first, so that a run seen FAILED has no stage left.
  if (status === 'FAILED') await discardStage(rt, key);
  if (!(await rt.store.submissions.finish(key, status, { now: rt.now(), by, ...fields }))) return false;
  await rt.store.jobs.release(key.project, key.cluster, key.job, key.id, status);
  await releaseSlot(rt, key);
  await afterRun(rt, key, status); // issue 7 hook: RETRY_TRIPLE, disposableType, coalesced S3 events
  return true;
}

/** A failed run's stage goes (the target never saw it); a failure to drop it only leaves litter. */
async function discardStage(rt: Runtime, key: SubmissionKey): Promise<void> {
  try {
    const sub = await rt.store.submissions.get(key);
    if (sub?.spec.to[STAGE_INPUT] !== 'true') return;
    const toLink = (await resolveLink(rt, key.project, key.cluster, sub.spec.toLink)).inputs;
    await stageOf(key, sub, toLink, rt)?.discard(toLink);
  } catch {
    // The stage's name is derived from the run; it can be dropped by hand.
  }
}

/** Ends the run FAILED with error `e`, or as stopped by whoever asked (`stopped`, the run as the stop found it). */
async function failRun(rt: Runtime, key: SubmissionKey, e: unknown, stopped?: Submission): Promise<void> {
  const [current, partitions] = await Promise.all([rt.store.submissions.get(key), rt.store.partitions.list(key)]);
  await endRun(rt, key, 'FAILED', {
    progress: -1,
    // The slices' counts as they stand: the last progress report may be older, or none yet.
    counters: partitions.length ? tableCounters(sumOf(partitions)) : current?.counters,
    ...(stopped ? { errorSummary: stoppedSummary(stopped) } : { errorSummary: describeError(e), errorDetails: causeChain(e) }),
  });
}

// ---- helpers ----

/**
 * Runs `work` holding the run's lease, renewed every third of a lease. Planning and finishing
 * (a row estimate, a verification over both tables, a stage swap) make no chunk heartbeats;
 * without renewals a long one looks stalled, and the reaper re-queues the run beside it.
 */
async function holdingRun<T>(rt: Runtime, key: SubmissionKey, owner: string, work: () => Promise<T>): Promise<T> {
  const renew = () => {
    const now = rt.now();
    return rt.store.submissions.acquireLease(key, owner, now, now + rt.settings.leaseMs).catch(() => undefined);
  };
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => void (renewing = renew()), Math.max(1, Math.floor(rt.settings.leaseMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
    // A renewal landing after the caller hands the lease back would take it again.
    await renewing;
  }
}

const message = (key: SubmissionKey, reason: ExecutionMessage['reason'], partition?: number): ExecutionMessage => ({
  v: 1,
  project: key.project,
  cluster: key.cluster,
  job: key.job,
  submissionId: key.id,
  reason,
  ...(partition === undefined ? {} : { partition }),
});

const runKey = (key: SubmissionKey, partition: number): RunKey => ({
  project: key.project,
  cluster: key.cluster,
  job: key.job,
  submissionId: key.id,
  partition,
});

/** The run's stage (toJobConfig.useStageTable), if the job asks for one. */
function stageOf(key: SubmissionKey, sub: Submission, toLink: InputMap, rt: Runtime) {
  if (sub.spec.to[STAGE_INPUT] !== 'true') return undefined;
  return connectorFor(sub.spec.toConnector).stage?.(toLink, resolveInputs(sub.spec.to, sub, rt), runKey(key, 0));
}

/** The to-inputs every sink of the run writes with: the stage's when there is one, else the target's. */
function writeTarget(key: SubmissionKey, sub: Submission, toLink: InputMap, rt: Runtime): InputMap {
  return stageOf(key, sub, toLink, rt)?.to ?? resolveInputs(sub.spec.to, sub, rt);
}

const chunkRows = (fromLink: InputMap) => Number(fromLink[CHUNK_ROWS_INPUT] ?? 10_000);

/**
 * The run with its job's secret inputs opened (in memory only: what is stored stays sealed),
 * and its links; side by side, as each is a round trip (the key service, the store).
 */
async function openRunWithLinks(rt: Runtime, key: SubmissionKey, stored: Submission): Promise<[Submission, InputMap, InputMap]> {
  const [spec, [fromLink, toLink]] = await Promise.all([openJobSecrets(rt, key, stored.spec), links(rt, key, stored)]);
  return [{ ...stored, spec }, fromLink, toLink];
}

async function links(rt: Runtime, key: SubmissionKey, sub: Submission): Promise<[InputMap, InputMap]> {
  const { fromLink, toLink } = sub.spec;
  // A job within one link (bucket to bucket, table to table) reads it once.
  const [from, to] = await Promise.all([
    resolveLink(rt, key.project, key.cluster, fromLink),
    toLink === fromLink ? undefined : resolveLink(rt, key.project, key.cluster, toLink),
  ]);
  return [from.inputs, (to ?? from).inputs];
}

/**
 * The job's inputs with macros resolved against the run's start time and variables (so
 * every partition and continuation sees the same values); an error names the input.
 */
function resolveInputs(inputs: InputMap, sub: Submission, rt: Runtime): InputMap {
  const ctx = { now: sub.createdAt, timeZone: rt.settings.timeZone, variables: sub.variables };
  return Object.fromEntries(Object.entries(inputs).map(([name, value]) => [name, withPath(name, () => resolveMacros(value, ctx))]));
}

/** The engine's counters (rows and bytes read; others do not apply, -1), overridden by what connectors report. */
function tableCounters(c: PartitionCounts): Counters {
  return {
    ...EMPTY_COUNTERS,
    rowsRead: c.rowsRead,
    rowsWritten: c.rowsWritten,
    rowsWrittenSkipped: c.rowsRead - c.rowsWritten,
    bytesRead: c.bytesRead,
    ...c.extra,
  };
}

/** Every message down the cause chain: what a user needs to act on a failure. */
function causeChain(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e; c && parts.length < 5; c = (c as { cause?: unknown }).cause) {
    parts.push(c instanceof CdmError ? `${c.code}: ${c.message}` : c instanceof Error ? c.message : String(c));
  }
  return parts.join(' <- ');
}
