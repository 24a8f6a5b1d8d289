// Clusters: one item each under the project.
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Cluster } from '../model/cluster';
import { fromItem, keys, queryAll, type TableRef } from './table';

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
    list(project: string): Promise<Cluster[]> {
      return queryAll<Cluster>(t, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.cluster(project, '').pk, ':prefix': keys.clusterPrefix },
      });
    },
  };
}
