// The MYSQL database type: MySQL 5.7+ and MariaDB 10.3+ (tested against MariaDB).
import { errors } from '../../../errors';
import { commitMysqlStage, dropMysqlTable } from './mysql-stage';
import type { JdbcDialect } from '../dialect';
import { connectMysql } from './mysql-connection';
import { openMysqlSink } from './mysql-sink';
import { openMysqlSource } from './mysql-source';
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
    const conn = await connectMysql(link);
    await conn.end();
  },
  quoteIdent,
  commitStage: commitMysqlStage,
  dropTable: dropMysqlTable,
  openSource: openMysqlSource,
  openSink: openMysqlSink,
};
