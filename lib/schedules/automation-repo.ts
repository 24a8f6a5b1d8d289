// What starts a job without a caller, kept in Ferry's table beside the jobs:
//
// | item | pk | sk | holds |
// |---|---|---|---|
// | automation | `AUTOMATION` | `P#{project}#C#{cluster}#J#{job}` | schedule, S3 binding, skipped ticks, pending retry, coalesced events |
// | S3 binding | `S3#{bucket}` | same as above | prefix/suffix: the S3 handler's lookup by bucket |
//
// The job's driver inputs are the truth; these items are derived from them when the job
// is saved (sync.ts). One `AUTOMATION` partition lets the embedded scheduler read every
// schedule back with one query on start; it holds one small item per automated job.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRef } from '../jobs/start-job';
import type { SubmissionKey } from '../store/submissions-repo';
import { fromItem, ifCondition, keys, queryAll, setAll, type TableRef } from '../store/table';
import type { ScheduleSpec } from './schedule-spec';

export interface S3Binding {
  bucket: string;
  /** Object keys must start with this ('' = any). */
  prefix: string;
  /** …and end with this ('' = any). */
  suffix: string;
}

export interface Skip {
  at: number;
  kind: 'schedule' | 'retry';
  /** The run that was still going. */
  activeSubmissionId?: number;
  reason: string;
}

export interface PendingRetry {
  of: number;
  attempt: number;
  at: number;
}

/** Object-created events that arrived while the job ran: one follow-up run takes them all. */
export interface PendingEvents {
  bucket: string;
  /** Distinct keys, at most MAX_PENDING_KEYS of them (the follow-up's `s3.keys`). */
  keys: string[];
  /** Every event counted, listed or not. */
  count: number;
  lastKey: string;
  since: number;
}

export interface Automation {
  ref: JobRef;
  schedule?: ScheduleSpec;
  s3?: S3Binding;
  /** Ticks skipped because the previous run was still going (CDM runs one at a time). */
  skipped?: number;
  lastSkip?: Skip;
  retry?: PendingRetry;
  pending?: PendingEvents;
}

/** CDM's inputDirectory takes at most 50 `|`-separated paths; a follow-up lists as many keys. */
export const MAX_PENDING_KEYS = 50;

const AUTOMATION = 'AUTOMATION';
const sk = (r: JobRef) => `P#${r.project}#C#${r.cluster}#J#${r.job}`;
const automationKey = (r: JobRef) => ({ pk: AUTOMATION, sk: sk(r) });
const bindingKey = (bucket: string, r: JobRef) => ({ pk: `S3#${bucket}`, sk: sk(r) });

/** The stored item: an Automation whose pending events are flattened into attributes that can be added to atomically. */
interface Item extends Omit<Automation, 'pending'> {
  pendingKeys?: Set<string>;
  pendingCount?: number;
  pendingBucket?: string;
  pendingLastKey?: string;
  pendingSince?: number;
}

function toAutomation(item: Item): Automation {
  const { pendingKeys, pendingCount, pendingBucket, pendingLastKey, pendingSince, ...rest } = item;
  return {
    ...rest,
    ...(pendingCount
      ? { pending: { bucket: pendingBucket!, keys: [...(pendingKeys ?? [])].sort(), count: pendingCount, lastKey: pendingLastKey!, since: pendingSince! } }
      : {}),
  };
}

