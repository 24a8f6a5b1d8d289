// Submissions: one item per run under the job, ids zero-padded so they sort.
//
// Every write after creation is conditional on the status (the status machine in
// model/status.ts) and, while running, on holding the lease, so a stale executor can
// never overwrite the work of the one that took over.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Counters, IncrementalWindow, PartitionProgress, Submission, Verification } from '../model/submission';
import { sourcesOf, type SubmissionStatus } from '../model/status';
import { ACTIVE, ACTIVE_INDEX, fromItem, ifCondition, isoKey, keys, queryAll, type TableRef } from './table';

export interface SubmissionKey {
  project: string;
  cluster: string;
  job: string;
  id: number;
}

const keyOf = (s: SubmissionKey) => keys.submission(s.project, s.cluster, s.job, s.id);

/** What planning decides once per run. */
export interface Plan {
  estimate: number;
  partitions: number;
  incremental?: IncrementalWindow;
}

/** What a run's end records besides its status. */
export interface EndFields {
  progress: number;
  counters?: Counters;
  errorSummary?: string;
  errorDetails?: string;
  verification?: Verification;
  partitions?: PartitionProgress[];
}

export interface ProgressUpdate {
  progress: number;
  counters: Counters;
  /** Each partition's state and rows, shown on the status while the run goes. */
  partitions: PartitionProgress[];
  now: number;
  /** When the run counts as stalled unless another heartbeat comes. */
  staleAt: number;
}

