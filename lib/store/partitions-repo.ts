// Partitions: the slices of one run that executor invocations copy in parallel. One
// item each beside the submission, written once at planning; afterwards each has its
// own lease, so two invocations never copy the same slice, and its own counters, which
// add up to the run's.
import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { InputMap } from '../model/config-values';
import type { Counters } from '../model/submission';
import type { SubmissionKey } from './submissions-repo';
import { fromItem, ifCondition, keys, queryAll, type TableRef } from './table';

export type PartitionState = 'PENDING' | 'DONE' | 'FAILED';

export interface Partition {
  n: number;
  /** The source inputs that read exactly this slice (macros resolved, range in the where clause). */
  from: InputMap;
  state: PartitionState;
  rowsRead: number;
  rowsWritten: number;
  bytesRead: number;
  extra?: Partial<Counters>;
  leaseOwner?: string;
  leaseUntil?: number;
}

export interface PartitionCounts {
  rowsRead: number;
  rowsWritten: number;
  bytesRead: number;
  /** Counters a connector reports itself (files, bytes written). */
  extra?: Partial<Counters>;
}

const keyOf = (k: SubmissionKey, n: number) => keys.partition(k.project, k.cluster, k.job, k.id, n);

export function partitionsRepo(t: TableRef) {
  const conditional = (cmd: UpdateCommand) => ifCondition(t.doc.send(cmd).then((r) => r.Attributes ?? {}));

  return {
    /** Writes the plan's partitions (planning is repeated only if it never completed, so overwriting is safe). */
    async create(k: SubmissionKey, froms: InputMap[]): Promise<void> {
      const items = froms.map((from, n) => ({
        ...keyOf(k, n),
        n,
        from,
        state: 'PENDING',
        rowsRead: 0,
        rowsWritten: 0,
        bytesRead: 0,
      }));
      for (let i = 0; i < items.length; i += 25) {
        let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
        while (pending.length) {
          const r = await t.doc.send(new BatchWriteCommand({ RequestItems: { [t.name]: pending } }));
          pending = (r.UnprocessedItems?.[t.name] ?? []) as typeof pending;
        }
      }
    },

    list(k: SubmissionKey): Promise<Partition[]> {
      const { pk, sk } = keys.partition(k.project, k.cluster, k.job, k.id, 0);
      return queryAll<Partition>(t, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': sk.slice(0, sk.lastIndexOf('#') + 1) },
        ConsistentRead: true,
      });
    },

    /** Takes a pending partition's lease if it is free, expired or already `owner`'s. */
    async acquire(k: SubmissionKey, n: number, owner: string, now: number, until: number): Promise<Partition | undefined> {
      const r = await conditional(
        new UpdateCommand({
          TableName: t.name,
          Key: keyOf(k, n),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression:
            'attribute_exists(pk) AND #state = :pending AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':owner': owner, ':until': until, ':now': now, ':pending': 'PENDING' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return r ? fromItem<Partition>(r) : undefined;
    },

    /** After a chunk: its counts (from the sink's checkpoint) and a renewed lease; false when the lease was lost. */
    async heartbeat(k: SubmissionKey, n: number, owner: string, counts: PartitionCounts, until: number): Promise<boolean> {
      return (
        (await conditional(
          new UpdateCommand({
            TableName: t.name,
            Key: keyOf(k, n),
            UpdateExpression: 'SET rowsRead = :r, rowsWritten = :w, bytesRead = :b, extra = :x, leaseUntil = :until',
            ConditionExpression: 'leaseOwner = :owner AND #state = :pending',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':r': counts.rowsRead,
              ':w': counts.rowsWritten,
              ':b': counts.bytesRead,
              ':x': counts.extra ?? {},
              ':until': until,
              ':owner': owner,
              ':pending': 'PENDING',
            },
          }),
        )) !== false
      );
    },

    /** Hands the lease back (a continuation takes over). */
    async release(k: SubmissionKey, n: number, owner: string): Promise<void> {
      await conditional(
        new UpdateCommand({
          TableName: t.name,
          Key: keyOf(k, n),
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    },

    /** PENDING → DONE or FAILED, by the lease holder only; false when it no longer holds it. */
    async end(k: SubmissionKey, n: number, owner: string, state: 'DONE' | 'FAILED', counts?: PartitionCounts): Promise<boolean> {
      const values: Record<string, unknown> = { ':state': state, ':owner': owner, ':pending': 'PENDING' };
      let update = 'SET #state = :state REMOVE leaseOwner, leaseUntil';
      if (counts) {
        update = 'SET #state = :state, rowsRead = :r, rowsWritten = :w, bytesRead = :b, extra = :x REMOVE leaseOwner, leaseUntil';
        Object.assign(values, { ':r': counts.rowsRead, ':w': counts.rowsWritten, ':b': counts.bytesRead, ':x': counts.extra ?? {} });
      }
      return (
        (await conditional(
          new UpdateCommand({
            TableName: t.name,
            Key: keyOf(k, n),
            UpdateExpression: update,
            ConditionExpression: 'leaseOwner = :owner AND #state = :pending',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: values,
          }),
        )) !== false
      );
    },
  };
}
