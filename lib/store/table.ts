// Ferry's single DynamoDB table: key layout, the sparse GSI the reaper reads, and the
// table definition (used by the embedded runtime; serverless.yml declares the same).
import { ConditionalCheckFailedException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

export interface TableRef {
  readonly doc: DynamoDBDocumentClient;
  readonly name: string;
}

export const keys = {
  cluster: (project: string, id: string) => ({ pk: `P#${project}`, sk: `CLUSTER#${id}` }),
  clusterPrefix: 'CLUSTER#',
  link: (project: string, cluster: string, name: string) => ({ pk: `P#${project}#C#${cluster}`, sk: `LINK#${name}` }),
  job: (project: string, cluster: string, name: string) => ({ pk: `P#${project}#C#${cluster}`, sk: `JOB#${name}` }),
  /** Zero-padded so that submissions sort by id. */
  submission: (project: string, cluster: string, job: string, id: number) => ({
    pk: `P#${project}#C#${cluster}#J#${job}`,
    sk: `SUB#${String(id).padStart(10, '0')}`,
  }),
  submissionPrefix: 'SUB#',
  /** Beside its submission, under a prefix of its own so submission queries never meet it. */
  partition: (project: string, cluster: string, job: string, id: number, n: number) => ({
    pk: `P#${project}#C#${cluster}#J#${job}`,
    sk: `RUN#${String(id).padStart(10, '0')}#PART#${String(n).padStart(4, '0')}`,
  }),
};

/** Sparse GSI: only BOOTING/RUNNING submissions carry gsi1pk; gsi1sk is when they go stale. */
export const ACTIVE_INDEX = 'gsi1';
export const ACTIVE = 'ACTIVE';

export function tableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: ACTIVE_INDEX,
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}

export function isConditionFailure(e: unknown): boolean {
  return (
    e instanceof ConditionalCheckFailedException ||
    (e instanceof Error && e.name === 'ConditionalCheckFailedException')
  );
}

/** Strips the key attributes off an item to get the domain object back. */
export function fromItem<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest as T;
}

/** Time as a sortable GSI sort key. */
export const isoKey = (ms: number) => new Date(ms).toISOString();

/** Every item a query returns, following pages, with the key attributes stripped. */
export async function queryAll<T>(t: TableRef, input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<T[]> {
  const out: T[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const r = await t.doc.send(new QueryCommand({ ...input, TableName: t.name, ExclusiveStartKey: start }));
    for (const item of r.Items ?? []) out.push(fromItem<T>(item)!);
    start = r.LastEvaluatedKey;
  } while (start);
  return out;
}

/**
 * `SET` for every field of `values`, each name aliased: attribute names like `extended`
 * or `from` are DynamoDB reserved words, and aliasing all of them keeps that rule in one place.
 */
export function setAll(values: Record<string, unknown>) {
  const entries = Object.entries(values);
  return {
    UpdateExpression: `SET ${entries.map((_, i) => `#s${i} = :s${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#s${i}`, k])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:s${i}`, v])),
  };
}

/** Runs a conditional write: its result, or false when the condition did not hold. */
export async function ifCondition<R>(write: Promise<R>): Promise<R | false> {
  try {
    return await write;
  } catch (e) {
    if (isConditionFailure(e)) return false;
    throw e;
  }
}
