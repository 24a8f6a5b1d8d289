// Writes into a MySQL/MariaDB table by LOAD DATA LOCAL INFILE (mysql-load.ts), or with
// multi-row INSERTs (or REPLACE, or INSERT … ON DUPLICATE KEY UPDATE) sized to the
// server's max_allowed_packet where LOAD DATA cannot serve. Each chunk commits in
// one transaction with its checkpoint row in `__ferry_checkpoint` (same design as the
// SQLite sink): a chunk retried after a crash is skipped, never written twice, and a
// writer whose checkpoint was advanced by another executor rolls its chunk back. The
// destination table must be transactional (InnoDB).
import type { Connection, ResultSetHeader } from 'mysql2/promise';
import { errors } from '../../../errors';
import { CheckpointConflictError, runKeyString } from '../../../engine/types';
import type { Checkpoint, LogicalType, Sink, Value } from '../../../engine/types';
import type { SinkRequest } from '../../connector';
import { splitColumnList } from '../dialect';
import { connectMysql, mysqlAddress, mysqlMessage } from './mysql-connection';
import { checkpointOf, type CheckpointRow } from '../checkpoint-row';
import { prepareTarget } from '../prepare';
import { fractionGuard, type FractionGuard } from '../fit';
import { fileCells, type FileCells } from '../file-cells';
import { readColumns } from './mysql-source';
import { loadStatement, loadStream } from './mysql-load';
import { declaredType, mysqlColumn, mysqlLiteral, quoteIdent as q } from './mysql-types';

const CHECKPOINT_TABLE = '__ferry_checkpoint';
const ER_DUP_ENTRY = 1062;
/** InnoDB's largest index key (DYNAMIC rows), in bytes. */
const INDEX_KEY_BYTES = 3072;
/**
 * Warnings by which MySQL says it stored something other than the value sent, even in
 * strict mode (a DECIMAL rounded to its scale is a Note 1265): out of range, data
 * truncated, incorrect value, data too long, NULL turned into a default.
 */
const ALTERED_VALUE_WARNINGS = new Set([1048, 1264, 1265, 1292, 1366, 1406]);
/** Upper bound for one INSERT, below max_allowed_packet: big enough to amortise round trips. */
const MAX_STATEMENT_BYTES = 16 * 1024 * 1024;

/**
 * CDM's "Constraint Conflict Handling" for MySQL destinations: `insert into` (a row whose
 * key exists fails the chunk), `replace into`, `on duplicate key update`. Its JSON name is
 * undocumented; third-party bodies send `toJobConfig.onConflict` = `EXCEPTION` for the first.
 */
const CONFLICT_MODES = { INSERT: 'insert', EXCEPTION: 'insert', REPLACE: 'replace', UPDATE: 'update' } as const;
type ConflictMode = (typeof CONFLICT_MODES)[keyof typeof CONFLICT_MODES];

function conflictMode(value: string | undefined): ConflictMode {
  const mode = CONFLICT_MODES[(value || 'INSERT').toUpperCase() as keyof typeof CONFLICT_MODES];
  if (!mode) {
    throw errors.invalidParameter(`toJobConfig.onConflict must be one of ${Object.keys(CONFLICT_MODES).join(', ')}; got ${value}.`);
  }
  return mode;
}

