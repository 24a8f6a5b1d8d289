// Cells as text, for CSV and JSON files: exact digits for integers and decimals,
// temporal values as the engine carries them (never shifted), bytes as base64.
import type { LogicalType, Value } from '../../engine/types';

export function valueToText(_type: LogicalType, v: Value): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return Buffer.from(v).toString('base64');
}
