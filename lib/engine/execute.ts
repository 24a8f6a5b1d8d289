// Runs one execution message: take the lease, plan once, then copy chunk by chunk
// (source → sink, each chunk committed with its checkpoint in the destination), keeping
// progress, counters and the heartbeat current, until the copy ends, a stop is asked
// for, or the invocation's time runs low and a continuation message takes over.
import { releaseSlot, takeSlot } from '../clusters/slots';
import { connectorFor } from '../connectors/registry';
import { CdmError, describeError, errors } from '../errors';
import { resolveLink } from '../links/links';
import type { ExecutionMessage } from '../queue/queue';
import type { Runtime } from '../runtime';
import type { SubmissionKey } from '../store/submissions-repo';
import { EMPTY_COUNTERS, stoppedSummary, type Counters, type Submission, type Verification } from '../model/submission';
import { isActive } from '../model/status';
import type { InputMap } from '../model/config-values';
import { withPath } from '../model/parse';
import { resolveMacros, type MacroContext } from './macros';
import { CheckpointConflictError, type Checkpoint, type RunKey, type TableSchema } from './types';
import { tally } from './verify';

export interface Invocation {
  /** Unique per invocation: the lease owner. */
  readonly owner: string;
  /** Milliseconds this invocation may still run (Lambda's getRemainingTimeInMillis). */
  remainingMs(): number;
}

export type Outcome = 'succeeded' | 'failed' | 'continued' | 'waiting' | 'busy' | 'gone' | 'lease-lost';

/** Thrown when another executor holds the run now; this one stops writing at once. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

const CHUNK_ROWS_INPUT = 'linkConfig.fetchSize';
const VERIFY_INPUT = 'ferryConfig.verify';

export async function executeMessage(rt: Runtime, msg: ExecutionMessage, inv: Invocation): Promise<Outcome> {
  const key: SubmissionKey = { project: msg.project, cluster: msg.cluster, job: msg.job, id: msg.submissionId };
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
      const now = rt.now();
      await rt.store.submissions.releaseLease(key, inv.owner, now + rt.settings.slotWaitMs + rt.settings.bootGraceMs);
      await rt.queue.send({ v: 1, project: key.project, cluster: key.cluster, job: key.job, submissionId: key.id, reason: 'wait-slot' }, { delayMs: rt.settings.slotWaitMs });
      return 'waiting';
    }
    if (!(await rt.store.submissions.markRunning(key, inv.owner, rt.now()))) return 'lease-lost';
  }
  if (sub.stopRequested) {
    await end(rt, key, inv.owner, 'FAILED', { progress: -1, counters: sub.counters, errorSummary: stoppedSummary(sub) });
    return 'failed';
  }
  try {
    return await copy(rt, key, sub, inv);
  } catch (e) {
    if (e instanceof LeaseLostError || e instanceof CheckpointConflictError) return 'lease-lost';
    await fail(rt, key, inv.owner, e);
    return 'failed';
  }
}

async function copy(rt: Runtime, key: SubmissionKey, sub: Submission, inv: Invocation): Promise<Outcome> {
  const { spec } = sub;
  const [fromLink, toLink] = await Promise.all([
    resolveLink(rt, key.project, key.cluster, spec.fromLink),
    resolveLink(rt, key.project, key.cluster, spec.toLink),
  ]);
  const run: RunKey = { project: key.project, cluster: key.cluster, job: key.job, submissionId: key.id, partition: 0 };
  const macros: MacroContext = { now: sub.createdAt, timeZone: rt.settings.timeZone, variables: sub.variables };
  const from = resolveInputs(spec.from, macros);
  const to = resolveInputs(spec.to, macros);
  const source = await connectorFor(spec.fromConnector).openSource!({ link: fromLink.inputs, from, run });
  try {
    const sink = await connectorFor(spec.toConnector).openSink!({ link: toLink.inputs, to, run, schema: source.schema });
    try {
      let estimate = sub.estimate ?? 0;
      if (!sub.planned) {
        estimate = await source.estimateRows();
        await sink.prepare();
        if (!(await rt.store.submissions.markPlanned(key, inv.owner, estimate, rt.now()))) throw new LeaseLostError();
      }
      // The destination's checkpoint is the truth: it commits with the data it counts.
      const start = await sink.checkpoint();
      let cp: Checkpoint = start ?? { position: {}, rowsRead: 0, rowsWritten: 0, bytesRead: 0 };
      let progress = sub.progress;
      // File connectors report file and byte counters the engine cannot see (optional members).
      const counters = (c: Checkpoint): Counters => ({ ...tableCounters(c), ...source.counters?.(), ...sink.counters?.() });
      const chunkRows = Number(fromLink.inputs[CHUNK_ROWS_INPUT] ?? 10_000);

      for await (const batch of source.read(start?.position, chunkRows)) {
        cp = {
          position: batch.position,
          rowsRead: cp.rowsRead + batch.rows.length,
          rowsWritten: cp.rowsWritten + batch.rows.length,
          bytesRead: cp.bytesRead + batch.bytes,
        };
        await sink.write(batch, cp);
        // Below 100 until the run is final; never backwards (the store enforces it too).
        progress = Math.max(progress, Math.min(99, Math.floor((cp.rowsWritten * 100) / Math.max(estimate, 1))));
        const now = rt.now();
        const updated = await rt.store.submissions.recordProgress(key, inv.owner, {
          progress,
          counters: counters(cp),
          now,
          leaseUntil: now + rt.settings.leaseMs,
        });
        if (!updated) throw new LeaseLostError();
        if (updated.stopRequested) {
          await end(rt, key, inv.owner, 'FAILED', { progress: -1, counters: counters(cp), errorSummary: stoppedSummary(updated) });
          return 'failed';
        }
        if (inv.remainingMs() < rt.settings.continueMarginMs) {
          // Release before sending: the continuation may start at once and must find the
          // lease free. Should the send fail, the released run goes stale and the reaper re-queues it.
          await rt.store.submissions.releaseLease(key, inv.owner, rt.now() + rt.settings.bootGraceMs);
          await rt.queue.send({ v: 1, project: key.project, cluster: key.cluster, job: key.job, submissionId: key.id, reason: 'continue' });
          return 'continued';
        }
      }
      await sink.finish();
      if (spec.driver[VERIFY_INPUT] === 'true') {
        const verification = await verifyCopy({ spec, fromLink: fromLink.inputs, toLink: toLink.inputs, from, to, run, schema: source.schema, chunkRows });
        if (!verification.matched) {
          const { source: s, destination: d } = verification;
          await end(rt, key, inv.owner, 'FAILED', {
            progress: -1,
            counters: counters(cp),
            verification,
            errorSummary: `Verification failed: the source has ${s.rows} rows (checksum ${s.checksum}), the destination ${d.rows} (checksum ${d.checksum}).`,
          });
          return 'failed';
        }
        await end(rt, key, inv.owner, 'SUCCEEDED', { progress: 100, counters: counters(cp), verification });
        return 'succeeded';
      }
      await end(rt, key, inv.owner, 'SUCCEEDED', { progress: 100, counters: counters(cp) });
      return 'succeeded';
    } finally {
      await sink.close();
    }
  } finally {
    await source.close();
  }
}

/** Tallies the source again and the destination as written: rows and checksum must match. */
async function verifyCopy(c: {
  spec: Submission['spec'];
  fromLink: InputMap;
  toLink: InputMap;
  from: InputMap;
  to: InputMap;
  run: RunKey;
  schema: TableSchema;
  chunkRows: number;
}): Promise<Verification> {
  const toConnector = connectorFor(c.spec.toConnector);
  if (!toConnector.readBack) throw errors.invalidParameter(`ferryConfig.verify: ${toConnector.name} destinations cannot be read back yet.`);
  const sides = [
    { connector: connectorFor(c.spec.fromConnector), link: c.fromLink, from: c.from },
    { connector: toConnector, link: c.toLink, from: toConnector.readBack(c.to, c.schema) },
  ];
  const [source, destination] = await Promise.all(
    sides.map(async ({ connector, link, from }) => {
      const reader = await connector.openSource!({ link, from, run: c.run });
      try {
        return await tally(reader, c.chunkRows);
      } finally {
        await reader.close();
      }
    }),
  );
  return { source: source!, destination: destination!, matched: source!.rows === destination!.rows && source!.checksum === destination!.checksum };
}

