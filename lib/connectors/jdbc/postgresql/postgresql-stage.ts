// useStageTable on PostgreSQL/DWS: DDL is transactional, so the whole takeover is one transaction,
// the primary key a created target gets after the load included (postgresql-key.ts).
import { errors } from '../../../errors';
import type { InputMap } from '../../../model/config-values';
import type { StageCommit } from '../stage';
import { forgetPrimaryKey, settlePrimaryKey } from './postgresql-key';
import { connectPostgres, pgMessage } from './postgresql-source';
import { quoteIdent as q } from './postgresql-types';

export async function commitPostgresStage(link: InputMap, c: StageCommit): Promise<void> {
  const client = await connectPostgres(link);
  const schema = c.schemaName ? `${q(c.schemaName)}.` : '';
  const target = `${schema}${q(c.target)}`;
  const stage = `${schema}${q(c.stage)}`;
  // Where the sink made the stage and keeps its checkpoints.
  const home = c.schemaName || 'public';
  try {
    await client.query('BEGIN');
    // The named schema, else the current one; a catalog query (DWS predates to_regclass).
    const found = await client.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND n.nspname = COALESCE($2, current_schema())`,
      [c.target, c.schemaName ?? null],
    );
    const exists = (found.rowCount ?? 0) > 0;
    if (c.preparation === 'DROP_AND_CREATE' || (!exists && c.preparation === 'CREATE_WHEN_NOT_EXIST')) {
      await client.query(`DROP TABLE IF EXISTS ${target}`);
      await client.query(`ALTER TABLE ${stage} RENAME TO ${q(c.target)}`);
      // Its constraints (and their indexes) were named after the stage: name them after the table.
      const named = await client.query<{ conname: string }>('SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND conname LIKE $2', [
        target,
        `${c.stage}%`,
      ]);
      for (const { conname } of named.rows) {
        const renamed = `${c.target}${conname.slice(c.stage.length)}`.slice(0, 63);
        await client.query(`ALTER TABLE ${target} RENAME CONSTRAINT ${q(conname)} TO ${q(renamed)}`);
      }
      // The stage was loaded without its key: the target gets it here, or the takeover fails whole.
      await settlePrimaryKey(client, link, { schemaName: home, table: c.target, owedBy: c.stage });
    } else {
      if (!exists) throw errors.tableUnavailable(`Destination table ${c.schemaName ? `${c.schemaName}.` : ''}${c.target} does not exist.`);
      if (c.clear.kind === 'all') await client.query(`DELETE FROM ${target}`);
      if (c.clear.kind === 'where') await client.query(`DELETE FROM ${target} WHERE ${c.clear.where}`);
      const cols = await client.query<{ attname: string }>(
        `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [stage],
      );
      const list = cols.rows.map((r) => q(r.attname)).join(', ');
      await client.query(`INSERT INTO ${target} (${list}) SELECT ${list} FROM ${stage}`);
      await client.query(`DROP TABLE ${stage}`);
      await forgetPrimaryKey(client, home, c.stage);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.writeFailed(`Moving the stage table's rows into ${c.target} failed: ${pgMessage(e, link)}`, e);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function dropPostgresTable(link: InputMap, schemaName: string | undefined, table: string): Promise<void> {
  const client = await connectPostgres(link);
  try {
    await client.query(`DROP TABLE IF EXISTS ${schemaName ? `${q(schemaName)}.` : ''}${q(table)}`);
    // The key a dropped stage owed goes too; no checkpoint table (42P01) means it owed none.
    await forgetPrimaryKey(client, schemaName || 'public', table).catch((e: { code?: string }) => {
      if (e.code !== '42P01') throw e;
    });
  } finally {
    await client.end().catch(() => {});
  }
}
