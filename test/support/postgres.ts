// Throwaway PostgreSQL databases for integration tests, on the server at 127.0.0.1:5432
// (user postgres, trust authentication), and the CDM link bodies that point at them.
import pg from 'pg';
import type { Checkpoint, RunKey, Sink, Source } from '../../lib/engine/types';
import type { InputMap } from '../../lib/model/config-values';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;

export interface TestDatabase {
  readonly name: string;
  /** Link inputs as a connector receives them. */
  readonly link: InputMap;
  /** Runs SQL in this database; every value comes back as the server's text (UTC session). */
  query(sql: string, values?: unknown[]): Promise<Record<string, string | null>[]>;
  drop(): Promise<void>;
}

const RAW_TEXT = { getTypeParser: () => (text: string) => text } as unknown as pg.CustomTypesConfig;

async function connect(database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: PG_HOST, port: PG_PORT, user: 'postgres', database, types: RAW_TEXT });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL at ${PG_HOST}:${PG_PORT} (user postgres, trust auth) is needed by this test and is not reachable ` +
        `(${(e as Error).message}). Start it with \`sudo service postgresql start\`.`,
    );
  }
  await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'");
  return client;
}

/** Creates a uniquely named database; `drop()` removes it (call it in afterAll). */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `ferry_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const admin = await connect('postgres');
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const client = await connect(name);
  return {
    name,
    link: {
      'linkConfig.databaseType': 'POSTGRESQL',
      'linkConfig.host': PG_HOST,
      'linkConfig.port': String(PG_PORT),
      'linkConfig.database': name,
      'linkConfig.username': 'postgres',
    },
    async query(sql, values) {
      return (await client.query(sql, values)).rows;
    },
    async drop() {
      await client.end();
      const admin = await connect('postgres');
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** A CDM link body for a test database. */
export const postgresLink = (name: string, db: TestDatabase, extra: Record<string, string> = {}) => ({
  name,
  'connector-name': 'generic-jdbc-connector',
  'link-config-values': {
    configs: [
      {
        name: 'linkConfig',
        inputs: Object.entries({ ...db.link, ...extra }).map(([name, value]) => ({ name, value })),
      },
    ],
  },
});

/** Runs a source into a sink as the executor does: prepare, resume from the sink's checkpoint, write, finish. */
export async function copyAll(source: Source, sink: Sink, chunkRows = 1000): Promise<Checkpoint> {
  await sink.prepare();
  const start = await sink.checkpoint();
  let cp: Checkpoint = start ?? { position: {}, rowsRead: 0, rowsWritten: 0, bytesRead: 0 };
  for await (const batch of source.read(start?.position, chunkRows)) {
    const n = batch.rows.length;
    cp = { position: batch.position, rowsRead: cp.rowsRead + n, rowsWritten: cp.rowsWritten + n, bytesRead: cp.bytesRead + batch.bytes };
    await sink.write(batch, cp);
  }
  await sink.finish();
  return cp;
}

/** A run key for direct source/sink tests. */
export const testRun = (submissionId = 1): RunKey => ({ project: 'p1', cluster: 'c1', job: 'j1', submissionId, partition: 0 });
