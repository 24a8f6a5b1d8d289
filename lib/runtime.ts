// The composition root: AWS clients, store, queue, secrets and token verification are
// made here once per container and handed to lib/ functions. Only this module reads
// process.env. The embedded runtime (lib/local) builds its own Runtime and installs it
// with setRuntime before any handler runs.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRemoteJWKSet } from 'jose';
import { jwtVerifier, type TokenVerifier } from './auth/token';
import { setHeapGrowth } from './engine/heap';
import type { Queue } from './queue/queue';
import { sqsQueue } from './queue/sqs-queue';
import { kmsSecrets } from './secrets/kms-secrets';
import type { Secrets } from './secrets/secrets';
import { createStore, type Store } from './store/store';
import { canonicalZone } from './model/calendar';
// issue 7 (schedules and events): the Scheduler port and its EventBridge adapter.
import { createAutomation, type Automation } from './schedules/automation';
import { eventBridgeScheduler } from './schedules/eventbridge-scheduler';

export interface Settings {
  /** How long an executor's lease lasts without a heartbeat. */
  leaseMs: number;
  /** How long a BOOTING submission may wait for an executor before the reaper re-queues it. */
  bootGraceMs: number;
  /** An invocation with less time left than this hands over to a continuation message. */
  continueMarginMs: number;
  /** Re-queues by the reaper after which a run is declared FAILED. */
  maxRequeues: number;
  /** How long a run waiting for a free slot in its cluster waits before it looks again. */
  slotWaitMs: number;
  /** IANA time zone of calendar values users write: date macros (and schedules). */
  timeZone: string;
  /**
   * How often a running copy reports (progress, counters, lease, a stop request), at most:
   * every chunk would cost store writes per chunk (per 8 MiB piece of a file copy). Each of
   * a run's N partitions reports every N of these, so the run hears from one about this often.
   * 0 reports after every chunk. Capped at a quarter of leaseMs, so the lease never lapses.
   */
  progressIntervalMs: number;
}

export interface Runtime {
  store: Store;
  queue: Queue;
  secrets: Secrets;
  tokens: TokenVerifier;
  settings: Settings;
  now: () => number;
  /** issue 7: schedules, retries and event triggers. Absent: jobs asking for them are refused. */
  automation?: Automation;
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

function integer(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer; got "${v}"`);
  return n;
}

/**
 * Copying makes short-lived garbage with every row. V8 sizes its heap to the machine and
 * lets the old generation grow to several times the live data between full collections,
 * so a copy's RSS would climb far above what it holds (and with the table's size).
 * FERRY_HEAP_GROWTH_PERCENT (default 50; 0 = V8's own heuristics) fixes the growth after
 * each full collection instead: memory stays near the live data, for some more GC time.
 * Binary file copies run under V8's heuristics all the same (engine/heap.ts).
 * Called first thing by the processes that copy: the executor Lambda and `npm start`.
 */
export function boundHeapGrowth(): void {
  const percent = integer('FERRY_HEAP_GROWTH_PERCENT', 50);
  if (percent > 0) setHeapGrowth(percent);
}

/** Tunables, from FERRY_* variables, with their defaults. */
export function settingsFromEnv(): Settings {
  return {
    leaseMs: integer('FERRY_LEASE_MS', 60_000),
    bootGraceMs: integer('FERRY_BOOT_GRACE_MS', 60_000),
    continueMarginMs: integer('FERRY_CONTINUE_MARGIN_MS', 30_000),
    maxRequeues: integer('FERRY_MAX_REQUEUES', 5),
    slotWaitMs: integer('FERRY_SLOT_WAIT_MS', 5_000),
    timeZone: timeZone('FERRY_TIMEZONE', 'UTC'),
    progressIntervalMs: integer('FERRY_PROGRESS_INTERVAL_MS', 1_000),
  };
}

function timeZone(name: string, fallback: string): string {
  const v = process.env[name] || fallback;
  const zone = canonicalZone(v);
  if (!zone) throw new Error(`${name} must be an IANA time zone such as UTC or Asia/Shanghai; got "${v}"`);
  return zone;
}

/** Embedded-runtime settings read from the environment (used by lib/local only). */
export function embeddedEnv() {
  return {
    dataDir: process.env.FERRY_DATA_DIR || '.ferry',
    port: integer('PORT', 8080),
    host: process.env.FERRY_HOST || '127.0.0.1',
    tableName: process.env.FERRY_TABLE || 'ferry',
    /** How often the reaper looks for stalled runs (default: its serverless.yml rate, a minute). */
    reaperIntervalMs: process.env.FERRY_REAPER_INTERVAL_MS ? integer('FERRY_REAPER_INTERVAL_MS', 60_000) : undefined,
  };
}

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function awsRuntime(): Runtime {
  const doc = documentClient(new DynamoDBClient({}));
  const table = { doc, name: required('FERRY_TABLE') };
  return {
    store: createStore(table),
    queue: sqsQueue(new SQSClient({}), required('FERRY_QUEUE_URL')),
    secrets: kmsSecrets(required('FERRY_KMS_KEY_ID')),
    tokens: jwtVerifier({
      key: createRemoteJWKSet(new URL(required('FERRY_AUTH_JWKS_URL'))),
      issuer: required('FERRY_AUTH_ISSUER'),
      audience: process.env.FERRY_AUTH_AUDIENCE || undefined,
    }),
    settings: settingsFromEnv(),
    now: Date.now,
    // issue 7: one EventBridge schedule per job in the stage's group, targeting the scheduler Lambda.
    automation: createAutomation(
      table,
      eventBridgeScheduler({
        group: required('FERRY_SCHEDULE_GROUP'),
        targetArn: required('FERRY_SCHEDULER_TARGET_ARN'),
        roleArn: required('FERRY_SCHEDULER_ROLE_ARN'),
        now: Date.now,
      }),
    ),
  };
}

let current: Runtime | undefined;

/** The runtime for this container: the installed one, or the AWS one built from env. */
export function runtime(): Runtime {
  current ??= awsRuntime();
  return current;
}

export function setRuntime(rt: Runtime | undefined): void {
  current = rt;
}