/** The job's inputs with macros resolved; an error names the input. */
function resolveInputs(inputs: InputMap, ctx: MacroContext): InputMap {
  return Object.fromEntries(Object.entries(inputs).map(([name, value]) => [name, withPath(name, () => resolveMacros(value, ctx))]));
}

/** A table job's counters: rows and bytes read; file counters do not apply (-1). */
function tableCounters(cp: Checkpoint): Counters {
  return {
    ...EMPTY_COUNTERS,
    rowsRead: cp.rowsRead,
    rowsWritten: cp.rowsWritten,
    rowsWrittenSkipped: cp.rowsRead - cp.rowsWritten,
    bytesRead: cp.bytesRead,
  };
}

async function end(
  rt: Runtime,
  key: SubmissionKey,
  owner: string,
  status: 'SUCCEEDED' | 'FAILED',
  fields: { progress: number; counters?: Counters; errorSummary?: string; errorDetails?: string; verification?: Verification },
): Promise<void> {
  const ok = await rt.store.submissions.finish(key, status, { now: rt.now(), by: 'ferry-executor', ...fields }, { owner });
  if (!ok) throw new LeaseLostError();
  await rt.store.jobs.release(key.project, key.cluster, key.job, key.id, status);
  await releaseSlot(rt, key);
}

async function fail(rt: Runtime, key: SubmissionKey, owner: string, e: unknown): Promise<void> {
  try {
    await end(rt, key, owner, 'FAILED', { progress: -1, errorSummary: describeError(e), errorDetails: causeChain(e) });
  } catch (lost) {
    if (!(lost instanceof LeaseLostError)) throw lost;
  }
}

/** Every message down the cause chain: what a user needs to act on a failure. */
function causeChain(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e; c && parts.length < 5; c = (c as { cause?: unknown }).cause) {
    parts.push(c instanceof CdmError ? `${c.code}: ${c.message}` : c instanceof Error ? c.message : String(c));
  }
  return parts.join(' <- ');
}
