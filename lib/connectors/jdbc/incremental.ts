// Incremental migration's read window: the rows whose incremental column is above the
// job's high-water mark and at most the column's maximum when the run was planned. The
// upper bound is fixed at planning, so every slice, continuation and retry of the run
// reads the same window, and the next run starts exactly where this one ended.
import { errors } from '../../errors';
import type { RunKey, TableSchema } from '../../engine/types';
import type { InputMap } from '../../model/config-values';
import type { JdbcDialect } from './dialect';
import { columnBounds } from './partition';

const LITERAL: Partial<Record<string, RegExp>> = {
  integer: /^-?\d+$/,
  decimal: /^-?\d+(\.\d+)?$/,
  date: /^[0-9-]+$/,
  timestamp: /^[0-9: .-]+$/,
  timestamptz: /^[0-9: .T+Z-]+$/,
};

function literal(value: string, type: string, column: string): string {
  if (!LITERAL[type]?.test(value)) throw errors.invalidParameter(`The high-water mark ${value} of ${column} is not a ${type} value.`);
  return type === 'integer' || type === 'decimal' ? value : `'${value}'`;
}

function withWhere(from: InputMap, condition: string): InputMap {
  const user = from['fromJobConfig.whereClause'];
  return { ...from, 'fromJobConfig.whereClause': user ? `(${user}) AND ${condition}` : condition };
}

export async function incrementalWindow(
  dialect: JdbcDialect,
  req: { link: InputMap; from: InputMap; schema: TableSchema; run: RunKey },
  column: string,
  after: string | undefined,
): Promise<{ from: InputMap; upTo?: string }> {
  const col = req.schema.columns.find((c) => c.name === column);
  if (!col) throw errors.invalidParameter(`ferryConfig.incrementalColumn ${column} is not a column the job reads.`);
  if (!LITERAL[col.type]) {
    throw errors.invalidParameter(`ferryConfig.incrementalColumn ${column} must be an integer, decimal, date or timestamp column; it is ${col.type}.`);
  }
  const q = dialect.quoteIdent(column);
  const since = after === undefined ? undefined : `${q} > ${literal(after, col.type, column)}`;
  const { max } = await columnBounds(dialect, { ...req, from: since ? withWhere(req.from, since) : req.from }, column);
  // Nothing new: an empty window, and the mark stays where it is.
  if (max === null) return { from: withWhere(req.from, '1 = 0') };
  const upTo = String(max);
  const until = `${q} <= ${literal(upTo, col.type, column)}`;
  return { from: withWhere(req.from, since ? `${since} AND ${until}` : until), upTo };
}
