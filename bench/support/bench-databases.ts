// The relational bench's databases: the MariaDB source table loaded from
// ../shared/bench/orders-mysql.sql (unchanged) when it is missing, its 5,000,000-row
// sibling on request, and fresh PostgreSQL/MariaDB destination databases.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { processCpuSeconds } from './timed-process';

export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' } as const;
export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

export const mysqlLink = (database: string, fetchSize: number) => ({
  'linkConfig.databaseType': 'MYSQL',
  'linkConfig.host': MARIADB.host,
  'linkConfig.port': String(MARIADB.port),
  'linkConfig.database': database,
  'linkConfig.username': MARIADB.user,
  'linkConfig.fetchSize': String(fetchSize),
});

export const postgresLink = (database: string, fetchSize: number) => ({
  'linkConfig.databaseType': 'POSTGRESQL',
  'linkConfig.host': POSTGRES.host,
  'linkConfig.port': String(POSTGRES.port),
  'linkConfig.database': database,
  'linkConfig.username': POSTGRES.user,
  'linkConfig.fetchSize': String(fetchSize),
});

async function mariadb(): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({ ...MARIADB, multipleStatements: true });
  } catch (e) {
    throw new Error(`MariaDB at ${MARIADB.host}:${MARIADB.port} (root, no password) is needed: start it with \`sudo service mariadb start\`.`, {
      cause: e,
    });
  }
}

async function countRows(conn: mysql.Connection, table: string): Promise<number> {
  try {
    const [rows] = await conn.query({ sql: `SELECT COUNT(*) FROM ${table}`, rowsAsArray: true });
    return Number((rows as unknown[][])[0]![0]);
  } catch {
    return -1; // no such table
  }
}

/** `bench.orders` as the shared script builds it, loaded only when its row count is not right. */
export async function ensureOrders(sqlFile: string, rows: number): Promise<'present' | 'loaded'> {
  const conn = await mariadb();
  try {
    if ((await countRows(conn, 'bench.orders')) === rows) return 'present';
    await conn.query(readFileSync(sqlFile, 'utf8'));
    const n = await countRows(conn, 'bench.orders');
    if (n !== rows) throw new Error(`${sqlFile} loaded ${n} rows into bench.orders, not ${rows}`);
    return 'loaded';
  } finally {
    await conn.end();
  }
}

/**
 * `bench_big.orders`: `copies` copies of bench.orders, ids shifted by a million per copy
 * (same schema, same values otherwise), built only when its row count is not right.
 */
export async function ensureBigOrders(copies: number, rowsPerCopy: number): Promise<'present' | 'loaded'> {
  const conn = await mariadb();
  try {
    if ((await countRows(conn, 'bench_big.orders')) === copies * rowsPerCopy) return 'present';
    await conn.query('CREATE DATABASE IF NOT EXISTS bench_big; DROP TABLE IF EXISTS bench_big.orders; CREATE TABLE bench_big.orders LIKE bench.orders');
    const columns = 'customer_id, sku, note, amount, qty, paid, ratio, created_at, ship_date';
    for (let k = 0; k < copies; k++) {
      await conn.query(`INSERT INTO bench_big.orders (id, ${columns}) SELECT id + ${k * rowsPerCopy}, ${columns} FROM bench.orders`);
    }
    return 'loaded';
  } finally {
    await conn.end();
  }
}

/** A fresh (dropped and re-created) MariaDB database. */
export async function freshMariadbDatabase(name: string): Promise<void> {
  const conn = await mariadb();
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end();
  }
}

/** A fresh (dropped and re-created) PostgreSQL database. */
/**
 * Before each timed run: PostgreSQL writes out what earlier runs left dirty (a dropped
 * 5M-row database, the previous copy), so no tool pays for another's checkpoint.
 */
export async function settlePostgres(): Promise<void> {
  const client = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}

export async function freshPostgresDatabase(name: string): Promise<void> {
  const client = new pg.Client({ ...POSTGRES, database: 'postgres' });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`PostgreSQL at ${POSTGRES.host}:${POSTGRES.port} (postgres, trust) is needed: start it with \`sudo service postgresql start\`.`, {
      cause: e,
    });
  }
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

/**
 * CPU seconds the database servers have used so far, to show where a copy's time goes:
 * MariaDB is one process; PostgreSQL is the postmaster, the backends it has reaped (its
 * cutime/cstime) and the ones still running. NaN for a server not found here.
 */
export function databaseCpuSeconds(): { mariadb: number; postgres: number } {
  const pidOf = (...names: string[]) => Number(spawnSync('pidof', ['-s', ...names], { encoding: 'utf8' }).stdout?.trim() || NaN);
  const postmaster = Number(spawnSync('pgrep', ['-o', '-x', 'postgres'], { encoding: 'utf8' }).stdout?.trim() || NaN);
  const mariadbPid = pidOf('mariadbd', 'mysqld');
  if (Number.isNaN(postmaster)) return { mariadb: Number.isNaN(mariadbPid) ? NaN : processCpuSeconds(mariadbPid), postgres: NaN };
  const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  let postgres = processCpuSeconds(postmaster, { reapedChildren: true });
  for (const pid of children) {
    try {
      postgres += processCpuSeconds(pid, { reapedChildren: true });
    } catch {
      // ended between the listing and the read: its time is in the postmaster's cutime now
    }
  }
  return { mariadb: Number.isNaN(mariadbPid) ? NaN : processCpuSeconds(mariadbPid), postgres };
}
