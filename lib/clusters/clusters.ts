// Logical clusters: create, list, and the check every cluster-scoped call makes first.
import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/token';
import { errors } from '../errors';
import { createClusterBodySchema, type Cluster } from '../model/cluster';
import { parseWith } from '../model/parse';
import type { Runtime } from '../runtime';

export const DEFAULT_MAX_CONCURRENT_JOBS = 16;

export async function createCluster(rt: Runtime, by: Principal, project: string, body: unknown): Promise<Cluster> {
  const { cluster } = parseWith(createClusterBodySchema, body);
  const c: Cluster = {
    project,
    id: randomUUID(),
    name: cluster.name,
    maxConcurrentJobs: cluster.maxConcurrentJobs ?? DEFAULT_MAX_CONCURRENT_JOBS,
    createdAt: rt.now(),
    createdBy: by.subject,
  };
  await rt.store.clusters.put(c);
  return c;
}

export function listClusters(rt: Runtime, project: string): Promise<Cluster[]> {
  return rt.store.clusters.list(project);
}

/** The cluster, or Cdm.0001 (404) when the path names one that does not exist. */
export async function requireCluster(rt: Runtime, project: string, id: string): Promise<Cluster> {
  const c = await rt.store.clusters.get(project, id);
  if (!c) throw errors.clusterNotFound(id);
  return c;
}

export async function showCluster(rt: Runtime, project: string, id: string): Promise<Cluster> {
  return requireCluster(rt, project, id);
}

/** Deletes a cluster with its links, jobs and histories; refused while any job runs. */
export async function deleteCluster(rt: Runtime, project: string, id: string): Promise<void> {
  await requireCluster(rt, project, id);
  const jobs = await rt.store.jobs.list(project, id);
  const running = jobs.find((j) => j.activeSubmissionId !== undefined);
  if (running) throw errors.jobRunning(running.name);
  for (const job of jobs) {
    if ((await rt.store.jobs.delete(project, id, job.name)) === 'running') throw errors.jobRunning(job.name);
    await rt.store.submissions.deleteAllForJob(project, id, job.name);
  }
  for (const link of await rt.store.links.list(project, id)) await rt.store.links.delete(project, id, link.name);
  await rt.store.clusters.delete(project, id);
}
