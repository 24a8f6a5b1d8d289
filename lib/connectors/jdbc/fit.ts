// Values a destination column would silently round: PostgreSQL stores 1.005 in a
// numeric(10,2) as 1.01 and 10:00:00.5 in a timestamp(0) as 10:00:01, MariaDB 1.5 in an
// INT as 2 and 10:00:00.5 in a DATETIME as 10:00:00, strict mode or not, without a word.
// A migration must not change a value, so such a value fails the chunk instead. Only
// columns whose source may hold more fractional digits than the destination are checked.
import type { Column, Value } from '../../engine/types';

/** Fractional digits a value really uses (trailing zeros do not count; 1.5e-3 uses 4). */
function fractionDigits(v: Value, temporal: boolean): number {
  if (v === null || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof Uint8Array) return 0;
  const text = String(v);
  if (temporal) return /\d\d:\d\d:\d\d\.(\d*?)0*(?:$|[^\d])/.exec(text)?.[1]!.length ?? 0;
  const m = /^[+-]?\d*(?:\.(\d*?)0*)?(?:[eE]([+-]?\d+))?$/.exec(text);
  return m ? Math.max(0, (m[1]?.length ?? 0) - Number(m[2] ?? 0)) : 0;
}

const TEMPORAL = new Set(['time', 'timestamp', 'timestamptz']);

/** Most fractional digits a column holds, when it is limited (integer, numeric scale, fractional-second digits). */
function fractionLimit(c: Column): number | undefined {
  if (c.type === 'integer') return 0;
  return c.type === 'decimal' || TEMPORAL.has(c.type) ? c.scale : undefined;
}

/**
 * The destination column a value is written to: MySQL and SQLite match column names without
 * regard to case (a CSV header `Amount` fills `amount`), so a check must find it the same way.
 */
export function columnNamed(target: readonly Column[], name: string | undefined): Column | undefined {
  if (name === undefined) return undefined;
  return target.find((c) => c.name === name) ?? target.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

export interface FractionGuard {
  /** Throws, naming the column and value, when a row holds a value the destination would round. */
  check(rows: readonly (readonly Value[])[]): void;
}

/**
 * A guard for writing rows of `source` columns into the destination columns named `names`
 * (same positions), as the destination's catalog describes them (`target`); undefined
 * when no column can lose digits.
 */
export function fractionGuard(source: readonly Column[], names: readonly string[], target: readonly Column[]): FractionGuard | undefined {
  const checks: { index: number; limit: number; temporal: boolean; column: Column }[] = [];
  source.forEach((s, index) => {
    const t = columnNamed(target, names[index]);
    const limit = t && fractionLimit(t);
    if (limit === undefined) return;
    const held = fractionLimit(s);
    if (held !== undefined && held <= limit) return;
    checks.push({ index, limit, temporal: TEMPORAL.has(t!.type), column: t! });
  });
  if (!checks.length) return undefined;
  return {
    check(rows) {
      for (const row of rows) {
        for (const c of checks) {
          if (fractionDigits(row[c.index] as Value, c.temporal) > c.limit) {
            throw new Error(`${String(row[c.index])} does not fit column ${c.column.name} (${c.column.nativeType ?? c.column.type}) without rounding`);
          }
        }
      }
    },
  };
}
