// The MYSQL and DDM database types (DDM speaks the MySQL protocol); MariaDB too.
import { errors } from '../../../errors';
import type { JdbcDialect } from '../dialect';
import { openMysqlSink } from './mysql-sink';
import { openMysqlSource } from './mysql-source';

export const mysqlDialect: JdbcDialect = {
  databaseTypes: ['MYSQL', 'DDM'],
  checkLink(link) {
    for (const name of ['linkConfig.host', 'linkConfig.port', 'linkConfig.username']) {
      if (!link[name]) throw errors.invalidParameter(`${name} is mandatory for databaseType ${link['linkConfig.databaseType']}.`);
    }
  },
  openSource: openMysqlSource,
  openSink: openMysqlSink,
};
