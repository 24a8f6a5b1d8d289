// `driver-config-values`: the task settings every job may carry (cdm-api.md §2.3).
import { input } from '../connectors/inputs';

export const DRIVER_CONFIGS = [
  'throttlingConfig',
  'jarConfig',
  'schedulerConfig',
  'transformConfig',
  'retryJobConfig',
  'groupJobConfig',
  'smnConfig',
  'partitionConfig',
  // Ferry's own settings (CDM has no counterpart).
  'ferryConfig',
];

export const driverInputs = [
  input.integer('throttlingConfig.numExtractors', { min: 1, max: 300, default: '1' }),
  input.integer('throttlingConfig.numLoaders', { min: 1, max: 300 }),
  // Dirty data (lib/engine/dirty-data.ts): malformed records of a CSV/JSON file source are set aside.
  input.boolean('throttlingConfig.recordDirtyData', {
    default: 'false',
    description: 'Write malformed source records (CSV_FILE/JSON_FILE sources) to dirty-data files instead of failing the run.',
  }),
  input.string('throttlingConfig.writeToLink', { description: 'With recordDirtyData: the file link (NAS, OBS, FTP, SFTP) in this cluster that receives dirty data.' }),
  input.string('throttlingConfig.obsBucket', { description: 'With recordDirtyData and an OBS writeToLink: the bucket for dirty data.' }),
  input.string('throttlingConfig.dirtyDataDirectory', {
    description: 'With recordDirtyData (mandatory): directory on writeToLink; each run writes JSON lines {source, line, reason, raw} under <directory>/<job>/<submission id>/.',
  }),
  input.integer('throttlingConfig.maxErrorRecords', {
    min: 0,
    description: 'With recordDirtyData: dirty records one partition may set aside; one more fails the run (Cdm.0936). Default 10000; 0 tolerates none.',
  }),
  input.boolean('throttlingConfig.submitToCluster', { default: 'false' }),
  input.integer('throttlingConfig.concurrentSubJobs', { min: 1 }),
  input.integer('throttlingConfig.numSplits', { min: 1 }),
  input.integer('throttlingConfig.splitRetryTime', { min: 0 }),
  input.boolean('throttlingConfig.throttling', { default: 'false' }),
  input.integer('throttlingConfig.byteRate', { min: 1 }),
  input.integer('throttlingConfig.recordRate', { min: 1 }),
  input.integer('throttlingConfig.channelCapacityMb', { min: 1, max: 500 }),
  input.string('groupJobConfig.groupName', { default: 'DEFAULT' }),
  input.string('groupJobConfig.groupId'),
  input.boolean('schedulerConfig.isSchedulerJob', { default: 'false' }),
  input.enum('schedulerConfig.cycleType', ['minute', 'hour', 'day', 'week', 'month']),
  input.integer('schedulerConfig.cycle', { min: 1 }),
  input.string('schedulerConfig.runAt'),
  input.string('schedulerConfig.startDate'),
  input.string('schedulerConfig.stopDate'),
  input.enum('schedulerConfig.disposableType', ['NONE', 'DELETE_AFTER_SUCCEED', 'DELETE'], { default: 'NONE' }),
  input.enum('retryJobConfig.retryJobType', ['NONE', 'RETRY_TRIPLE'], { default: 'NONE' }),
  input.boolean('smnConfig.isNeedNotification', { default: 'false' }),
  // After the copy, count and checksum both sides and fail the run if they differ
  // (lib/engine/verify.ts). Off by default: it reads both tables once more.
  input.boolean('ferryConfig.verify', { default: 'false' }),
  // Incremental migration: each run copies only the rows whose column is above the
  // high-water mark the last successful run left (lib/engine/incremental.ts).
  input.string('ferryConfig.incrementalColumn'),
  // Schedules and S3-triggered starts (lib/schedules).
  input.string('ferryConfig.schedulerTimeZone', { description: 'IANA zone of schedulerConfig.startDate/stopDate and run times; default FERRY_TIMEZONE (UTC).' }),
  input.string('ferryConfig.s3TriggerBucket', { description: 'Start the job when an object is created in this S3 bucket.' }),
  input.string('ferryConfig.s3TriggerPrefix', { description: 'Only for object keys starting with this.' }),
  input.string('ferryConfig.s3TriggerSuffix', { description: 'Only for object keys ending with this.' }),
] as const;
