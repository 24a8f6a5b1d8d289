// Writes into a SQLite table; each chunk commits with its checkpoint row in the same
// transaction, so a chunk retried after a crash is skipped, never written twice. The
// checkpoint update is conditional on the chunk sequence this sink last saw: if another
// executor advanced it meanwhile (this one lost its lease), the chunk rolls back.
import { errors } from '../../../errors';
import { CheckpointConflictError } from '../../../engine/types';
import type { Checkpoint, Column, Sink } from '../../../engine/types';
import { runKeyString } from '../../../engine/types';
import type { SinkRequest } from '../../connector';
import { splitColumnList } from '../dialect';
import { openSqliteDatabase } from './sqlite-source';
import { checkpointOf } from '../checkpoint-row';
import { prepareTarget } from '../prepare';
import { fileCells, type FileCells } from '../file-cells';
import { declaredType, logicalType, quoteIdent as q, toSqlite } from './sqlite-types';

const CHECKPOINTS = q('__ferry_checkpoint');

interface CheckpointRow {
  seq: bigint;
  position: string;
  rows_read: bigint;
  rows_written: bigint;
  bytes_read: bigint;
}

export async function openSqliteSink(req: SinkRequest): Promise<Sink> {
  const db = openSqliteDatabase(req.link['linkConfig.database']!, false);
  const { to, schema } = req;
  const schemaName = to['toJobConfig.schemaName'] || 'main';
  const table = to['toJobConfig.tableName']!;
  const target = `${q(schemaName)}.${q(table)}`;
  const run = runKeyString(req.run);

  const columns = splitColumnList(to['toJobConfig.columnList']) ?? schema.columns.map((c) => c.name);
  if (columns.length !== schema.columns.length) {
    db.close();
    throw errors.invalidParameter(
      `toJobConfig.columnList names ${columns.length} columns but the source yields ${schema.columns.length}; they are mapped by position.`,
    );
  }

  db.exec(`CREATE TABLE IF NOT EXISTS ${CHECKPOINTS} (run TEXT PRIMARY KEY, seq INTEGER NOT NULL, position TEXT NOT NULL,
    rows_read INTEGER NOT NULL, rows_written INTEGER NOT NULL, bytes_read INTEGER NOT NULL)`);
  const readCheckpoint = db.prepare<[string], CheckpointRow>(
    `SELECT seq, position, rows_read, rows_written, bytes_read FROM ${CHECKPOINTS} WHERE run = ?`,
  );
  // seq 1 is an insert (fails if another writer got there first); later ones advance seq by one.
  const firstCheckpoint = db.prepare(
    `INSERT INTO ${CHECKPOINTS} (run, seq, position, rows_read, rows_written, bytes_read) VALUES (?, 1, ?, ?, ?, ?)
     ON CONFLICT (run) DO NOTHING`,
  );
  const nextCheckpoint = db.prepare(
    `UPDATE ${CHECKPOINTS} SET seq = seq + 1, position = ?, rows_read = ?, rows_written = ?, bytes_read = ?
     WHERE run = ? AND seq = ?`,
  );
  let seen: bigint | undefined;
  let cells: FileCells | null | undefined;
  // SQLite keeps temporal values as the text they came as: only bytes and booleans need reading.
  const fileCellsOf = () => {
    const catalog = db
      .prepare<[string, string], { name: string; type: string }>('SELECT name, type FROM pragma_table_xinfo(?, ?)')
      .all(table, schemaName)
      .map((c): Column => ({ name: c.name, type: logicalType(c.type), nullable: true, nativeType: c.type || undefined }));
    return fileCells(schema, columns, catalog, { wallTime: [] }) ?? null;
  };
  const tableExists = () =>
    db.prepare(`SELECT 1 FROM ${q(schemaName)}.sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;

  let insert: ((row: unknown[]) => void) | undefined;
  const insertRow = (row: unknown[]) => {
    if (!insert) {
      const stmt = db.prepare(
        `INSERT INTO ${target} (${columns.map(q).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      );
      insert = (r) => stmt.run(r);
    }
    insert(row);
  };

  function create() {
    const defs = schema.columns.map((c, i) => {
      const notNull = c.nullable || to['toJobConfig.useNullable'] === 'false' ? '' : ' NOT NULL';
      return `${q(columns[i]!)} ${declaredType(c, schema.engine === 'sqlite')}${notNull}`;
    });
    const pk = schema.primaryKey
      .map((k) => columns[schema.columns.findIndex((c) => c.name === k)])
      .filter((k): k is string => k !== undefined);
    if (pk.length) defs.push(`PRIMARY KEY (${pk.map(q).join(', ')})`);
    db.exec(`CREATE TABLE ${target} (${defs.join(', ')})`);
  }

  const sink: Sink = {
    async prepare() {
      await prepareTarget(
        to,
        {
          exists: async () => tableExists(),
          drop: async () => void db.exec(`DROP TABLE IF EXISTS ${target}`),
          create: async () => create(),
          clear: async (c) => void db.exec(c.kind === 'all' ? `DELETE FROM ${target}` : `DELETE FROM ${target} WHERE ${c.where}`),
        },
        `${schemaName}.${table}`,
        (e) => (e as Error).message,
      );
    },
    async checkpoint(): Promise<Checkpoint | undefined> {
      const row = readCheckpoint.get(run);
      seen = row?.seq ?? 0n;
      if (!row) return undefined;
      return checkpointOf([row.seq, row.position, row.rows_read, row.rows_written, row.bytes_read]);
    },
    async write(batch, cp) {
      try {
        if (seen === undefined) await sink.checkpoint();
        if (cells === undefined) cells = fileCellsOf();
        const rows = cells ? cells.convert(batch.rows) : batch.rows;
        db.transaction(() => {
          for (const row of rows) insertRow(row.map(toSqlite));
          const pos = JSON.stringify(cp.position);
          const changed =
            seen === 0n
              ? firstCheckpoint.run(run, pos, cp.rowsRead, cp.rowsWritten, cp.bytesRead).changes
              : nextCheckpoint.run(pos, cp.rowsRead, cp.rowsWritten, cp.bytesRead, run, seen!).changes;
          if (changed !== 1) throw new CheckpointConflictError(run);
        })();
        seen = seen! + 1n;
      } catch (e) {
        if (e instanceof CheckpointConflictError) throw e;
        throw errors.writeFailed(`Writing to ${schemaName}.${table} failed: ${(e as Error).message}`, e);
      }
    },
    async finish() {
      db.prepare(`DELETE FROM ${CHECKPOINTS} WHERE run = ?`).run(run);
    },
    async close() {
      db.close();
    },
  };
  return sink;
}
