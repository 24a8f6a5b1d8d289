// The embedded runtime: dynalite + in-process queue + local keys + the HTTP gateway,
// all wired from serverless.yml to the same handler modules AWS runs.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jwtVerifier } from '../auth/token';
import { localSecrets } from '../secrets/secrets';
import { createStore } from '../store/store';
import { documentClient, setRuntime, settingsFromEnv, type Runtime, type Settings } from '../runtime';
import { startDynalite } from './dynalite';
import { embeddedQueue, type EmbeddedQueue, type SqsHandler } from './embedded-queue';
import { buildRoutes, startGateway, type HttpHandler } from './gateway';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, loadOrCreateKeys, type LocalKeys } from './local-keys';
import { loadHandler, rateMs, readFunctions } from './serverless-config';
// issue 7: the in-process scheduler, re-armed from the store on every start.
import { createAutomation } from '../schedules/automation';
import { runTick } from '../schedules/tick';
import { embeddedScheduler, systemClock, type Clock } from './embedded-scheduler';

/** The directory of serverless.yml: two up from here, or above the bundle `npm start` runs. */
export const PROJECT_ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));

function projectRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'serverless.yml'))) return d;
    if (dirname(d) === d) throw new Error(`no serverless.yml above ${dir}`);
  }
}

export interface EmbeddedOptions {
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  tableName?: string;
  settings?: Partial<Settings>;
  /** Executor invocations in parallel. */
  concurrency?: number;
  /** Lambda-like time budget of one executor invocation. */
  invocationTimeoutMs?: number;
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  /** How often the reaper runs (default: its serverless.yml rate). */
  reaperIntervalMs?: number;
  /** issue 7: the schedules' clock (tests pass a ManualClock). */
  schedulerClock?: Clock;
}

export interface Embedded {
  url: string;
  /** The embedded DynamoDB's endpoint (for tools and tests that read the raw table). */
  dynamoEndpoint: string;
  keys: LocalKeys;
  runtime: Runtime;
  queue: EmbeddedQueue;
  close(): Promise<void>;
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  const keys = await loadOrCreateKeys(opts.dataDir);
  const dynamo = await startDynalite(opts.dataDir, opts.tableName ?? 'ferry');
  const fns = readFunctions(PROJECT_ROOT);

  const executorFn = fns.find((f) => f.sqs);
  if (!executorFn) throw new Error('serverless.yml has no function with an sqs event (the executor)');
  const queue = embeddedQueue({
    handler: await loadHandler<SqsHandler>(PROJECT_ROOT, executorFn.handler),
    concurrency: opts.concurrency ?? 4,
    visibilityTimeoutMs: opts.visibilityTimeoutMs ?? 30_000,
    maxReceiveCount: opts.maxReceiveCount ?? 5,
    invocationTimeoutMs: opts.invocationTimeoutMs ?? 900_000,
  });

  const table = { doc: documentClient(dynamo.client), name: opts.tableName ?? 'ferry' };
  // issue 7: ticks start jobs through the same lib function the AWS scheduler Lambda calls.
  const scheduler = embeddedScheduler({ clock: opts.schedulerClock ?? systemClock, run: (tick) => runTick(runtime, tick) });
  const automation = createAutomation(table, scheduler);
  const runtime: Runtime = {
    store: createStore(table),
    queue,
    secrets: localSecrets(keys.secretsKey),
    tokens: jwtVerifier({ key: keys.verifyKey, issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE }),
    settings: { ...settingsFromEnv(), ...opts.settings },
    now: Date.now,
    automation,
  };
  setRuntime(runtime);
  // startDynalite hands back an ACTIVE table, so even a new one can be read at once.
  scheduler.start(await automation.repo.listArmed());

  const handlers = new Map<string, HttpHandler>();
  for (const fn of fns.filter((f) => f.http.length)) handlers.set(fn.name, await loadHandler<HttpHandler>(PROJECT_ROOT, fn.handler));
  const server: Server = await startGateway(buildRoutes(fns, handlers), opts.host ?? '127.0.0.1', opts.port ?? 0);

  // Ticks still running when Ferry closes are awaited: one that reached the store after it
  // closed would fail inside dynalite, out of anyone's reach.
  const ticking = new Set<Promise<void>>();
  const timers = await Promise.all(
    fns.flatMap((fn) =>
      fn.schedules.map(async (expr) => {
        const tick = await loadHandler<() => Promise<void>>(PROJECT_ROOT, fn.handler);
        const every = opts.reaperIntervalMs ?? rateMs(expr) ?? 60_000;
        const run = () => {
          const p = tick().catch((e) => console.error(`${fn.name} failed:`, e));
          ticking.add(p);
          void p.finally(() => ticking.delete(p));
        };
        return setInterval(run, every);
      }),
    ),
  );

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    dynamoEndpoint: dynamo.endpoint,
    keys,
    runtime,
    queue,
    async close() {
      for (const t of timers) clearInterval(t);
      await Promise.allSettled([...ticking]);
      scheduler.close();
      await scheduler.idle();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await queue.close();
      await dynamo.close();
      setRuntime(undefined);
    },
  };
}
