// The SQLITE database type: `linkConfig.database` is the database file's path.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errors } from '../../../errors';
import type { JdbcDialect } from '../dialect';
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
  commitStage: async (link, c) => (await import('./sqlite-stage')).commitSqliteStage(link, c),
  dropTable: async (link, schema, table) => (await import('./sqlite-stage')).dropSqliteTable(link, schema, table),
  // better-sqlite3 (a native module, embedded only) loads on first use.
  openSource: async (req) => (await import('./sqlite-source')).openSqliteSource(req),
  openSink: async (req) => (await import('./sqlite-sink')).openSqliteSink(req),
};
