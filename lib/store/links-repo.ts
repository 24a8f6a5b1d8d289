// Links: one item each under the cluster.
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { errors } from '../errors';
import type { Link } from '../model/link';
import { fromItem, ifCondition, isConditionFailure, keys, queryAll, type TableRef } from './table';

export function linksRepo(t: TableRef) {
  return {
    /** Creates a link; a link of that name already there is Cdm.0315. */
    async create(link: Link): Promise<void> {
      try {
        await t.doc.send(
          new PutCommand({
            TableName: t.name,
            Item: { ...keys.link(link.project, link.cluster, link.name), ...link },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (e) {
        if (isConditionFailure(e)) throw errors.linkExists(link.name);
        throw e;
      }
    },
    /** Replaces a link's connection settings; false when it does not exist. */
    async update(link: Link): Promise<boolean> {
      const put = new PutCommand({
        TableName: t.name,
        Item: { ...keys.link(link.project, link.cluster, link.name), ...link },
        ConditionExpression: 'attribute_exists(pk)',
      });
      return (await ifCondition(t.doc.send(put))) !== false;
    },

    async delete(project: string, cluster: string, name: string): Promise<boolean> {
      const del = new DeleteCommand({ TableName: t.name, Key: keys.link(project, cluster, name), ConditionExpression: 'attribute_exists(pk)' });
      return (await ifCondition(t.doc.send(del))) !== false;
    },

    list(project: string, cluster: string): Promise<Link[]> {
      return queryAll<Link>(t, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.link(project, cluster, '').pk, ':prefix': 'LINK#' },
      });
    },

    async get(project: string, cluster: string, name: string): Promise<Link | undefined> {
      const r = await t.doc.send(
        new GetCommand({ TableName: t.name, Key: keys.link(project, cluster, name), ConsistentRead: true }),
      );
      return fromItem<Link>(r.Item);
    },
  };
}
