// The inputs of `generic-jdbc-connector` links and jobs, as CDM documents them
// (shared/reference/cdm-api.md §2.4, §2.5, §3.3), plus SQLITE as a database type:
// the embedded default that needs no server.
import { input } from '../inputs';

export const DATABASE_TYPES = [
  'MYSQL',
  'POSTGRESQL',
  'DWS',
  'DDM',
  'SQLITE',
  'ORACLE',
  'SQLSERVER',
  'DB2',
  'SAP HANA',
] as const;

export const jdbcLinkInputs = [
  input.enum('linkConfig.databaseType', DATABASE_TYPES, { mandatory: true }),
  input.string('linkConfig.host', { endpoint: true, description: 'Database server host; not used by SQLITE.' }),
  input.integer('linkConfig.port', { min: 1, max: 65535, endpoint: true }),
  input.string('linkConfig.database', { description: 'Database name; for SQLITE, the database file path.' }),
  input.string('linkConfig.username'),
  input.string('linkConfig.password', { secret: true }),
  input.integer('linkConfig.fetchSize', { min: 1, max: 1_000_000, default: '10000' }),
  input.integer('linkConfig.commitSize', { min: 1, max: 1_000_000, default: '10000' }),
  input.boolean('linkConfig.usingNative', { default: 'false' }),
  input.boolean('linkConfig.useSSL', { default: 'false' }),
  input.boolean('linkConfig.isRds', { default: 'false' }),
  input.string('linkConfig.jdbcProperties'),
  input.string('linkConfig.databaseconfig'),
  input.string('linkConfig.sidname'),
  input.string('linkConfig.version'),
  input.string('dialect.identifierEnclose'),
] as const;

export const jdbcFromInputs = [
  input.boolean('fromJobConfig.useSql', { default: 'false' }),
  input.string('fromJobConfig.sql'),
  input.string('fromJobConfig.schemaName'),
  input.string('fromJobConfig.tableName'),
  input.string('fromJobConfig.whereClause'),
  input.string('fromJobConfig.columnList', { description: 'Columns to read, separated by &.' }),
  input.string('fromJobConfig.partitionColumn'),
  input.boolean('fromJobConfig.usePartition', { default: 'false' }),
  input.string('fromJobConfig.partitionList'),
  input.boolean('fromJobConfig.incrMigration', { default: 'false' }),
  input.boolean('fromJobConfig.allowNullValueInPartitionColumn', { default: 'true' }),
] as const;

export const TABLE_PREPARATIONS = ['DO_NOTHING', 'CREATE_WHEN_NOT_EXIST', 'DROP_AND_CREATE'] as const;
export const BEFORE_IMPORT_TYPES = ['none', 'shouldClearTable', 'whereClause'] as const;

export const jdbcToInputs = [
  input.string('toJobConfig.schemaName'),
  input.string('toJobConfig.tableName', { mandatory: true }),
  input.enum('toJobConfig.tablePreparation', TABLE_PREPARATIONS, { default: 'DO_NOTHING' }),
  input.string('toJobConfig.columnList', { description: 'Destination columns, separated by &, mapped by position.' }),
  input.enum('toJobConfig.beforeImportType', BEFORE_IMPORT_TYPES, { default: 'none' }),
  input.boolean('toJobConfig.shouldClearTable', { default: 'false' }),
  input.string('toJobConfig.whereClause'),
  input.boolean('toJobConfig.useStageTable', { default: 'false' }),
  // Constraint conflict handling on tables with a key (CDM's console offers it for RDS; third-party
  // bodies name it onConflict): INSERT fails the chunk on a duplicate key (EXCEPTION is its alias),
  // REPLACE replaces the row, UPDATE updates the written columns.
  input.enum('toJobConfig.onConflict', ['INSERT', 'EXCEPTION', 'REPLACE', 'UPDATE'], { default: 'INSERT' }),
  input.enum('toJobConfig.orientation', ['ROW', 'COLUMN']),
  input.boolean('toJobConfig.isCompress', { default: 'false' }),
  input.boolean('toJobConfig.extendCharLength', { default: 'false' }),
  input.boolean('toJobConfig.useNullable', { default: 'true' }),
] as const;
