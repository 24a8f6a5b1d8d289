// `generic-jdbc-connector`: relational databases, one dialect per `linkConfig.databaseType`.
import { errors, LinkTestError } from '../../errors';
import type { InputMap } from '../../model/config-values';
import type { Connector } from '../connector';
import type { JdbcDialect } from './dialect';
import { incrementalWindow } from './incremental';
import { partitionByRange } from './partition';
import { checkStage, stagePlan } from './stage';
import { jdbcFromInputs, jdbcLinkInputs, jdbcToInputs } from './jdbc-inputs';
import { mysqlDialect } from './mysql/mysql-dialect';
import { postgresqlDialect } from './postgresql/postgresql-dialect';
import { sqliteDialect } from './sqlite/sqlite-dialect';

const dialects: readonly JdbcDialect[] = [sqliteDialect, mysqlDialect, postgresqlDialect];

function dialectFor(link: InputMap): JdbcDialect {
  const type = link['linkConfig.databaseType'] ?? '';
  const dialect = dialects.find((d) => d.databaseTypes.includes(type));
  if (!dialect) {
    const supported = dialects.flatMap((d) => d.databaseTypes).join(', ');
    throw errors.invalidParameter(
      `linkConfig.databaseType ${type} is not supported yet; supported: ${supported}.`,
    );
  }
  return dialect;
}

export const jdbcConnector: Connector = {
  name: 'generic-jdbc-connector',
  linkInputs: jdbcLinkInputs,
  fromInputs: jdbcFromInputs,
  toInputs: jdbcToInputs,
  checkLink(link) {
    dialectFor(link).checkLink?.(link);
  },
  checkFrom(from) {
    if (from['fromJobConfig.useSql'] === 'true') {
      if (!from['fromJobConfig.sql']) throw errors.invalidParameter('fromJobConfig.sql is mandatory when fromJobConfig.useSql is true.');
    } else if (!from['fromJobConfig.tableName']) {
      throw errors.invalidParameter('fromJobConfig.tableName is mandatory (or set fromJobConfig.useSql and fromJobConfig.sql).');
    }
  },
  checkTo(to) {
    if (to['toJobConfig.beforeImportType'] === 'whereClause' && !to['toJobConfig.whereClause']) {
      throw errors.invalidParameter('toJobConfig.whereClause is mandatory when toJobConfig.beforeImportType is whereClause.');
    }
    checkStage(to);
  },
  async testLink(link) {
    try {
      await dialectFor(link).testConnection?.(link);
    } catch (e) {
      throw new LinkTestError('linkConfig', e instanceof Error ? e.message : String(e), { cause: e });
    }
  },
  stage: (link, to, run) => stagePlan(dialectFor(link), to, run),
  complete: async (req) => dialectFor(req.link).completeTable?.(req.link, req.to),
  partition: (req, n) => partitionByRange(dialectFor(req.link), req, n),
  incremental: (req, column, after) => incrementalWindow(dialectFor(req.link), req, column, after),
  readBack: (to, schema) => ({
    'fromJobConfig.schemaName': to['toJobConfig.schemaName'] ?? '',
    'fromJobConfig.tableName': to['toJobConfig.tableName']!,
    // toJobConfig.columnList maps by position; without it the columns keep the source's names.
    'fromJobConfig.columnList': to['toJobConfig.columnList'] || schema.columns.map((c) => c.name).join('&'),
  }),
  openSource: (req) => dialectFor(req.link).openSource(req),
  openSink: (req) => dialectFor(req.link).openSink(req),
};
