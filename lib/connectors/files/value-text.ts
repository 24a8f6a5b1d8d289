// Cells as text, for CSV and JSON files: exact digits for integers and decimals,
// temporal values as the engine carries them (never shifted), bytes as base64 (binary
// columns travel through CSV/JSON files as base64; jdbc/file-cells.ts reads them back).
import type { LogicalType, Value } from '../../engine/types';

export function valueToText(_type: LogicalType, v: Value): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  // A float keeps its sign of zero (String(-0) is '0'); MariaDB prints its DOUBLEs' -0 as 0, as mysql-csv-text.ts does.
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return Buffer.from(v).toString('base64');
}
