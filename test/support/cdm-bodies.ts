// CDM request bodies as real clients send them.

export const sqliteLink = (name: string, file: string, extra: Record<string, string> = {}) => ({
  name,
  'connector-name': 'generic-jdbc-connector',
  'link-config-values': {
    configs: [
      {
        name: 'linkConfig',
        inputs: Object.entries({ 'linkConfig.databaseType': 'SQLITE', 'linkConfig.database': file, ...extra }).map(
          ([name, value]) => ({ name, value }),
        ),
      },
    ],
  },
});

const inputs = (config: string, values: Record<string, string>) => ({
  configs: [{ name: config, inputs: Object.entries(values).map(([name, value]) => ({ name, value })) }],
});

export const tableJob = (
  name: string,
  opts: { from?: string; to?: string; fromTable?: string; toTable?: string; fromInputs?: Record<string, string>; toInputs?: Record<string, string> } = {},
) => ({
  job_type: 'NORMAL_JOB',
  name,
  'from-connector-name': 'generic-jdbc-connector',
  'to-connector-name': 'generic-jdbc-connector',
  'from-link-name': opts.from ?? 'src',
  'to-link-name': opts.to ?? 'dst',
  'from-config-values': inputs('fromJobConfig', {
    'fromJobConfig.schemaName': 'main',
    'fromJobConfig.tableName': opts.fromTable ?? 'orders',
    ...opts.fromInputs,
  }),
  'to-config-values': inputs('toJobConfig', {
    'toJobConfig.tableName': opts.toTable ?? 'orders_copy',
    'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST',
    ...opts.toInputs,
  }),
  'driver-config-values': { configs: [] },
});
