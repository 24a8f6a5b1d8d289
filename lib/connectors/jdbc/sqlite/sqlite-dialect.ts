// The SQLITE database type: `linkConfig.database` is the database file's path.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errors } from '../../../errors';
import { commitSqliteStage, dropSqliteTable } from './sqlite-stage';
import type { JdbcDialect } from '../dialect';
import { openSqliteSink } from './sqlite-sink';
import { openSqliteSource } from './sqlite-source';
import { quoteIdent } from './sqlite-types';

export const sqliteDialect: JdbcDialect = {
  databaseTypes: ['SQLITE'],
  checkLink(link) {
    if (!link['linkConfig.database']) {
      throw errors.invalidParameter('linkConfig.database (the SQLite file path) is mandatory for databaseType SQLITE.');
    }
  },
  // A destination file may not exist yet (it is created on first write), but its directory must.
  async testConnection(link) {
    const dir = dirname(resolve(link['linkConfig.database']!));
    if (!existsSync(dir)) throw new Error(`The directory ${dir} of SQLite database ${link['linkConfig.database']} does not exist.`);
  },
  quoteIdent,
  commitStage: commitSqliteStage,
  dropTable: dropSqliteTable,
  openSource: openSqliteSource,
  openSink: openSqliteSink,
};
