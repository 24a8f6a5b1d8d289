// A cluster runs at most `maxConcurrentJobs` submissions at once. A run takes a slot as
// it goes BOOTING → RUNNING and gives it back when it ends; a run that finds none stays
// BOOTING and its executor looks again a little later (lib/engine/execute.ts).
//
// Slots are a set of holders on the cluster item, not a counter, so a slot whose run
// ended without giving it back (its executor died, the reaper failed it) is found and
// freed the next time the cluster is full.
import { isActive } from '../model/status';
import type { Runtime } from '../runtime';
import type { SubmissionKey } from '../store/submissions-repo';

const holderOf = (k: SubmissionKey) => `${k.job}#${k.id}`;

export async function takeSlot(rt: Runtime, k: SubmissionKey): Promise<boolean> {
  const cluster = await rt.store.clusters.get(k.project, k.cluster);
  // A cluster cannot be deleted while a job runs; should it be gone, the run fails on its own.
  if (!cluster) return true;
  const take = () => rt.store.clusters.takeSlot(k.project, k.cluster, holderOf(k), cluster.maxConcurrentJobs);
  if (await take()) return true;
  let freed = false;
  for (const holder of await rt.store.clusters.slotHolders(k.project, k.cluster)) {
    const hash = holder.lastIndexOf('#');
    const held = await rt.store.submissions.get({ ...k, job: holder.slice(0, hash), id: Number(holder.slice(hash + 1)) });
    if (!held || !isActive(held.status)) {
      await rt.store.clusters.releaseSlot(k.project, k.cluster, holder);
      freed = true;
    }
  }
  return freed && take();
}

export function releaseSlot(rt: Runtime, k: SubmissionKey): Promise<void> {
  return rt.store.clusters.releaseSlot(k.project, k.cluster, holderOf(k));
}
