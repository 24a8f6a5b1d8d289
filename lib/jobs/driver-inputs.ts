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
  input.boolean('throttlingConfig.recordDirtyData', { default: 'false' }),
  input.string('throttlingConfig.writeToLink'),
  input.string('throttlingConfig.obsBucket'),
  input.string('throttlingConfig.dirtyDataDirectory'),
  input.integer('throttlingConfig.maxErrorRecords', { min: 0 }),
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
