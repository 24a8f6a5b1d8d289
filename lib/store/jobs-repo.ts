// Jobs: one item each under the cluster. The job item is also the lock that allows one
// active submission at a time, and the counter that hands out submission ids.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { errors } from '../errors';
import type { Job, JobSpec } from '../model/job';
import { fromItem, ifCondition, isConditionFailure, keys, queryAll, setAll, type TableRef } from './table';

export function jobsRepo(t: TableRef) {
  return {
    /** Creates a job; a job of that name already there is Cdm.0104. */
    async create(job: Job): Promise<void> {
      try {
        await t.doc.send(
          new PutCommand({
            TableName: t.name,
            Item: { ...keys.job(job.project, job.cluster, job.name), ...job },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (e) {
        if (isConditionFailure(e)) throw errors.jobExists(job.name);
        throw e;
      }
    },

    async get(project: string, cluster: string, name: string): Promise<Job | undefined> {
      const r = await t.doc.send(
        new GetCommand({ TableName: t.name, Key: keys.job(project, cluster, name), ConsistentRead: true }),
      );
      return fromItem<Job>(r.Item);
    },

    /**
     * Claims the job for a new submission and allocates its id, in one conditional
     * write: the condition (no active submission) is what makes a second concurrent
     * start fail instead of running twice. Returns the job as claimed (its
     * `activeSubmissionId` is the new id), or undefined when it is missing or already active.
     */
    async claim(project: string, cluster: string, name: string, now: number): Promise<Job | undefined> {
      try {
        const r = await t.doc.send(
          new UpdateCommand({
            TableName: t.name,
            Key: keys.job(project, cluster, name),
            UpdateExpression:
              'SET lastSubmissionId = lastSubmissionId + :one, activeSubmissionId = lastSubmissionId + :one, activeSince = :now, lastStatus = :booting',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(activeSubmissionId)',
            ExpressionAttributeValues: { ':one': 1, ':now': now, ':booting': 'BOOTING' },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return fromItem<Job>(r.Attributes);
      } catch (e) {
        if (isConditionFailure(e)) return undefined;
        throw e;
      }
    },

    /** Replaces what the job says to do; its run state (ids, active run) is kept. */
    async update(project: string, cluster: string, spec: JobSpec, by: string, now: number): Promise<boolean> {
      const { name: _name, ...fields } = spec;
      const update = new UpdateCommand({
        TableName: t.name,
        Key: keys.job(project, cluster, spec.name),
        ...setAll({ ...fields, updatedAt: now, updatedBy: by }),
        ConditionExpression: 'attribute_exists(pk)',
      });
      return (await ifCondition(t.doc.send(update))) !== false;
    },

    /** Deletes an idle job. 'running' when it has an active run, 'missing' when there is none. */
    async delete(project: string, cluster: string, name: string): Promise<'deleted' | 'running' | 'missing'> {
      try {
        await t.doc.send(
          new DeleteCommand({
            TableName: t.name,
            Key: keys.job(project, cluster, name),
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(activeSubmissionId)',
          }),
        );
        return 'deleted';
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        return (await this.get(project, cluster, name)) ? 'running' : 'missing';
      }
    },

    /** Every job of a cluster, by name. */
    list(project: string, cluster: string): Promise<Job[]> {
      return queryAll<Job>(t, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.job(project, cluster, '').pk, ':prefix': 'JOB#' },
        ConsistentRead: true,
      });
    },

    /**
     * Moves the high-water mark from `from` (undefined: none yet, or for another column) to
     * `to`. Idempotent: a run finished twice finds the mark already at `to`.
     */
    async advanceMark(project: string, cluster: string, name: string, column: string, from: string | undefined, to: string): Promise<boolean> {
      const r = await ifCondition(
        t.doc.send(
          new UpdateCommand({
            TableName: t.name,
            Key: keys.job(project, cluster, name),
            UpdateExpression: 'SET incrementalColumn = :column, incrementalMark = :to',
            ConditionExpression:
              from === undefined
                ? 'attribute_exists(pk) AND (attribute_not_exists(incrementalMark) OR incrementalColumn <> :column OR incrementalMark = :to)'
                : 'attribute_exists(pk) AND incrementalColumn = :column AND incrementalMark IN (:from, :to)',
            ExpressionAttributeValues: { ':column': column, ':to': to, ...(from === undefined ? {} : { ':from': from }) },
          }),
        ),
      );
      return r !== false;
    },

    /** Ends the claim of submission `id` (only that one's), recording how it ended. */
    async release(project: string, cluster: string, name: string, id: number, status: string): Promise<void> {
      // A failed condition means already released (a duplicate delivery finishing twice): nothing to do.
      await ifCondition(
        t.doc.send(
          new UpdateCommand({
            TableName: t.name,
            Key: keys.job(project, cluster, name),
            UpdateExpression: 'REMOVE activeSubmissionId, activeSince SET lastStatus = :status',
            ConditionExpression: 'activeSubmissionId = :id',
            ExpressionAttributeValues: { ':id': id, ':status': status },
          }),
        ),
      );
    },
  };
}
