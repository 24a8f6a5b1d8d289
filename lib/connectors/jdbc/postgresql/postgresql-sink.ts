// Writes into a PostgreSQL (or DWS) table with `COPY … FROM STDIN`. Each chunk commits in
// one transaction with its checkpoint row in `__ferry_checkpoint` (same design as the
// SQLite and MySQL sinks): a chunk retried after a crash is skipped, never written twice,
// and a writer whose checkpoint was advanced by another executor rolls its chunk back.
//
// The checkpoint table lives in the target schema: the job can certainly create tables
// there, whereas PostgreSQL 15 no longer lets every role create tables in `public`.
// A table the sink creates gets its primary key when the run succeeds (postgresql-key.ts).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { errors } from '../../../errors';
import { checkpointOf } from '../checkpoint-row';
import { prepareTarget } from '../prepare';
import { CheckpointConflictError, runKeyString } from '../../../engine/types';
import type { Checkpoint, RecordBatch, Sink, Value } from '../../../engine/types';
import type { SinkRequest } from '../../connector';
import { splitColumnList } from '../dialect';
import { fractionGuard, type FractionGuard } from '../fit';
import { fileCells, type FileCells } from '../file-cells';
import { checkpointsIn, defersPrimaryKey, forgetPrimaryKey, owePrimaryKey, settlePrimaryKey } from './postgresql-key';
import { connectPostgres, pgMessage, postgresAddress, tableColumns, tableOid } from './postgresql-source';
import { copyField, declaredType, pgColumn, quoteIdent as q } from './postgresql-types';

const STAGE_TABLE = '__ferry_stage';
/** COPY data is sent in pieces of about this many characters, so a chunk is never one huge string. */
const COPY_PIECE_CHARS = 64 * 1024;

/**
 * What happens to a row whose key already exists (CDM's "constraint conflict handling",
 * `toJobConfig.onConflict`, not declared in jdbc-inputs yet; same values as the MySQL
 * sink): INSERT (or EXCEPTION, the third-party spelling) fails the chunk; REPLACE
 * replaces the whole row (columns not written get their defaults, like MySQL's REPLACE
 * INTO); UPDATE updates the written columns only (like ON DUPLICATE KEY UPDATE).
 */
const CONFLICT_MODES = { INSERT: 'insert', EXCEPTION: 'insert', REPLACE: 'replace', UPDATE: 'update' } as const;
type ConflictMode = (typeof CONFLICT_MODES)[keyof typeof CONFLICT_MODES];
const CONFLICT_INPUT = 'toJobConfig.onConflict';

