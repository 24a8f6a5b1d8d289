// One session on a MySQL/MariaDB server, set up so that values travel exactly, and the
// error wording every MySQL failure shares.
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { errors } from '../../../errors';
import type { InputMap } from '../../../model/config-values';

/** Where a link points, for messages: never the password. */
export function mysqlAddress(link: InputMap): string {
  return `${link['linkConfig.host']}:${link['linkConfig.port'] || 3306}`;
}

/**
 * One connection (not a pool: a sink's chunk and its checkpoint share a transaction).
 * Every session runs in UTC (TIMESTAMP values read and write as UTC), in strict mode
 * (a value that does not fit fails instead of being truncated), and without
 * NO_BACKSLASH_ESCAPES (the literals written by mysqlLiteral rely on backslashes).
 */
export async function connectMysql(link: InputMap): Promise<Connection> {
  const database = link['linkConfig.database'] || undefined;
  let conn: Connection;
  try {
    conn = await mysql.createConnection({
      host: link['linkConfig.host'],
      port: Number(link['linkConfig.port'] || 3306),
      user: link['linkConfig.username'],
      password: link['linkConfig.password'],
      database,
      charset: 'UTF8MB4_UNICODE_CI',
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      dateStrings: true,
      jsonStrings: true,
      connectTimeout: 10_000,
      ssl: link['linkConfig.useSSL'] === 'true' ? {} : undefined,
    });
  } catch (e) {
    throw errors.dbConnectFailed(
      `Cannot connect to MySQL at ${mysqlAddress(link)}${database ? `/${database}` : ''} as ${link['linkConfig.username']}: ${mysqlMessage(e)}`,
      e,
    );
  }
  // A server-side drop between queries surfaces on the next query; an unheard 'error' event would crash the process.
  conn.on('error', () => {});
  try {
    const [[mode]] = (await conn.query({ sql: 'SELECT @@SESSION.sql_mode', rowsAsArray: true })) as unknown as [[[string]]];
    const modes = new Set(mode[0].split(',').filter((m) => m && m !== 'NO_BACKSLASH_ESCAPES'));
    modes.add('STRICT_ALL_TABLES');
    // net_write_timeout: a streamed read waits (socket paused) while the sink writes a chunk.
    await conn.query(`SET time_zone = '+00:00', sql_mode = '${[...modes].join(',')}', net_write_timeout = 900`);
  } catch (e) {
    conn.destroy();
    throw errors.dbConnectFailed(`Cannot set up the session on MySQL at ${mysqlAddress(link)}: ${mysqlMessage(e)}`, e);
  }
  return conn;
}

/** The server's own words for a failure (mysql2 keeps them in `sqlMessage`). */
export function mysqlMessage(e: unknown): string {
  const err = e as { sqlMessage?: string; message?: string; code?: string };
  return err.sqlMessage || err.message || err.code || String(e);
}

export function isMissingTable(e: unknown): boolean {
  return (e as { code?: string }).code === 'ER_NO_SUCH_TABLE' || (e as { code?: string }).code === 'ER_BAD_DB_ERROR';
}
