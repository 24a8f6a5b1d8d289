// Verification: a row count and an order-independent checksum of a table, computed the
// same way on the source and the destination, so a copy can be proven complete and
// exact whatever engines hold the two sides.
//
// Each row hashes (SHA-256) to a 128-bit number and the checksum is their SUM modulo
// 2^128: insensitive to order, but, unlike XOR, sensitive to a doubled row. Values are
// canonicalized by what they mean rather than how an engine spells them, so the same
// data reads equal across MySQL, PostgreSQL and SQLite: integers, decimals and floats
// as plain decimal text (1.50 = 1.5 = 1.500), single-precision floats as the float they
// hold (PostgreSQL prints real 0.1 as 0.1, MySQL's exact read as 0.10000000149011612),
// booleans as 1/0 (MySQL's TINYINT(1), SQLite's 0/1), timestamps without trailing
// fractional zeros and instants as their UTC wall time (a timestamptz arrives in MySQL as
// a DATETIME holding UTC), JSON with sorted keys and no whitespace (jsonb and MySQL JSON
// both reformat), bytes as hex.
import { createHash } from 'node:crypto';
import { connectorFor } from '../connectors/registry';
import { errors } from '../errors';
import type { InputMap } from '../model/config-values';
import type { JobSpec } from '../model/job';
import type { Verification } from '../model/submission';
import { utcWallTime } from '../model/calendar';
import type { Column, RunKey, Source, Value } from './types';

export interface Tally {
  readonly rows: number;
  /** 32 hex digits. */
  readonly checksum: string;
}

const MOD = 1n << 128n;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const TEMPORAL = /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}|\d{2}:\d{2}:\d{2}\.\d+)/;

// Trailing fractional zeros are spelling (DECIMAL(12,2) 1.50 vs NUMERIC 1.5); leading
// zeros are not: the text '007' is not the number 7.
function canonicalDecimal(sign: string, int: string, frac = ''): string {
  const f = frac.replace(/0+$/, '');
  const text = f ? `${int}.${f}` : int;
  return sign && !/^0+$/.test(text) ? `-${text}` : text;
}

function sortedJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedJson((v as Record<string, unknown>)[k])]));
  }
  return v;
}

export function canonicalValue(v: Value, column?: Column): string | null {
  if (v === null || v === undefined) return null;
  if (column?.type === 'float' && (column.precision ?? 53) <= 24 && typeof v !== 'boolean' && !(v instanceof Uint8Array)) {
    return canonicalValue(Math.fround(Number(v)));
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return BigInt(v).toString();
    const m = DECIMAL.exec(String(v));
    return m ? canonicalDecimal(m[1]!, m[2]!, m[3]) : String(v);
  }
  if (v instanceof Uint8Array) return `0x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  const m = DECIMAL.exec(v);
  if (m) return canonicalDecimal(m[1]!, m[2]!, m[3]);
  if (TEMPORAL.test(v)) return utcWallTime(v).replace(/(\.\d*?)0+(?=$|[^\d])/, '$1').replace(/\.(?=$|[^\d])/, '');
  if ((v.startsWith('{') && v.endsWith('}')) || (v.startsWith('[') && v.endsWith(']'))) {
    try {
      return JSON.stringify(sortedJson(JSON.parse(v)));
    } catch {
      return v; // text that only looks like JSON
    }
  }
  return v;
}

export class Checksum {
  private sum = 0n;
  private count = 0;

  /** `columns`: the schema of the rows, where a value's meaning depends on its column's type. */
  constructor(private readonly columns: readonly Column[] = []) {}

  add(rows: readonly (readonly Value[])[]): void {
    for (const row of rows) {
      const digest = createHash('sha256').update(JSON.stringify(row.map((v, i) => canonicalValue(v, this.columns[i])))).digest();
      this.sum = (this.sum + BigInt(`0x${digest.subarray(0, 16).toString('hex')}`)) % MOD;
      this.count++;
    }
  }

  result(): Tally {
    return { rows: this.count, checksum: this.sum.toString(16).padStart(32, '0') };
  }
}

/** Reads the whole source (from its start) and tallies it. */
export async function tally(source: Source, chunkRows = 10_000): Promise<Tally> {
  const c = new Checksum(source.schema.columns);
  for await (const batch of source.read(undefined, chunkRows)) c.add(batch.rows);
  return c.result();
}

/** Tallies the source again and the destination as written: rows and checksum must match. */
export async function verifyCopy(c: {
  spec: JobSpec;
  fromLink: InputMap;
  toLink: InputMap;
  /** The whole job's source inputs (not one partition's), macros resolved. */
  from: InputMap;
  to: InputMap;
  run: RunKey;
  timeZone?: string;
  chunkRows: number;
}): Promise<Verification> {
  const toConnector = connectorFor(c.spec.toConnector);
  if (!toConnector.readBack) throw errors.invalidParameter(`ferryConfig.verify: ${toConnector.name} destinations cannot be read back yet.`);
  const source = await connectorFor(c.spec.fromConnector).openSource!({ link: c.fromLink, from: c.from, run: c.run, timeZone: c.timeZone });
  try {
    const destination = await toConnector.openSource!({ link: c.toLink, from: toConnector.readBack(c.to, source.schema), run: c.run });
    try {
      const [s, d] = await Promise.all([tally(source, c.chunkRows), tally(destination, c.chunkRows)]);
      return { source: s, destination: d, matched: s.rows === d.rows && s.checksum === d.checksum };
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}
