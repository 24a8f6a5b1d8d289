// The POSTGRESQL and DWS database types (DWS, GaussDB's warehouse, speaks the PostgreSQL protocol).
// The driver side (pg) loads on first use: API functions that only validate inputs never
// pay for it at cold start.
import { errors } from '../../../errors';
import type { JdbcDialect } from '../dialect';
import { quoteIdent } from './postgresql-types';

export const postgresqlDialect: JdbcDialect = {
  databaseTypes: ['POSTGRESQL', 'DWS'],
  checkLink(link) {
    for (const name of ['linkConfig.host', 'linkConfig.database', 'linkConfig.username']) {
      if (!link[name]) throw errors.invalidParameter(`${name} is mandatory for databaseType ${link['linkConfig.databaseType']}.`);
    }
  },
  // Logs in to linkConfig.database, so a missing database is refused with the link too.
  async testConnection(link) {
    const client = await (await import('./postgresql-source')).connectPostgres(link);
    await client.end();
  },
  quoteIdent,
  commitStage: async (link, c) => (await import('./postgresql-stage')).commitPostgresStage(link, c),
  dropTable: async (link, schema, table) => (await import('./postgresql-stage')).dropPostgresTable(link, schema, table),
  completeTable: async (link, to) => (await import('./postgresql-key')).completePostgresTable(link, to),
  openSource: async (req) => (await import('./postgresql-source')).openPostgresSource(req),
  openSink: async (req) => (await import('./postgresql-sink')).openPostgresSink(req),
};
