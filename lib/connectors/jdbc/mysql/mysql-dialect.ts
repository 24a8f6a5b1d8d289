// The MYSQL database type: MySQL 5.7+ and MariaDB 10.3+ (tested against MariaDB).
import { errors } from '../../../errors';
import type { JdbcDialect } from '../dialect';
import { openMysqlSink } from './mysql-sink';
import { openMysqlSource } from './mysql-source';

export const mysqlDialect: JdbcDialect = {
  databaseTypes: ['MYSQL'],
  checkLink(link) {
    for (const name of ['linkConfig.host', 'linkConfig.port', 'linkConfig.username']) {
      if (!link[name]) throw errors.invalidParameter(`${name} is mandatory for databaseType ${link['linkConfig.databaseType']}.`);
    }
  },
  openSource: openMysqlSource,
  openSink: openMysqlSink,
};
