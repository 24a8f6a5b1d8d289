// Links: one item each under the cluster.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { errors } from '../errors';
import type { Link } from '../model/link';
import { fromItem, isConditionFailure, keys, type TableRef } from './table';

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
      try {
        await t.doc.send(
          new PutCommand({
            TableName: t.name,
            Item: { ...keys.link(link.project, link.cluster, link.name), ...link },
            ConditionExpression: 'attribute_exists(pk)',
          }),
        );
        return true;
      } catch (e) {
        if (isConditionFailure(e)) return false;
        throw e;
      }
    },

    async delete(project: string, cluster: string, name: string): Promise<boolean> {
      try {
        await t.doc.send(
          new DeleteCommand({ TableName: t.name, Key: keys.link(project, cluster, name), ConditionExpression: 'attribute_exists(pk)' }),
        );
        return true;
      } catch (e) {
        if (isConditionFailure(e)) return false;
        throw e;
      }
    },

    async list(project: string, cluster: string): Promise<Link[]> {
      const out: Link[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const r = await t.doc.send(
          new QueryCommand({
            TableName: t.name,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': keys.link(project, cluster, '').pk, ':prefix': 'LINK#' },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of r.Items ?? []) out.push(fromItem<Link>(item)!);
        start = r.LastEvaluatedKey;
      } while (start);
      return out;
    },

    async get(project: string, cluster: string, name: string): Promise<Link | undefined> {
      const r = await t.doc.send(
        new GetCommand({ TableName: t.name, Key: keys.link(project, cluster, name), ConsistentRead: true }),
      );
      return fromItem<Link>(r.Item);
    },
  };
}