export function submissionsRepo(t: TableRef) {
  /** Runs an update: the attributes it returns, or false when its condition did not hold. */
  const conditional = async (cmd: UpdateCommand) => ifCondition(t.doc.send(cmd).then((r) => r.Attributes ?? {}));
  async function get(k: SubmissionKey): Promise<Submission | undefined> {
    const r = await t.doc.send(new GetCommand({ TableName: t.name, Key: keyOf(k), ConsistentRead: true }));
    return fromItem<Submission>(r.Item);
  }

  return {
    /** Puts a new BOOTING submission; it is stale (for the reaper) once `staleAt` passes. */
    async create(s: Submission, staleAt: number): Promise<void> {
      await t.doc.send(
        new PutCommand({
          TableName: t.name,
          Item: { ...keyOf(s), ...s, gsi1pk: ACTIVE, gsi1sk: isoKey(staleAt) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    get,

    /** Newest first. */
    async listForJob(project: string, cluster: string, job: string, limit: number): Promise<Submission[]> {
      const r = await t.doc.send(
        new QueryCommand({
          TableName: t.name,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.submission(project, cluster, job, 0).pk, ':prefix': keys.submissionPrefix },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      );
      return (r.Items ?? []).map((i) => fromItem<Submission>(i)!);
    },

    /**
     * Takes the lease for `owner` if it is free, expired, or already `owner`'s, and the
     * run is still active. Returns the submission as it now stands, or undefined.
     */
    async acquireLease(k: SubmissionKey, owner: string, now: number, until: number): Promise<Submission | undefined> {
      const leaseFree = '(attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)';
      const active = '#status IN (:booting, :running)';
      const r = await conditional(
        new UpdateCommand({
          TableName: t.name,
          Key: keyOf(k),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, gsi1sk = :stale',
          ConditionExpression: `attribute_exists(pk) AND ${active} AND ${leaseFree}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':now': now,
            ':until': until,
            ':stale': isoKey(until),
            ':booting': 'BOOTING',
            ':running': 'RUNNING',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return r ? fromItem<Submission>(r) : undefined;
    },

    /** BOOTING → RUNNING, by the lease holder. */
    async markRunning(k: SubmissionKey, owner: string, now: number): Promise<boolean> {
      return (
        (await conditional(
          new UpdateCommand({
            TableName: t.name,
            Key: keyOf(k),
            UpdateExpression: 'SET #status = :running, executeAt = :now, updatedAt = :now, progress = :zero',
            ConditionExpression: '#status = :booting AND leaseOwner = :owner',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':running': 'RUNNING', ':booting': 'BOOTING', ':owner': owner, ':now': now, ':zero': 0 },
          }),
        )) !== false
      );
    },

    /** Records the plan (estimate, partitions, incremental window) once, so a resumed run neither re-plans nor re-prepares. */
    async markPlanned(k: SubmissionKey, owner: string, plan: Plan, now: number): Promise<boolean> {
      return (
        (await conditional(
          new UpdateCommand({
            TableName: t.name,
            Key: keyOf(k),
            UpdateExpression: `SET planned = :true, estimate = :estimate, partitionCount = :parts, updatedAt = :now${plan.incremental ? ', #inc = :inc' : ''}`,
            ConditionExpression: 'leaseOwner = :owner AND #status = :running',
            // `incremental` is a DynamoDB reserved word.
            ExpressionAttributeNames: { '#status': 'status', ...(plan.incremental ? { '#inc': 'incremental' } : {}) },
            ExpressionAttributeValues: {
              ':true': true,
              ':estimate': plan.estimate,
              ':parts': plan.partitions,
              ':owner': owner,
              ':running': 'RUNNING',
              ':now': now,
              ...(plan.incremental ? { ':inc': plan.incremental } : {}),
            },
          }),
        )) !== false
      );
    },

    /**
     * After a chunk of any partition: the run's progress and counters, and its stale time
     * pushed out. Progress never goes backwards: an update that would lower it (a partition
     * reporting a sum older than another's) is dropped. Returns the run as it now stands
     * (callers read `status` and `stopRequested`).
     */
    async recordProgress(k: SubmissionKey, u: ProgressUpdate): Promise<Submission | undefined> {
      const r = await conditional(
        new UpdateCommand({
          TableName: t.name,
          Key: keyOf(k),
          UpdateExpression: 'SET progress = :progress, counters = :counters, #parts = :parts, updatedAt = :now, gsi1sk = :stale',
          ConditionExpression: '#status = :running AND progress <= :progress',
          ExpressionAttributeNames: { '#status': 'status', '#parts': 'partitions' },
          ExpressionAttributeValues: {
            ':progress': u.progress,
            ':counters': u.counters,
            ':parts': u.partitions,
            ':now': u.now,
            ':stale': isoKey(u.staleAt),
            ':running': 'RUNNING',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return r ? fromItem<Submission>(r) : get(k);
    },

    /** Hands the lease back (continuation): the next invocation may take it at once. */
    async releaseLease(k: SubmissionKey, owner: string, staleAt: number): Promise<void> {
      await conditional(
        new UpdateCommand({
          TableName: t.name,
          Key: keyOf(k),
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil SET gsi1sk = :stale',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':stale': isoKey(staleAt) },
        }),
      );
    },

    /**
     * Moves to a final status and leaves the reaper's index. With `owner`, only the lease
     * holder may; without, any active run may be ended (a failed submit, the reaper).
     */
    async finish(
      k: SubmissionKey,
      to: SubmissionStatus,
      fields: EndFields & { now: number; by: string },
      guard: { owner?: string; from?: SubmissionStatus[] } = {},
    ): Promise<boolean> {
      const owner = guard.owner;
      const from = guard.from ?? sourcesOf(to);
      const values: Record<string, unknown> = {
        ':to': to,
        ':now': fields.now,
        ':by': fields.by,
        ':progress': fields.progress,
        ...Object.fromEntries(from.map((s, i) => [`:from${i}`, s])),
      };
      const sets = ['#status = :to', 'updatedAt = :now', 'updatedBy = :by', 'progress = :progress'];
      if (fields.counters) (sets.push('counters = :counters'), (values[':counters'] = fields.counters));
      if (fields.errorSummary !== undefined) (sets.push('errorSummary = :es'), (values[':es'] = fields.errorSummary));
      if (fields.errorDetails !== undefined) (sets.push('errorDetails = :ed'), (values[':ed'] = fields.errorDetails));
      if (fields.verification) (sets.push('verification = :ver'), (values[':ver'] = fields.verification));
      if (fields.partitions) (sets.push('#parts = :parts'), (values[':parts'] = fields.partitions));
      let condition = `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`;
      if (owner) (condition += ' AND leaseOwner = :owner'), (values[':owner'] = owner);
      return (
        (await conditional(
          new UpdateCommand({
            TableName: t.name,
            Key: keyOf(k),
            UpdateExpression: `SET ${sets.join(', ')} REMOVE gsi1pk, gsi1sk, leaseOwner, leaseUntil`,
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#status': 'status', ...(fields.partitions ? { '#parts': 'partitions' } : {}) },
            ExpressionAttributeValues: values,
          }),
        )) !== false
      );
    },

    /** Asks a BOOTING or RUNNING run to stop; its executor ends it within one chunk. */
    async requestStop(k: SubmissionKey, by: string, now: number): Promise<Submission | undefined> {
      const r = await conditional(
        new UpdateCommand({
          TableName: t.name,
          Key: keyOf(k),
          UpdateExpression: 'SET stopRequested = :true, updatedAt = :now, updatedBy = :by',
          ConditionExpression: '#status IN (:booting, :running)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':true': true, ':now': now, ':by': by, ':booting': 'BOOTING', ':running': 'RUNNING' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return r ? fromItem<Submission>(r) : undefined;
    },

    /** Submissions with ids in [fromId, toId], newest first (ids are dense, so this is a page). */
    async listRange(project: string, cluster: string, job: string, fromId: number, toId: number): Promise<Submission[]> {
      if (toId < fromId || toId < 1) return [];
      const lo = keys.submission(project, cluster, job, Math.max(1, fromId));
      const hi = keys.submission(project, cluster, job, toId);
      const r = await t.doc.send(
        new QueryCommand({
          TableName: t.name,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: { ':pk': lo.pk, ':lo': lo.sk, ':hi': hi.sk },
          ScanIndexForward: false,
          ConsistentRead: true,
        }),
      );
      return (r.Items ?? []).map((i) => fromItem<Submission>(i)!);
    },

    /** Deletes every submission of a job (its history goes with it). */
    async deleteAllForJob(project: string, cluster: string, job: string): Promise<void> {
      // Every item under the job's runs: submissions and their partitions.
      const pk = keys.submission(project, cluster, job, 0).pk;
      let start: Record<string, unknown> | undefined;
      do {
        const r = await t.doc.send(
          new QueryCommand({
            TableName: t.name,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ProjectionExpression: 'pk, sk',
            ExclusiveStartKey: start,
          }),
        );
        for (const item of r.Items ?? []) await t.doc.send(new DeleteCommand({ TableName: t.name, Key: { pk: item.pk, sk: item.sk } }));
        start = r.LastEvaluatedKey;
      } while (start);
    },

    /** Active submissions whose lease (or boot grace) ran out before `now`: the reaper's work list. */
    async listStale(now: number, limit = 100): Promise<SubmissionKey[]> {
      const r = await t.doc.send(
        new QueryCommand({
          TableName: t.name,
          IndexName: ACTIVE_INDEX,
          KeyConditionExpression: 'gsi1pk = :active AND gsi1sk < :now',
          ExpressionAttributeValues: { ':active': ACTIVE, ':now': isoKey(now) },
          Limit: limit,
        }),
      );
      return (r.Items ?? []).map((i) => parseSubmissionKey(i.pk as string, i.sk as string));
    },

    /**
     * Counts a re-queue by the reaper and pushes the stale time out, so one tick re-queues once.
     * Only a run that is stale by its own item: the index the reaper lists from may lag the
     * table (a DynamoDB GSI is eventually consistent), and a run whose heartbeat has moved on,
     * or that has ended, is left alone (-1).
     */
    async noteRequeue(k: SubmissionKey, now: number, staleAt: number): Promise<number> {
      const stale = 'attribute_exists(gsi1pk) AND gsi1sk < :now';
      const active = '#status IN (:booting, :running)';
      const r = await conditional(
        new UpdateCommand({
          TableName: t.name,
          Key: keyOf(k),
          UpdateExpression: 'SET requeues = if_not_exists(requeues, :zero) + :one, gsi1sk = :stale',
          ConditionExpression: `${stale} AND ${active}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':one': 1,
            ':now': isoKey(now),
            ':stale': isoKey(staleAt),
            ':booting': 'BOOTING',
            ':running': 'RUNNING',
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return r ? (r.requeues as number) : -1;
    },
  };
}

export function parseSubmissionKey(pk: string, sk: string): SubmissionKey {
  const m = /^P#(.+)#C#(.+)#J#(.+)$/.exec(pk);
  if (!m) throw new Error(`not a submission key: ${pk}`);
  return { project: m[1]!, cluster: m[2]!, job: m[3]!, id: Number(sk.slice(keys.submissionPrefix.length)) };
}
