// A process killed in the middle of a dynalite write, made to order. dynalite writes an
// update's index entries first and the item last, in separate LevelDB writes; a SIGKILL
// between them lands at a random instant, so instead the write is made in full and the
// item's stored record is then put back as it was: what the kill would have left.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startDynalite } from '../../lib/local/dynalite';
import { documentClient } from '../../lib/runtime';

type Key = { pk: string; sk: string };
type Stored = { pk?: { S: string }; sk?: { S: string } };

/** The LevelDB dynalite stores in: its own dependency (`level`), not one of Ferry's. */
interface LevelDb {
  iterator(range: { gte: string; lt: string }): AsyncIterable<[string, Stored]>;
  put(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  close(): Promise<void>;
}
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { Level } = fromDynalite('level') as { Level: new (path: string, opts: { valueEncoding: 'json' }) => LevelDb };

/** Runs `write` against the stopped store in `dataDir`, as a process killed before the item itself was written would have. */
export async function killedMidWrite(
  dataDir: string,
  table: string,
  key: Key,
  write: (doc: DynamoDBDocumentClient) => Promise<unknown>,
): Promise<void> {
  const dynamo = await startDynalite(dataDir, table);
  const before = (await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }))).Item;
  await write(documentClient(dynamo.client));
  await dynamo.close();

  // dynalite keeps an item under `item-<table>~…`, as its wire-format attribute map.
  const db = new Level(join(dataDir, 'dynamodb'), { valueEncoding: 'json' });
  try {
    const prefix = `item-${table}~`;
    let stored: string | undefined;
    for await (const [k, v] of db.iterator({ gte: prefix, lt: `${prefix}\xff` })) {
      if (v.pk?.S === key.pk && v.sk?.S === key.sk) stored = k;
    }
    if (!stored) throw new Error(`no stored item ${key.pk} ${key.sk}`);
    if (before) await db.put(stored, before);
    else await db.del(stored);
  } finally {
    await db.close();
  }
}
