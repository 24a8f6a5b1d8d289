// Brings dynalite's global secondary indexes back in line with the table after a crash.
//
// dynalite keeps each index entry beside the items in the same LevelDB, but an update
// writes the item's old entry away, its new entry, and the item itself as three separate
// writes. A process killed between them (SIGKILL, a power cut) leaves an entry missing —
// the reaper's index then never lists that run again, and it stays RUNNING for ever — or
// an entry left over, which lists a live run as stale on every tick. Nothing reads the
// index before this runs at start, so it may rewrite items freely.
import type { DynamoDBClient, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { setAll } from '../store/table';

type Item = Record<string, unknown>;

export interface IndexRepair {
  index: string;
  /** Entries the table has no item for (or whose item holds other index keys), now gone. */
  removed: number;
  /** Items whose entry was missing, now written. */
  restored: number;
}

export async function repairIndexes(client: DynamoDBClient, doc: DynamoDBDocumentClient, tableName: string): Promise<IndexRepair[]> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const tableKey = names(Table?.KeySchema);
  const out: IndexRepair[] = [];
  for (const gsi of Table?.GlobalSecondaryIndexes ?? []) {
    out.push(await repairIndex(doc, tableName, tableKey, gsi.IndexName!, names(gsi.KeySchema)));
  }
  return out;
}

async function repairIndex(doc: DynamoDBDocumentClient, table: string, tableKey: string[], index: string, indexKey: string[]) {
  const id = (item: Item) => JSON.stringify(tableKey.map((a) => item[a]));
  const values = (item: Item) => JSON.stringify(indexKey.map((a) => item[a]));
  const attrs = [...tableKey, ...indexKey];
  const projection = {
    ProjectionExpression: attrs.map((_, i) => `#a${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(attrs.map((a, i) => [`#a${i}`, a])),
  };

  // What the table says each item's entry is, and what the index holds.
  const present = new Set<string>();
  const wanted = new Map<string, Item>();
  for (const item of await scanAll(doc, { TableName: table, ...projection })) {
    present.add(id(item));
    if (indexKey.every((a) => item[a] !== undefined)) wanted.set(id(item), item);
  }
  const held = new Map<string, Item[]>();
  for (const entry of await scanAll(doc, { TableName: table, IndexName: index })) {
    held.set(id(entry), [...(held.get(id(entry)) ?? []), entry]);
  }

  const report = { index, removed: 0, restored: 0 };
  for (const key of new Set([...wanted.keys(), ...held.keys()])) {
    const want = wanted.get(key);
    const entries = held.get(key) ?? [];
    const strays = entries.filter((e) => !want || values(e) !== values(want));
    const missing = want !== undefined && !entries.some((e) => values(e) === values(want));
    if (!strays.length && !missing) continue;
    const itemKey = Object.fromEntries(tableKey.map((a) => [a, (want ?? entries[0]!)[a]]));
    const exists = present.has(key);
    // dynalite's update deletes the entry for the index keys the item held and writes the
    // entry for those it holds after, even when they are the same: giving the item a stray's
    // keys and then its own again (or none) deletes the stray and writes the missing entry.
    // A kill in between leaves the item holding a stray's keys; the reaper checks the item itself.
    for (const stray of strays) {
      const keys = Object.fromEntries(indexKey.map((a) => [a, stray[a]]));
      if (exists) await setKeys(doc, table, itemKey, keys);
      else {
        await doc.send(new PutCommand({ TableName: table, Item: { ...itemKey, ...keys } }));
        await doc.send(new DeleteCommand({ TableName: table, Key: itemKey }));
      }
      report.removed++;
    }
    if (want) await setKeys(doc, table, itemKey, Object.fromEntries(indexKey.map((a) => [a, want[a]])));
    else if (exists) await removeKeys(doc, table, itemKey, indexKey);
    if (missing) report.restored++;
  }
  return report;
}

const names = (schema: KeySchemaElement[] | undefined) => (schema ?? []).map((k) => k.AttributeName!);

async function scanAll(doc: DynamoDBDocumentClient, input: Omit<ScanCommandInput, 'ExclusiveStartKey'>): Promise<Item[]> {
  const out: Item[] = [];
  let start: Item | undefined;
  do {
    const r = await doc.send(new ScanCommand({ ...input, ExclusiveStartKey: start }));
    out.push(...(r.Items ?? []));
    start = r.LastEvaluatedKey;
  } while (start);
  return out;
}

function setKeys(doc: DynamoDBDocumentClient, table: string, key: Item, keys: Item) {
  return doc.send(new UpdateCommand({ TableName: table, Key: key, ...setAll(keys) }));
}

function removeKeys(doc: DynamoDBDocumentClient, table: string, key: Item, indexKey: string[]) {
  return doc.send(
    new UpdateCommand({
      TableName: table,
      Key: key,
      UpdateExpression: `REMOVE ${indexKey.map((_, i) => `#k${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(indexKey.map((a, i) => [`#k${i}`, a])),
    }),
  );
}
