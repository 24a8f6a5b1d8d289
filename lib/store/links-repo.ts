// Links: one item each under the cluster.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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
    async get(project: string, cluster: string, name: string): Promise<Link | undefined> {
      const r = await t.doc.send(
        new GetCommand({ TableName: t.name, Key: keys.link(project, cluster, name), ConsistentRead: true }),
      );
      return fromItem<Link>(r.Item);
    },
  };
}
