// useStageTable on SQLite: DDL is transactional, so the whole takeover is one transaction.
import { errors } from '../../../errors';
import type { InputMap } from '../../../model/config-values';
import type { StageCommit } from '../stage';
import { openSqliteDatabase } from './sqlite-source';
import { quoteIdent as q } from './sqlite-types';

export async function commitSqliteStage(link: InputMap, c: StageCommit): Promise<void> {
  const db = openSqliteDatabase(link['linkConfig.database']!, false);
  const schema = q(c.schemaName || 'main');
  const target = `${schema}.${q(c.target)}`;
  const stage = `${schema}.${q(c.stage)}`;
  try {
    db.transaction(() => {
      const exists = db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE type = 'table' AND name = ?`).get(c.target) !== undefined;
      if (c.preparation === 'DROP_AND_CREATE' || (!exists && c.preparation === 'CREATE_WHEN_NOT_EXIST')) {
        db.exec(`DROP TABLE IF EXISTS ${target}`);
        db.exec(`ALTER TABLE ${stage} RENAME TO ${q(c.target)}`);
        return;
      }
      if (!exists) throw errors.tableUnavailable(`Destination table ${c.schemaName || 'main'}.${c.target} does not exist.`);
      if (c.clear.kind === 'all') db.exec(`DELETE FROM ${target}`);
      if (c.clear.kind === 'where') db.exec(`DELETE FROM ${target} WHERE ${c.clear.where}`);
      const cols = (db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).all(c.stage, c.schemaName || 'main') as { name: string }[])
        .map((r) => q(r.name))
        .join(', ');
      db.exec(`INSERT INTO ${target} (${cols}) SELECT ${cols} FROM ${stage}`);
      db.exec(`DROP TABLE ${stage}`);
    })();
  } catch (e) {
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.writeFailed(`Moving the stage table's rows into ${c.target} failed: ${(e as Error).message}`, e);
  } finally {
    db.close();
  }
}

export async function dropSqliteTable(link: InputMap, schemaName: string | undefined, table: string): Promise<void> {
  const db = openSqliteDatabase(link['linkConfig.database']!, false);
  try {
    db.exec(`DROP TABLE IF EXISTS ${q(schemaName || 'main')}.${q(table)}`);
  } finally {
    db.close();
  }
}