export function automationRepo(t: TableRef) {
  const update = (ref: JobRef, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>) =>
    t.doc.send(new UpdateCommand({ TableName: t.name, Key: automationKey(ref), ...input }));

  return {
    async get(ref: JobRef): Promise<Automation | undefined> {
      const r = await t.doc.send(new GetCommand({ TableName: t.name, Key: automationKey(ref), ConsistentRead: true }));
      const item = fromItem<Item>(r.Item);
      return item && toAutomation(item);
    },

    /**
     * Records what the job's inputs now say (schedule, S3 binding; undefined = none) and
     * moves its S3 binding item. Skip counts and pending events stay.
     */
    async save(ref: JobRef, what: { schedule?: ScheduleSpec; s3?: S3Binding }): Promise<void> {
      const sets = ['#ref = :ref'];
      const removes: string[] = [];
      const values: Record<string, unknown> = { ':ref': ref };
      for (const name of ['schedule', 's3'] as const) {
        if (what[name]) (sets.push(`#${name} = :${name}`), (values[`:${name}`] = what[name]));
        else removes.push(`#${name}`);
      }
      const r = await update(ref, {
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ExpressionAttributeNames: { '#ref': 'ref', '#schedule': 'schedule', '#s3': 's3' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      });
      const old = (r.Attributes as Item | undefined)?.s3;
      if (old && old.bucket !== what.s3?.bucket) {
        await t.doc.send(new DeleteCommand({ TableName: t.name, Key: bindingKey(old.bucket, ref) }));
      }
      if (what.s3) await t.doc.send(new PutCommand({ TableName: t.name, Item: { ...bindingKey(what.s3.bucket, ref), ref, ...what.s3 } }));
    },

    /** Forgets the job (deleted): its automation item and S3 binding. */
    async remove(ref: JobRef): Promise<void> {
      const r = await t.doc.send(new DeleteCommand({ TableName: t.name, Key: automationKey(ref), ReturnValues: 'ALL_OLD' }));
      const old = (r.Attributes as Item | undefined)?.s3;
      if (old) await t.doc.send(new DeleteCommand({ TableName: t.name, Key: bindingKey(old.bucket, ref) }));
    },

    /** Jobs with a schedule or a pending retry: what the embedded scheduler arms on start. */
    async listArmed(): Promise<Automation[]> {
      const items = await queryAll<Item>(t, {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': AUTOMATION },
        ConsistentRead: true,
      });
      return items.filter((i) => i.schedule || i.retry).map(toAutomation);
    },

    /** Jobs bound to object-created events in `bucket` (prefix and suffix are matched by the caller). */
    bindings(bucket: string): Promise<(S3Binding & { ref: JobRef })[]> {
      return queryAll(t, { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `S3#${bucket}` }, ConsistentRead: true });
    },

    /** Counts a skipped tick; a job deleted meanwhile is not brought back. */
    async recordSkip(ref: JobRef, skip: Skip): Promise<void> {
      await ifCondition(
        update(ref, {
          UpdateExpression: 'SET lastSkip = :skip ADD skipped :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':skip': skip, ':one': 1 },
        }),
      );
    },

    async setRetry(ref: JobRef, retry: PendingRetry | undefined): Promise<void> {
      await ifCondition(
        update(ref, {
          ...(retry
            ? { UpdateExpression: 'SET #ref = :ref, retry = :retry', ExpressionAttributeNames: { '#ref': 'ref' }, ExpressionAttributeValues: { ':ref': ref, ':retry': retry } }
            : { UpdateExpression: 'REMOVE retry', ConditionExpression: 'attribute_exists(pk)' }),
        }),
      );
    },

    /**
     * Adds one object-created event to the job's pending follow-up. The key is listed
     * while fewer than MAX_PENDING_KEYS are; every event is counted.
     */
    async addPending(ref: JobRef, e: { bucket: string; key: string; now: number }): Promise<void> {
      const names = { '#ref': 'ref' };
      const base = {
        ':ref': ref,
        ':bucket': e.bucket,
        ':key': e.key,
        ':now': e.now,
        ':one': 1,
      };
      const sets = 'SET #ref = :ref, pendingBucket = :bucket, pendingLastKey = :key, pendingSince = if_not_exists(pendingSince, :now)';
      const listed = await ifCondition(
        update(ref, {
          UpdateExpression: `${sets} ADD pendingCount :one, pendingKeys :keys`,
          ConditionExpression: 'attribute_not_exists(pendingKeys) OR size(pendingKeys) < :max OR contains(pendingKeys, :key)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...base, ':keys': new Set([e.key]), ':max': MAX_PENDING_KEYS },
        }),
      );
      if (listed === false) await update(ref, { UpdateExpression: `${sets} ADD pendingCount :one`, ExpressionAttributeNames: names, ExpressionAttributeValues: base });
    },

    /** Takes the pending events off the job, atomically: of two callers, one gets them. */
    async takePending(ref: JobRef): Promise<PendingEvents | undefined> {
      const r = await ifCondition(
        update(ref, {
          UpdateExpression: 'REMOVE pendingKeys, pendingCount, pendingBucket, pendingLastKey, pendingSince',
          ConditionExpression: 'attribute_exists(pendingCount)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      return r === false ? undefined : toAutomation(r.Attributes as Item).pending;
    },

    /** Puts taken events back (their follow-up could not start). */
    async restorePending(ref: JobRef, p: PendingEvents, now: number): Promise<void> {
      for (const key of p.keys.length ? p.keys : [p.lastKey]) await this.addPending(ref, { bucket: p.bucket, key, now });
      const extra = p.count - Math.max(1, p.keys.length);
      if (extra > 0) await update(ref, { UpdateExpression: 'ADD pendingCount :n', ExpressionAttributeValues: { ':n': extra } });
    },

    /** Writes retry bookkeeping onto a submission item (Ferry's addition; CDM has no field for it). */
    async noteOnSubmission(k: SubmissionKey, fields: Record<string, number>): Promise<void> {
      await ifCondition(
        t.doc.send(
          new UpdateCommand({
            TableName: t.name,
            Key: keys.submission(k.project, k.cluster, k.job, k.id),
            ...setAll(fields),
            ConditionExpression: 'attribute_exists(pk)',
          }),
        ),
      );
    },
  };
}

export type AutomationRepo = ReturnType<typeof automationRepo>;
