// The POSTGRESQL and DWS database types (DWS, GaussDB's warehouse, speaks the PostgreSQL protocol).
import { errors } from '../../../errors';
import { commitPostgresStage, dropPostgresTable } from './postgresql-stage';
import type { JdbcDialect } from '../dialect';
import { openPostgresSink } from './postgresql-sink';
import { connectPostgres, openPostgresSource } from './postgresql-source';
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
    const client = await connectPostgres(link);
    await client.end();
  },
  quoteIdent,
  commitStage: commitPostgresStage,
  dropTable: dropPostgresTable,
  openSource: openPostgresSource,
  openSink: openPostgresSink,
};
