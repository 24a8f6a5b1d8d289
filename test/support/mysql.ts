// A throwaway database per test file on the MariaDB server that developers and CI run
// at 127.0.0.1:3306 (root, empty password). An unreachable server fails the tests.
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import type { Checkpoint, RecordBatch, RunKey, Sink, Source, Value } from '../../lib/engine/types';
import type { InputMap } from '../../lib/model/config-values';

export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' } as const;

export interface TestDatabase {
  readonly name: string;
  /** `generic-jdbc-connector` link inputs pointing at this database. */
  link(extra?: InputMap): InputMap;
  /** Runs SQL in this database in a UTC session; rows as arrays, values as the server's text. */
  query(sql: string, values?: unknown[]): Promise<any[][]>;
  drop(): Promise<void>;
}

export async function connectAdmin(database?: string): Promise<Connection> {
  try {
    const conn = await mysql.createConnection({
      ...MARIADB,
      database,
      charset: 'UTF8MB4_UNICODE_CI',
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      jsonStrings: true,
      multipleStatements: true,
    });
    await conn.query("SET time_zone = '+00:00'");
    return conn;
  } catch (e) {
    throw new Error(
      `MariaDB at ${MARIADB.host}:${MARIADB.port} is not reachable (${(e as Error).message}). ` +
        'The MySQL dialect tests need it (user root, empty password): start it with `sudo service mariadb start`.',
      { cause: e },
    );
  }
}

/** Creates a uniquely named database; `drop()` removes it. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `ferry_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.replace(/\W/g, '_');
  const admin = await connectAdmin();
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.query(`USE \`${name}\``);
  return {
    name,
    link: (extra = {}) => mysqlLinkInputs(name, extra),
    async query(sql, values = []) {
      const [rows] = await admin.query({ sql, values, rowsAsArray: true });
      return rows as any[][];
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

export function mysqlLinkInputs(database: string, extra: InputMap = {}): InputMap {
  return {
    'linkConfig.databaseType': 'MYSQL',
    'linkConfig.host': MARIADB.host,
    'linkConfig.port': String(MARIADB.port),
    'linkConfig.database': database,
    'linkConfig.username': MARIADB.user,
    'linkConfig.password': MARIADB.password,
    ...extra,
  };
}

/** A link body as a CDM client sends it (an empty password left out). */
export function mysqlLinkBody(name: string, database: string, extra: InputMap = {}) {
  const inputs = mysqlLinkInputs(database, extra);
  if (!inputs['linkConfig.password']) delete inputs['linkConfig.password'];
  return {
    name,
    'connector-name': 'generic-jdbc-connector',
    'link-config-values': {
      configs: [{ name: 'linkConfig', inputs: Object.entries(inputs).map(([name, value]) => ({ name, value })) }],
    },
  };
}

export const runKey = (job: string, submissionId = 1): RunKey => ({ project: 'p1', cluster: 'c1', job, submissionId, partition: 0 });

/** Every batch a read yields from `from`. */
export async function readAll(source: Source, chunkRows: number, from?: RecordBatch['position']): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const b of source.read(from, chunkRows)) batches.push(b);
  return batches;
}

export const rowsOf = (batches: readonly RecordBatch[]): Value[][] => batches.flatMap((b) => b.rows);

/** What the engine does with one source and one sink: prepare, resume from the sink's checkpoint, write, finish. */
export async function pump(source: Source, sink: Sink, chunkRows: number): Promise<Checkpoint | undefined> {
  await sink.prepare();
  const start = await sink.checkpoint();
  let cp: Checkpoint = start ?? { position: {}, rowsRead: 0, rowsWritten: 0, bytesRead: 0 };
  for await (const batch of source.read(start?.position, chunkRows)) {
    cp = {
      position: batch.position,
      rowsRead: cp.rowsRead + batch.rows.length,
      rowsWritten: cp.rowsWritten + batch.rows.length,
      bytesRead: cp.bytesRead + batch.bytes,
    };
    await sink.write(batch, cp);
  }
  await sink.finish();
  return cp;
}
