// The embedded DynamoDB: dynalite (the DynamoDB wire API, in-process) persisted under
// the data directory, with Ferry's table created on first start and its indexes checked
// on every later one.
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { documentClient } from '../runtime';
import { tableDefinition } from '../store/table';
import { repairIndexes } from './repair-indexes';

export interface EmbeddedDynamo {
  client: DynamoDBClient;
  endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(dataDir: string, tableName: string): Promise<EmbeddedDynamo> {
  const path = join(dataDir, 'dynamodb');
  mkdirSync(path, { recursive: true });
  // Table operations are instant, not the seconds real DynamoDB takes.
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  if (await tableExists(client, tableName)) {
    // The last process may have died mid-write (see repair-indexes.ts).
    for (const r of await repairIndexes(client, documentClient(client), tableName)) {
      if (r.removed || r.restored) {
        console.warn(`Repaired index ${r.index} after an unclean stop: ${r.removed} stray entries removed, ${r.restored} restored.`);
      }
    }
  } else {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
    // dynalite reports the table ACTIVE a tick later; a write before that is refused as "not found".
    while ((await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus !== 'ACTIVE') {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return {
    client,
    endpoint,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return false;
    throw e;
  }
}
