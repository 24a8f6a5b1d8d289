// Splits a table read into slices by ranges of an integer column, so partitions can be
// copied in parallel: fromJobConfig.partitionColumn, or else a single-column integer
// primary key. Each slice is the job's own from-inputs with the range added to the where
// clause; the first and last slices are open-ended, so rows beyond the bounds seen at
// planning are still read once, and NULLs go to the first slice unless
// fromJobConfig.allowNullValueInPartitionColumn is false (then they are not read, as CDM does).
import type { InputMap } from '../../model/config-values';
import type { RunKey, TableSchema, Value } from '../../engine/types';
import type { JdbcDialect } from './dialect';

export async function partitionByRange(
  dialect: JdbcDialect,
  req: { link: InputMap; from: InputMap; schema: TableSchema; run: RunKey },
  n: number,
): Promise<InputMap[] | undefined> {
  const { from, schema } = req;
  if (from['fromJobConfig.useSql'] === 'true') return undefined;
  const column = from['fromJobConfig.partitionColumn'] || (schema.primaryKey.length === 1 ? schema.primaryKey[0] : undefined);
  // Ranges need an integer column that the read includes; anything else is read whole.
  if (!column || schema.columns.find((c) => c.name === column)?.type !== 'integer') return undefined;

  const q = dialect.quoteIdent;
  const { min, max } = await columnBounds(dialect, req, column);
  if (min === null || max === null) return undefined; // nothing to split
  const lo = BigInt(String(min));
  const hi = BigInt(String(max));
  const userWhere = from['fromJobConfig.whereClause'];

  const span = hi - lo + 1n;
  const count = BigInt(n) < span ? BigInt(n) : span;
  if (count < 2n) return undefined;
  const cuts = Array.from({ length: Number(count) - 1 }, (_, i) => lo! + (span * BigInt(i + 1)) / count);
  const col = q(column);
  const nulls = from['fromJobConfig.allowNullValueInPartitionColumn'] !== 'false';
  return [undefined, ...cuts].map((start, i) => {
    const end = cuts[i];
    const range = [start !== undefined ? `${col} >= ${start}` : '', end !== undefined ? `${col} < ${end}` : ''].filter(Boolean).join(' AND ');
    const slice = i === 0 && nulls ? `(${range} OR ${col} IS NULL)` : `(${range})`;
    return { ...from, 'fromJobConfig.whereClause': userWhere ? `(${userWhere}) AND ${slice}` : slice };
  });
}

/** MIN and MAX of a column over the rows the job's source inputs select (null when there are none). */
export async function columnBounds(
  dialect: JdbcDialect,
  req: { link: InputMap; from: InputMap; run: RunKey },
  column: string,
): Promise<{ min: Value; max: Value }> {
  const q = dialect.quoteIdent;
  const { from } = req;
  const table = [from['fromJobConfig.schemaName'], from['fromJobConfig.tableName']].filter(Boolean).map((p) => q(p!)).join('.');
  const where = from['fromJobConfig.whereClause'];
  const bounds = await dialect.openSource({
    link: req.link,
    from: {
      'fromJobConfig.useSql': 'true',
      'fromJobConfig.sql': `SELECT MIN(${q(column)}) AS lo, MAX(${q(column)}) AS hi FROM ${table}${where ? ` WHERE ${where}` : ''}`,
    },
    run: req.run,
  });
  try {
    for await (const batch of bounds.read(undefined, 1)) {
      const [min = null, max = null] = batch.rows[0] ?? [];
      return { min, max };
    }
    return { min: null, max: null };
  } finally {
    await bounds.close();
  }
}