export async function openMysqlSink(req: SinkRequest): Promise<Sink> {
  const { to, schema } = req;
  const schemaName = to['toJobConfig.schemaName'] || req.link['linkConfig.database'];
  if (!schemaName) {
    throw errors.invalidParameter('toJobConfig.schemaName (the MySQL database) is mandatory when the link has no linkConfig.database.');
  }
  const table = to['toJobConfig.tableName']!;
  const columns = splitColumnList(to['toJobConfig.columnList']) ?? schema.columns.map((c) => c.name);
  if (columns.length !== schema.columns.length) {
    throw errors.invalidParameter(
      `toJobConfig.columnList names ${columns.length} columns but the source yields ${schema.columns.length}; they are mapped by position.`,
    );
  }
  const onConflict = conflictMode(to['toJobConfig.onConflict']);
  const conn = await connectMysql(req.link);
  const where = `${schemaName}.${table} on MySQL at ${mysqlAddress(req.link)}`;
  try {
    return await mysqlSink(conn, req, { schemaName, table, columns, onConflict, where });
  } catch (e) {
    conn.destroy();
    if (e instanceof Error && e.name === 'CdmError') throw e;
    if ((e as { code?: string }).code === 'ER_BAD_DB_ERROR') {
      throw errors.tableUnavailable(`Database ${schemaName} does not exist on MySQL at ${mysqlAddress(req.link)}.`, e);
    }
    throw errors.sqlFailed(`Preparing the checkpoint table for ${where} failed: ${mysqlMessage(e)}`, e);
  }
}

/** What the destination's columns ask of a batch's rows. */
interface Fit {
  /** Refuses values a column would round. */
  readonly guard?: FractionGuard;
  /** Reads a file's text cells as the columns' values. */
  readonly cells?: FileCells;
  /** The logical type of each written value, by position. */
  readonly types: readonly LogicalType[];
  readonly loadSql: string;
}

interface Destination {
  schemaName: string;
  table: string;
  /** Destination column names, by position of the source's columns. */
  columns: readonly string[];
  onConflict: ConflictMode;
  /** The table and server, for messages. */
  where: string;
}