export async function openPostgresSink(req: SinkRequest): Promise<Sink> {
  const { to, schema } = req;
  const schemaName = to['toJobConfig.schemaName'] || 'public';
  const table = to['toJobConfig.tableName']!;
  const columns = splitColumnList(to['toJobConfig.columnList']) ?? schema.columns.map((c) => c.name);
  if (columns.length !== schema.columns.length) {
    throw errors.invalidParameter(
      `toJobConfig.columnList names ${columns.length} columns but the source yields ${schema.columns.length}; they are mapped by position.`,
    );
  }
  const value = to[CONFLICT_INPUT];
  const mode: ConflictMode | undefined = CONFLICT_MODES[(value || 'INSERT').toUpperCase() as keyof typeof CONFLICT_MODES];
  if (!mode) throw errors.invalidParameter(`${CONFLICT_INPUT} must be one of ${Object.keys(CONFLICT_MODES).join(', ')}; got ${value}.`);
  const client = await connectPostgres(req.link);
  const where = `${schemaName}.${table} on PostgreSQL at ${postgresAddress(req.link)}`;
  const checkpoints = checkpointsIn(schemaName);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${checkpoints} (run text PRIMARY KEY, seq bigint NOT NULL, position text NOT NULL,
         rows_read bigint NOT NULL, rows_written bigint NOT NULL, bytes_read bigint NOT NULL)`,
    );
  } catch (e) {
    const code = (e as { code?: string }).code;
    // Two sinks creating it at once: IF NOT EXISTS does not cover the race, the other one won
    // (its row type may be in place before its table: 42710, "type … already exists").
    if (code !== '23505' && code !== '42P07' && code !== '42710') {
      await client.end().catch(() => {});
      if (code === '3F000') throw errors.tableUnavailable(`Schema ${schemaName} does not exist on PostgreSQL at ${postgresAddress(req.link)}.`, e);
      throw errors.sqlFailed(`Preparing the checkpoint table for ${where} failed: ${pgMessage(e, req.link)}`, e);
    }
  }
  return postgresSink(client, req, { schemaName, table, columns, mode, where, checkpoints });
}

/** What the destination's columns ask of a batch's rows. */
interface Fit {
  /** Refuses values a column would round. */
  readonly guard?: FractionGuard;
  /** Reads a file's text cells as the columns' values. */
  readonly cells?: FileCells;
}

interface Target {
  readonly schemaName: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly mode: ConflictMode;
  readonly where: string;
  readonly checkpoints: string;
}

function postgresSink(client: pg.Client, req: SinkRequest, t: Target): Sink {
  const { to, schema } = req;
  const { schemaName, table, columns, mode, where, checkpoints } = t;
  const target = `${q(schemaName)}.${q(table)}`;
  const columnList = columns.map(q).join(', ');
  const run = runKeyString(req.run);
  const message = (e: unknown) => pgMessage(e, req.link);
  let seen: bigint | undefined;
  let upsert: string | undefined;
  let fit: Fit | undefined;

  /** What the destination's columns ask of the rows, from its catalog (read at the first write: prepare may create the table). */
  async function fitTarget(): Promise<Fit> {
    const oid = await tableOid(client, schemaName, table);
    const catalog = oid ? (await tableColumns(client, oid)).map(pgColumn) : [];
    // timestamp ignores an offset written in its input: the instant goes in as its UTC wall time instead.
    const cells = fileCells(schema, columns, catalog, { wallTime: ['timestamp'] });
    // PostgreSQL rounds numeric and fractional seconds to the column silently: the guard refuses such values.
    return { guard: fractionGuard(cells?.columns ?? schema.columns, columns, catalog), cells };
  }

  async function create(): Promise<void> {
    const defs = schema.columns.map((c, i) => {
      const type = declaredType(c, { sameEngine: schema.engine === 'postgresql', extendCharLength: to['toJobConfig.extendCharLength'] === 'true' });
      const notNull = !c.nullable && to['toJobConfig.useNullable'] !== 'false';
      return `${q(columns[i]!)} ${type}${notNull ? ' NOT NULL' : ''}`;
    });
    const pk = schema.primaryKey
      .map((k) => columns[schema.columns.findIndex((c) => c.name === k)])
      .filter((k): k is string => k !== undefined);
    // REPLACE and UPDATE need the key for ON CONFLICT while they load; INSERT does not.
    const later = pk.length > 0 && mode === 'insert' && defersPrimaryKey(req.link);
    if (pk.length && !later) defs.push(`PRIMARY KEY (${pk.map(q).join(', ')})`);
    await client.query(`CREATE TABLE ${target} (${defs.join(', ')})`);
    // A debt left by an earlier table of this name goes with it.
    if (later) await owePrimaryKey(client, schemaName, table, pk);
    else await forgetPrimaryKey(client, schemaName, table);
  }

  /** seq 1 is an insert (nothing inserted: another writer got there first); later ones advance seq by one. */
  async function advanceCheckpoint(cp: Checkpoint): Promise<void> {
    const values = [JSON.stringify(cp.position), cp.rowsRead, cp.rowsWritten, cp.bytesRead];
    const result =
      seen === 0n
        ? await client.query(
            `INSERT INTO ${checkpoints} (run, seq, position, rows_read, rows_written, bytes_read) VALUES ($1, 1, $2, $3, $4, $5)
             ON CONFLICT (run) DO NOTHING`,
            [run, ...values],
          )
        : await client.query(
            `UPDATE ${checkpoints} SET seq = seq + 1, position = $1, rows_read = $2, rows_written = $3, bytes_read = $4
              WHERE run = $5 AND seq = $6`,
            [...values, run, seen!.toString()],
          );
    if (result.rowCount !== 1) throw new CheckpointConflictError(run);
  }

  async function copyRows(into: string, rows: readonly Value[][], encoded: RecordBatch['encoded']): Promise<void> {
    const stream = client.query(copyStreams.from(`COPY ${into} (${columnList}) FROM STDIN`));
    await pipeline(Readable.from(encoded === 'pg-copy' ? copyLines(rows) : copyText(rows)), stream);
  }

  /**
   * For REPLACE and UPDATE: rows are copied into a session-local stage table, then moved
   * with one INSERT … ON CONFLICT on the destination's primary key. Within a chunk the
   * last row for a key wins, as it would row by row.
   */
  async function prepareUpsert(): Promise<string> {
    const oid = await tableOid(client, schemaName, table);
    const { rows: keyRows } = await client.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = $1::oid AND i.indisprimary`,
      [oid],
    );
    const key = keyRows.map((r) => r.name);
    if (!key.length) throw errors.invalidParameter(`${CONFLICT_INPUT} ${to[CONFLICT_INPUT]} needs a primary key on ${schemaName}.${table}.`);
    const missing = key.filter((k) => !columns.includes(k));
    if (missing.length) throw errors.invalidParameter(`${CONFLICT_INPUT} ${to[CONFLICT_INPUT]} needs the key columns ${missing.join(', ')} in the written columns.`);
    const { rows: all } = await client.query<{ name: string }>(
      `SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
      [schemaName, table],
    );
    const assignments = all
      .map((c) => c.name)
      .filter((c) => !key.includes(c) && (mode === 'replace' || columns.includes(c)))
      .map((c) => `${q(c)} = ${columns.includes(c) ? `EXCLUDED.${q(c)}` : 'DEFAULT'}`);
    await client.query(
      `CREATE TEMP TABLE ${q(STAGE_TABLE)} ON COMMIT DELETE ROWS AS SELECT ${columnList} FROM ${target} WITH NO DATA`,
    );
    await client.query(`ALTER TABLE pg_temp.${q(STAGE_TABLE)} ADD COLUMN "__ferry_ord" bigserial`);
    const keys = key.map(q).join(', ');
    return `INSERT INTO ${target} (${columnList})
            SELECT DISTINCT ON (${keys}) ${columnList} FROM pg_temp.${q(STAGE_TABLE)} ORDER BY ${keys}, "__ferry_ord" DESC
            ON CONFLICT (${keys}) DO ${assignments.length ? `UPDATE SET ${assignments.join(', ')}` : 'NOTHING'}`;
  }

  const sink: Sink = {
    async prepare() {
      // One transaction: a CREATE that fails after the DROP leaves the old table in place.
      await client.query('BEGIN');
      try {
        await prepareTarget(
          to,
          {
            exists: async () => (await tableOid(client, schemaName, table)) !== undefined,
            drop: async () => void (await client.query(`DROP TABLE IF EXISTS ${target}`)),
            create,
            clear: async (c) => void (await client.query(c.kind === 'all' ? `TRUNCATE TABLE ${target}` : `DELETE FROM ${target} WHERE ${c.where}`)),
          },
          where,
          message,
        );
        // A table an earlier run created and failed to finish still owes its key: an upsert needs it now.
        if (mode !== 'insert') await settlePrimaryKey(client, req.link, { schemaName, table });
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      }
    },
    async checkpoint(): Promise<Checkpoint | undefined> {
      let row: { seq: string; position: string; rows_read: string; rows_written: string; bytes_read: string } | undefined;
      try {
        row = (await client.query(`SELECT seq, position, rows_read, rows_written, bytes_read FROM ${checkpoints} WHERE run = $1`, [run])).rows[0];
      } catch (e) {
        throw errors.sqlFailed(`Reading the checkpoint of ${where} failed: ${message(e)}`, e);
      }
      seen = row ? BigInt(row.seq) : 0n;
      if (!row) return undefined;
      return checkpointOf([row.seq, row.position, row.rows_read, row.rows_written, row.bytes_read]);
    },
    async write(batch, cp) {
      if (seen === undefined) await sink.checkpoint();
      try {
        const { guard, cells } = (fit ??= await fitTarget());
        const rows = batch.encoded || !cells ? batch.rows : cells.convert(batch.rows);
        if (!batch.encoded) guard?.check(rows);
        if (mode !== 'insert' && upsert === undefined && batch.rows.length) upsert = await prepareUpsert();
        await client.query('BEGIN');
        // The checkpoint row first: a racing writer then waits on its lock instead of loading rows it must roll back.
        await advanceCheckpoint(cp);
        if (rows.length) {
          if (upsert === undefined) {
            await copyRows(target, rows, batch.encoded);
          } else {
            await copyRows(`pg_temp.${q(STAGE_TABLE)}`, rows, batch.encoded);
            await client.query(upsert);
          }
        }
        await client.query('COMMIT');
        seen = seen! + 1n;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        if (e instanceof CheckpointConflictError) throw e;
        if (e instanceof Error && e.name === 'CdmError') throw e;
        throw errors.writeFailed(`Writing to ${where} failed: ${message(e)}`, e);
      }
    },
    async encoding() {
      // Lines written as the source formats them cannot be checked or converted value by value.
      const { guard, cells } = (fit ??= await fitTarget());
      return guard || cells ? undefined : 'pg-copy';
    },
    async finish() {
      try {
        await client.query(`DELETE FROM ${checkpoints} WHERE run = $1`, [run]);
      } catch (e) {
        throw errors.sqlFailed(`Removing the checkpoint of ${where} failed: ${message(e)}`, e);
      }
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
  return sink;
}

/**
 * Rows as COPY text in buffers of about COPY_PIECE_CHARS characters (the stream applies backpressure
 * between pieces): lines are joined into a string of at most that size and encoded once,
 * so no chunk-sized string is ever built (a chunk then leaves no large strings behind for
 * the old generation to hold until a full GC, which showed as peak RSS), and the UTF-8
 * encoder runs once a piece rather than once a row.
 */
function* copyText(rows: readonly Value[][]): Generator<Buffer> {
  let text = '';
  for (const row of rows) {
    let line = copyField(row[0] as Value);
    for (let i = 1; i < row.length; i++) line += '\t' + copyField(row[i] as Value);
    text += line + '\n';
    if (text.length >= COPY_PIECE_CHARS) {
      yield Buffer.from(text);
      text = '';
    }
  }
  if (text) yield Buffer.from(text);
}

/** Rows already in COPY text (one line each, as UTF-8 bytes or a string; see RowEncoding), in pieces of about COPY_PIECE_CHARS bytes. */
function* copyLines(rows: readonly Value[][]): Generator<Buffer> {
  let held: Buffer[] = [];
  let size = 0;
  for (const row of rows) {
    const line = row[0];
    const bytes = typeof line === 'string' ? Buffer.from(line) : (line as Buffer);
    held.push(bytes, NEWLINE);
    size += bytes.length + 1;
    if (size >= COPY_PIECE_CHARS) {
      yield Buffer.concat(held, size);
      held = [];
      size = 0;
    }
  }
  if (size) yield Buffer.concat(held, size);
}

const NEWLINE = Buffer.from('\n');
