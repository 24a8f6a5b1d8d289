// The reaper against the embedded store: what it re-queues, what it leaves alone, and when
// it gives a run up. Its queue records the messages instead of running them, so each tick's
// decisions are seen alone.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { reap } from '../../lib/engine/reaper';
import { EMPTY_COUNTERS } from '../../lib/model/submission';
import type { ExecutionMessage } from '../../lib/queue/queue';
import type { Runtime } from '../../lib/runtime';
import type { SubmissionKey } from '../../lib/store/submissions-repo';
import { startApi, type Api } from '../support/embedded';
import { runningSubmission } from '../support/submissions';

const LEASE = 1_000;
const T0 = Date.UTC(2030, 0, 1);
let api: Api;
let sent: ExecutionMessage[];
beforeEach(async () => {
  api = await startApi({ settings: { leaseMs: LEASE, bootGraceMs: LEASE, maxRequeues: 2 } });
  sent = [];
});
afterEach(() => api.close());

const key: SubmissionKey = { project: 'p1', cluster: 'c1', job: 'j', id: 1 };

/** The runtime at time `now`, with a queue that records what the reaper sends. */
function at(now: number, store = api.ferry.runtime.store): Runtime {
  return { ...api.ferry.runtime, store, now: () => now, queue: { send: async (m) => void sent.push(m) } };
}

async function running(staleAt: number): Promise<void> {
  await api.ferry.runtime.store.submissions.create(runningSubmission(key, T0), staleAt);
}

it('re-queues a run whose heartbeat stopped, once per stale period', async () => {
  await running(T0 + LEASE);
  expect(await reap(at(T0 + LEASE + 1))).toEqual({ requeued: 1, failed: 0 });
  expect(await reap(at(T0 + LEASE + 2))).toEqual({ requeued: 0, failed: 0 });
  expect(sent).toEqual([{ v: 1, ...pick(key), submissionId: 1, reason: 'requeue' }]);
});

it.each([
  ['its heartbeat moved its stale time out', async () => {
    await api.ferry.runtime.store.submissions.recordProgress(key, {
      progress: 1,
      counters: EMPTY_COUNTERS,
      partitions: [],
      now: T0 + LEASE,
      staleAt: T0 + 3 * LEASE,
    });
  }],
  ['it ended', async () => {
    await api.ferry.runtime.store.submissions.finish(key, 'SUCCEEDED', { now: T0 + LEASE, by: 'test', progress: 100 });
  }],
])('leaves a run alone that an index read before %s still lists as stale (a GSI lags its table)', async (_, since) => {
  await running(T0 + LEASE);
  const store = api.ferry.runtime.store;
  const asRead = await store.submissions.listStale(T0 + 2 * LEASE);
  expect(asRead).toEqual([key]);
  await since();
  // The index the reaper reads is eventually consistent on AWS: it may still answer as it did.
  const lagging = { ...store, submissions: { ...store.submissions, listStale: async () => asRead } };

  expect(await reap(at(T0 + 2 * LEASE, lagging))).toEqual({ requeued: 0, failed: 0 });
  expect(sent).toEqual([]);
  expect((await store.submissions.get(key))?.requeues).toBeUndefined();
});

it('fails a run whose executor stopped more than FERRY_MAX_REQUEUES times, saying so, and gives back what it held', async () => {
  const clusters = api.ferry.runtime.store.clusters;
  await clusters.put({ project: 'p1', id: 'c1', name: 'c1', maxConcurrentJobs: 1, createdAt: T0, createdBy: 'test' });
  expect(await clusters.takeSlot('p1', 'c1', 'j#1', 1)).toBe(true);
  await running(T0 + LEASE);
  let now = T0 + LEASE + 1;
  // Each re-queue pushes the stale time out by a lease and the boot grace; nobody heartbeats.
  for (let i = 0; i < 2; i++, now += 2 * LEASE + 1) expect(await reap(at(now))).toEqual({ requeued: 1, failed: 0 });
  expect(await reap(at(now))).toEqual({ requeued: 0, failed: 1 });

  const run = await api.ferry.runtime.store.submissions.get(key);
  expect(run).toMatchObject({ status: 'FAILED', progress: -1, errorSummary: 'The executor stopped responding 2 times; the run was abandoned.' });
  expect(sent).toHaveLength(2);
  expect(await api.ferry.runtime.store.submissions.listStale(now + 3_600_000)).toEqual([]);
  // The run ended as any run ends: its cluster slot is free for the next.
  expect(await clusters.slotHolders('p1', 'c1')).toEqual([]);
});

const pick = (k: SubmissionKey) => ({ project: k.project, cluster: k.cluster, job: k.job });
