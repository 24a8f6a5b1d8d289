// A table a run creates on PostgreSQL gets its primary key after the load, as pgloader
// does: COPY into a keyed table maintains the index row by row (3.3 s for 1M rows against
// 2.2 s COPY + 0.4 s ADD PRIMARY KEY). The key still owed is a row in the schema's
// `__ferry_checkpoint`, written in the CREATE's transaction, so whichever invocation ends
// the run knows it; adding the key and removing that row commit together, so a repeat
// after a crash finds nothing left to do. Exactly-once never needed the key: each chunk
// commits with its checkpoint row.
import type pg from 'pg';
import { errors } from '../../../errors';
import type { InputMap } from '../../../model/config-values';
import { connectPostgres, pgMessage, postgresAddress, tableOid } from './postgresql-source';
import { quoteIdent as q } from './postgresql-types';

/** The sink's checkpoint table in a schema (postgresql-sink.ts); an owed key is a row in it too. */
export const checkpointsIn = (schemaName: string) => `${q(schemaName)}.${q('__ferry_checkpoint')}`;

/**
 * Whether a table the run creates gets its key after the load: PostgreSQL only. On DWS the
 * key decides how the table is distributed over its nodes, so it stays in the CREATE.
 */
export const defersPrimaryKey = (link: InputMap) => link['linkConfig.databaseType'] === 'POSTGRESQL';

/** The owed key's row: never a run's, whose names start with the project. */
const markerOf = (table: string) => `primary-key:${table}`;

/** What the row holds: the key's columns, and the table it is owed to (a table dropped and made again by hand owes nothing). */
interface OwedKey {
  readonly oid: string;
  readonly key: readonly string[];
}

/** In the transaction that created `table`: its key is added when the run succeeds. */
export async function owePrimaryKey(client: pg.Client, schemaName: string, table: string, key: readonly string[]): Promise<void> {
  const oid = await tableOid(client, schemaName, table);
  const owed: OwedKey = { oid: oid!, key };
  await client.query(
    `INSERT INTO ${checkpointsIn(schemaName)} (run, seq, position, rows_read, rows_written, bytes_read) VALUES ($1, 0, $2, 0, 0, 0)
     ON CONFLICT (run) DO UPDATE SET position = EXCLUDED.position`,
    [markerOf(table), JSON.stringify(owed)],
  );
}

/** `table` was dropped, or made with its key: it owes none. */
export async function forgetPrimaryKey(client: pg.Client, schemaName: string, table: string): Promise<void> {
  await client.query(`DELETE FROM ${checkpointsIn(schemaName)} WHERE run = $1`, [markerOf(table)]);
}

/**
 * Inside the caller's transaction: adds the key `owedBy` (default `table`; a stage renamed
 * to the target passes the stage) still owes, unless the table has a primary key already,
 * and clears the debt. Rows that break the key fail with the table, the key and
 * PostgreSQL's detail (the duplicate value); the debt then stays, and so do the rows.
 */
export async function settlePrimaryKey(
  client: pg.Client,
  link: InputMap,
  t: { schemaName: string; table: string; owedBy?: string },
): Promise<void> {
  if (!defersPrimaryKey(link)) return;
  const marker = markerOf(t.owedBy ?? t.table);
  const checkpoints = checkpointsIn(t.schemaName);
  // FOR UPDATE: two finishers (a crash's leftover and its successor) settle one after the other.
  const { rows } = await client.query<{ position: string }>(`SELECT position FROM ${checkpoints} WHERE run = $1 FOR UPDATE`, [marker]);
  if (!rows[0]) return;
  const owed = JSON.parse(rows[0].position) as OwedKey;
  const oid = await tableOid(client, t.schemaName, t.table);
  if (oid === owed.oid && !(await hasPrimaryKey(client, oid))) {
    const key = owed.key.map(q).join(', ');
    try {
      await client.query(`ALTER TABLE ${q(t.schemaName)}.${q(t.table)} ADD PRIMARY KEY (${key})`);
    } catch (e) {
      const detail = (e as { detail?: string }).detail;
      throw errors.writeFailed(
        `${t.schemaName}.${t.table} on PostgreSQL at ${postgresAddress(link)} cannot take its primary key (${owed.key.join(', ')}): ` +
          `${pgMessage(e, link)}${detail ? ` (${detail})` : ''}. The copied rows stay in the table, without the key.`,
        e,
      );
    }
  }
  await client.query(`DELETE FROM ${checkpoints} WHERE run = $1`, [marker]);
}

/** The end of a successful run: the key the target table still owes, in a transaction of its own. */
export async function completePostgresTable(link: InputMap, to: InputMap): Promise<void> {
  if (!defersPrimaryKey(link)) return;
  const schemaName = to['toJobConfig.schemaName'] || 'public';
  const table = to['toJobConfig.tableName']!;
  const client = await connectPostgres(link);
  try {
    await client.query('BEGIN');
    await settlePrimaryKey(client, link, { schemaName, table });
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.sqlFailed(`Adding the primary key of ${schemaName}.${table} on PostgreSQL at ${postgresAddress(link)} failed: ${pgMessage(e, link)}`, e);
  } finally {
    await client.end().catch(() => {});
  }
}

async function hasPrimaryKey(client: pg.Client, oid: string): Promise<boolean> {
  const { rows } = await client.query(`SELECT 1 FROM pg_constraint WHERE conrelid = $1::oid AND contype = 'p'`, [oid]);
  return rows.length > 0;
}