async function mysqlSink(conn: Connection, req: SinkRequest, dest: Destination): Promise<Sink> {
  const { to, schema } = req;
  const { schemaName, table, columns, onConflict, where } = dest;
  const target = `${q(schemaName)}.${q(table)}`;
  const checkpoints = `${q(schemaName)}.${q(CHECKPOINT_TABLE)}`;
  const run = runKeyString(req.run);

  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${checkpoints} (
       \`run\` VARCHAR(700) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY, \`seq\` BIGINT NOT NULL,
       \`position\` LONGTEXT NOT NULL, \`rows_read\` BIGINT NOT NULL, \`rows_written\` BIGINT NOT NULL, \`bytes_read\` BIGINT NOT NULL
     ) ENGINE=InnoDB`,
  );
  const [[packet]] = (await conn.query({ sql: 'SELECT @@max_allowed_packet', rowsAsArray: true })) as unknown as [[[string]]];
  const statementBytes = Math.max(Math.min(Number(packet[0]), MAX_STATEMENT_BYTES) - 64 * 1024, 64 * 1024);

  const query = async (sql: string, values: unknown[] = []) => (await conn.query({ sql, values, rowsAsArray: true }))[0];
  let seen: bigint | undefined;
  let fit: Fit | undefined;

  /** What the destination's columns ask of the rows, from its catalog (read at the first write: prepare may create the table). */
  async function fitTarget(): Promise<Fit> {
    const catalog = (await readColumns(conn, schemaName, table)).map(mysqlColumn);
    // MariaDB takes no literal with an offset: DATETIME and TIMESTAMP (in the UTC session) take UTC wall time.
    const cells = fileCells(schema, columns, catalog, { wallTime: ['timestamp', 'timestamptz'] });
    const source = cells?.columns ?? schema.columns;
    const types = source.map((c) => c.type);
    // MariaDB rounds 1.5 into an INT and truncates fractional seconds without a warning: the guard refuses such values.
    const guard = fractionGuard(source, columns, catalog);
    return { guard, cells, types, loadSql: loadStatement(target, columns, types, onConflict === 'replace') };
  }

  const verb = onConflict === 'replace' ? 'REPLACE' : 'INSERT';
  const head = `${verb} INTO ${target} (${columns.map(q).join(', ')}) VALUES `;
  // VALUES(col), not MySQL 8's row alias: MariaDB has only the former.
  const tail =
    onConflict === 'update' ? ` ON DUPLICATE KEY UPDATE ${columns.map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}` : '';

  /** The batch as multi-row statements, each below the server's max_allowed_packet. */
  function* statements(rows: readonly Value[][], types: readonly LogicalType[]): Generator<string> {
    const frame = Buffer.byteLength(head) + Buffer.byteLength(tail);
    let tuples: string[] = [];
    let size = frame;
    for (const row of rows) {
      const tuple = `(${row.map((v, i) => mysqlLiteral(v, types[i])).join(', ')})`;
      const n = Buffer.byteLength(tuple) + 2;
      if (tuples.length && size + n > statementBytes) {
        yield head + tuples.join(', ') + tail;
        tuples = [];
        size = frame;
      }
      tuples.push(tuple);
      size += n;
    }
    if (tuples.length) yield head + tuples.join(', ') + tail;
  }

  /** seq 1 is an insert (a duplicate means another writer got there first); later ones advance seq by one. */
  async function advanceCheckpoint(cp: Checkpoint): Promise<void> {
    const values = [JSON.stringify(cp.position), cp.rowsRead, cp.rowsWritten, cp.bytesRead];
    if (seen === 0n) {
      try {
        await query(
          `INSERT INTO ${checkpoints} (\`run\`, \`seq\`, \`position\`, \`rows_read\`, \`rows_written\`, \`bytes_read\`) VALUES (?, 1, ?, ?, ?, ?)`,
          [run, ...values],
        );
      } catch (e) {
        if ((e as { errno?: number }).errno === ER_DUP_ENTRY) throw new CheckpointConflictError(run);
        throw e;
      }
      return;
    }
    const result = (await query(
      `UPDATE ${checkpoints} SET \`seq\` = \`seq\` + 1, \`position\` = ?, \`rows_read\` = ?, \`rows_written\` = ?, \`bytes_read\` = ?
        WHERE \`run\` = ? AND \`seq\` = ?`,
      [...values, run, seen!.toString()],
    )) as ResultSetHeader;
    if (result.affectedRows !== 1) throw new CheckpointConflictError(run);
  }

  async function tableExists(): Promise<boolean> {
    const found = await query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schemaName, table]);
    return (found as unknown[]).length > 0;
  }

  async function create(): Promise<void> {
    const sameEngine = schema.engine === 'mysql';
    const keyColumns = schema.columns.filter((c) => schema.primaryKey.includes(c.name));
    // String and bytes key columns share InnoDB's 3072-byte key; the others take at most 16 bytes each.
    const variable = keyColumns.filter((c) => c.type === 'string' || c.type === 'bytes').length;
    const keyBytes = Math.floor((INDEX_KEY_BYTES - 16 * (keyColumns.length - variable)) / Math.max(variable, 1));
    const defs = schema.columns.map((c, i) => {
      const type = declaredType(c, {
        sameEngine,
        keyBytes: keyColumns.includes(c) ? keyBytes : undefined,
        extendCharLength: to['toJobConfig.extendCharLength'] === 'true',
      });
      const notNull = !c.nullable && to['toJobConfig.useNullable'] !== 'false';
      return `${q(columns[i]!)} ${type} ${notNull ? 'NOT NULL' : 'NULL'}`;
    });
    const pk = schema.primaryKey
      .map((k) => columns[schema.columns.findIndex((c) => c.name === k)])
      .filter((k): k is string => k !== undefined);
    if (pk.length) defs.push(`PRIMARY KEY (${pk.map(q).join(', ')})`);
    // utf8mb4_bin: keys that differ only in case (distinct in PostgreSQL) stay distinct.
    await conn.query(`CREATE TABLE ${target} (${defs.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  /** The chunk fails (and rolls back) rather than keep a value MySQL rounded or truncated. */
  async function refuseAlteredValues(): Promise<void> {
    const warnings = (await query('SHOW WARNINGS LIMIT 20')) as [string, number, string][];
    const altered = warnings.filter(([, code]) => ALTERED_VALUE_WARNINGS.has(Number(code)));
    if (altered.length) {
      throw new Error(`MySQL would not store the values as read (${altered.slice(0, 3).map(([, , m]) => m).join('; ')}); nothing of this chunk was kept`);
    }
  }

  /** The chunk's rows and its checkpoint in one transaction; rolled back when `rows` resolves false. */
  async function inTransaction(cp: Checkpoint, rows: () => Promise<boolean>): Promise<boolean> {
    await conn.query('START TRANSACTION');
    // The checkpoint row first: a racing writer then waits on its lock instead of loading rows it must roll back.
    await advanceCheckpoint(cp);
    if (!(await rows())) {
      await conn.query('ROLLBACK');
      return false;
    }
    await conn.query('COMMIT');
    return true;
  }

  // LOAD DATA has no ON DUPLICATE KEY UPDATE.
  let load = onConflict !== 'update';

  /**
   * The chunk by LOAD DATA (see mysql-load.ts), or false, rolled back, when the server warned
   * about any row: the INSERTs then keep it or fail it as strict mode does. After a server
   * error (local_infile off, LOAD DATA not allowed on the table…) the sink INSERTs from then on.
   */
  async function loaded(rows: readonly Value[][], cp: Checkpoint, { loadSql, types }: Fit): Promise<boolean> {
    return inTransaction(cp, async () => {
      try {
        const [result] = await conn.query({ sql: loadSql, infileStreamFactory: () => loadStream(rows, types) });
        return (result as ResultSetHeader).warningStatus === 0;
      } catch (e) {
        const err = e as { errno?: number; fatal?: boolean };
        if (err.errno === undefined || err.fatal) throw e;
        load = false;
        return false;
      }
    });
  }

  const sink: Sink = {
    async prepare() {
      await prepareTarget(
        to,
        {
          exists: tableExists,
          drop: async () => void (await conn.query(`DROP TABLE IF EXISTS ${target}`)),
          create,
          clear: async (c) => void (await conn.query(c.kind === 'all' ? `DELETE FROM ${target}` : `DELETE FROM ${target} WHERE ${c.where}`)),
        },
        where,
        mysqlMessage,
      );
    },
    async checkpoint(): Promise<Checkpoint | undefined> {
      let found: unknown[][];
      try {
        found = (await query(
          `SELECT \`seq\`, \`position\`, \`rows_read\`, \`rows_written\`, \`bytes_read\` FROM ${checkpoints} WHERE \`run\` = ?`,
          [run],
        )) as unknown[][];
      } catch (e) {
        throw errors.sqlFailed(`Reading the checkpoint of ${where} failed: ${mysqlMessage(e)}`, e);
      }
      const row = found[0];
      seen = row ? BigInt(row[0] as string) : 0n;
      if (!row) return undefined;
      return checkpointOf(row as unknown as CheckpointRow);
    },
    async write(batch, cp) {
      if (seen === undefined) await sink.checkpoint();
      try {
        const f = (fit ??= await fitTarget());
        const rows = f.cells ? f.cells.convert(batch.rows) : batch.rows;
        f.guard?.check(rows);
        if (!(load && (await loaded(rows, cp, f)))) {
          await inTransaction(cp, async () => {
            for (const statement of statements(rows, f.types)) {
              const [result] = await conn.query(statement);
              if ((result as ResultSetHeader).warningStatus > 0) await refuseAlteredValues();
            }
            return true;
          });
        }
        seen = seen! + 1n;
      } catch (e) {
        await conn.query('ROLLBACK').catch(() => {});
        if (e instanceof CheckpointConflictError) throw e;
        throw errors.writeFailed(`Writing to ${where} failed: ${mysqlMessage(e)}`, e);
      }
    },
    async finish() {
      try {
        await query(`DELETE FROM ${checkpoints} WHERE \`run\` = ?`, [run]);
      } catch (e) {
        throw errors.sqlFailed(`Removing the checkpoint of ${where} failed: ${mysqlMessage(e)}`, e);
      }
    },
    async close() {
      await conn.end().catch(() => conn.destroy());
    },
  };
  return sink;
}
