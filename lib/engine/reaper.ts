// The reaper: re-queues active runs whose executor stopped (lease expired) or that
// never got one (a queue message lost), and fails a run that keeps dying.
import type { Runtime } from '../runtime';
import { endRun } from './execute';

export async function reap(rt: Runtime): Promise<{ requeued: number; failed: number }> {
  const now = rt.now();
  let requeued = 0;
  let failed = 0;
  for (const k of await rt.store.submissions.listStale(now)) {
    const n = await rt.store.submissions.noteRequeue(k, now, now + rt.settings.leaseMs + rt.settings.bootGraceMs);
    if (n < 0) continue; // finished, or fresh again, since the index was read
    if (n > rt.settings.maxRequeues) {
      const summary = `The executor stopped responding ${n - 1} times; the run was abandoned.`;
      if (await endRun(rt, k, 'FAILED', { progress: -1, errorSummary: summary }, 'ferry-reaper')) failed++;
      continue;
    }
    await rt.queue.send({ v: 1, project: k.project, cluster: k.cluster, job: k.job, submissionId: k.id, reason: 'requeue' });
    requeued++;
  }
  return { requeued, failed };
}
