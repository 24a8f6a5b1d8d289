// useStageTable on MySQL/MariaDB. DDL commits implicitly there, so the takeover uses the
// atomic operations MySQL has: RENAME TABLE (several renames in one statement are
// atomic) when the stage becomes the target, one DML transaction when the target keeps
// its table and takes the stage's rows; the stage is dropped after that commits.
import { errors } from '../../../errors';
import type { InputMap } from '../../../model/config-values';
import type { StageCommit } from '../stage';
import { connectMysql, mysqlMessage } from './mysql-connection';
import { quoteIdent as q } from './mysql-types';

export async function commitMysqlStage(link: InputMap, c: StageCommit): Promise<void> {
  const conn = await connectMysql(link);
  const schema = c.schemaName ? `${q(c.schemaName)}.` : '';
  const target = `${schema}${q(c.target)}`;
  const stage = `${schema}${q(c.stage)}`;
  try {
    const [found] = (await conn.query(
      'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?',
      [c.schemaName ?? null, c.target],
    )) as unknown as [{ n: number | string }[]];
    const exists = Number(found[0]?.n) > 0;
    if (c.preparation === 'DROP_AND_CREATE' && exists) {
      const old = `${schema}${q(`${c.stage}_old`)}`;
      await conn.query(`RENAME TABLE ${target} TO ${old}, ${stage} TO ${target}`);
      await conn.query(`DROP TABLE ${old}`);
      return;
    }
    if (!exists) {
      if (c.preparation === 'DO_NOTHING') {
        throw errors.tableUnavailable(`Destination table ${c.schemaName ? `${c.schemaName}.` : ''}${c.target} does not exist.`);
      }
      await conn.query(`RENAME TABLE ${stage} TO ${target}`);
      return;
    }
    const [cols] = (await conn.query(
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? ORDER BY ordinal_position',
      [c.schemaName ?? null, c.stage],
    )) as unknown as [{ name: string }[]];
    const list = cols.map((r) => q(r.name)).join(', ');
    await conn.beginTransaction();
    try {
      if (c.clear.kind === 'all') await conn.query(`DELETE FROM ${target}`);
      if (c.clear.kind === 'where') await conn.query(`DELETE FROM ${target} WHERE ${c.clear.where}`);
      await conn.query(`INSERT INTO ${target} (${list}) SELECT ${list} FROM ${stage}`);
      await conn.commit();
    } catch (e) {
      await conn.rollback().catch(() => {});
      throw e;
    }
    await conn.query(`DROP TABLE ${stage}`);
  } catch (e) {
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.writeFailed(`Moving the stage table's rows into ${c.target} failed: ${mysqlMessage(e)}`, e);
  } finally {
    await conn.end().catch(() => {});
  }
}

export async function dropMysqlTable(link: InputMap, schemaName: string | undefined, table: string): Promise<void> {
  const conn = await connectMysql(link);
  try {
    await conn.query(`DROP TABLE IF EXISTS ${schemaName ? `${q(schemaName)}.` : ''}${q(table)}`);
  } finally {
    await conn.end().catch(() => {});
  }
}
