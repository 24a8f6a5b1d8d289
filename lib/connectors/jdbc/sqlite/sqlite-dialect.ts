// The SQLITE database type: `linkConfig.database` is the database file's path.
import { errors } from '../../../errors';
import type { JdbcDialect } from '../dialect';
import { openSqliteSink } from './sqlite-sink';
import { openSqliteSource } from './sqlite-source';

export const sqliteDialect: JdbcDialect = {
  databaseTypes: ['SQLITE'],
  checkLink(link) {
    if (!link['linkConfig.database']) {
      throw errors.invalidParameter('linkConfig.database (the SQLite file path) is mandatory for databaseType SQLITE.');
    }
  },
  openSource: openSqliteSource,
  openSink: openSqliteSink,
};
