// Clusters: one item each under the project.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Cluster } from '../model/cluster';
import { fromItem, ifCondition, keys, queryAll, type TableRef } from './table';

export function clustersRepo(t: TableRef) {
  return {
    async put(c: Cluster): Promise<void> {
      await t.doc.send(new PutCommand({ TableName: t.name, Item: { ...keys.cluster(c.project, c.id), ...c } }));
    },
    async get(project: string, id: string): Promise<Cluster | undefined> {
      const r = await t.doc.send(new GetCommand({ TableName: t.name, Key: keys.cluster(project, id), ConsistentRead: true }));
      return fromItem<Cluster>(r.Item);
    },
    async delete(project: string, id: string): Promise<void> {
      await t.doc.send(new DeleteCommand({ TableName: t.name, Key: keys.cluster(project, id) }));
    },
    /**
     * Adds `holder` to the cluster's running set unless it already holds `max` others;
     * true when it holds a slot. One conditional update, so concurrent takers cannot overfill.
     */
    async takeSlot(project: string, id: string, holder: string, max: number): Promise<boolean> {
      const update = new UpdateCommand({
        TableName: t.name,
        Key: keys.cluster(project, id),
        UpdateExpression: 'ADD running :holders',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(running) OR size(running) < :max OR contains(running, :holder))',
        ExpressionAttributeValues: { ':holders': new Set([holder]), ':holder': holder, ':max': max },
      });
      return (await ifCondition(t.doc.send(update))) !== false;
    },
    async releaseSlot(project: string, id: string, holder: string): Promise<void> {
      await t.doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: keys.cluster(project, id),
          UpdateExpression: 'DELETE running :holders',
          ExpressionAttributeValues: { ':holders': new Set([holder]) },
        }),
      );
    },
    async slotHolders(project: string, id: string): Promise<string[]> {
      const r = await t.doc.send(
        new GetCommand({ TableName: t.name, Key: keys.cluster(project, id), ConsistentRead: true, ProjectionExpression: 'running' }),
      );
      return [...((r.Item?.running as Set<string> | undefined) ?? [])];
    },
    list(project: string): Promise<Cluster[]> {
      return queryAll<Cluster>(t, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.cluster(project, '').pk, ':prefix': keys.clusterPrefix },
      });
    },
  };
}
