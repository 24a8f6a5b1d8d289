// The MYSQL database type: MySQL 5.7+ and MariaDB 10.3+ (tested against MariaDB).
// The driver side (mysql2) loads on first use: API functions that only validate inputs
// never pay for it at cold start.
import { errors } from '../../../errors';
import type { JdbcDialect } from '../dialect';
import { quoteIdent } from './mysql-types';

export const mysqlDialect: JdbcDialect = {
  databaseTypes: ['MYSQL'],
  checkLink(link) {
    for (const name of ['linkConfig.host', 'linkConfig.port', 'linkConfig.username']) {
      if (!link[name]) throw errors.invalidParameter(`${name} is mandatory for databaseType ${link['linkConfig.databaseType']}.`);
    }
  },
  // Logs in to linkConfig.database, so a missing database is refused with the link too.
  async testConnection(link) {
    const conn = await (await import('./mysql-connection')).connectMysql(link);
    await conn.end();
  },
  quoteIdent,
  commitStage: async (link, c) => (await import('./mysql-stage')).commitMysqlStage(link, c),
  dropTable: async (link, schema, table) => (await import('./mysql-stage')).dropMysqlTable(link, schema, table),
  openSource: async (req) => (await import('./mysql-source')).openMysqlSource(req),
  openSink: async (req) => (await import('./mysql-sink')).openMysqlSink(req),
};
