// Small SQLite source databases for tests.
import Database from 'better-sqlite3';

/** An `orders` table of `rows` rows with mixed types, NULLs and 4-byte UTF-8. */
export function makeOrders(file: string, rows: number, table = 'orders'): void {
  const db = new Database(file);
  db.exec(`DROP TABLE IF EXISTS "${table}"`);
  db.exec(`CREATE TABLE "${table}" (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, note TEXT, amount DECIMAL(12,2),
    big INTEGER, created_at DATETIME, payload BLOB)`);
  const insert = db.prepare(`INSERT INTO "${table}" VALUES (?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) {
      insert.run(
        i,
        `SKU-${i}`,
        i % 7 === 0 ? null : i % 5 === 0 ? '' : `note ${i} 😀`,
        (i * 1.25).toFixed(2),
        9007199254740993n + BigInt(i),
        `2024-01-01 00:00:${String(i % 60).padStart(2, '0')}.123`,
        Buffer.from([0, i % 256, 0]),
      );
    }
  })();
  db.close();
}

/** Every row of a table as text, sorted: equal strings mean equal tables, value for value. */
export function tableDump(file: string, table: string): string[] {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  const rows = db.prepare(`SELECT * FROM "${table}"`).raw(true).all() as unknown[][];
  db.close();
  return rows
    .map((r) =>
      JSON.stringify(r, (_k, v) =>
        typeof v === 'bigint' ? `${v}n` : v && v.type === 'Buffer' ? `0x${Buffer.from(v.data).toString('hex')}` : v,
      ),
    )
    .sort();
}
