// CDM's "create and execute a job in a random cluster": the caller names candidate
// clusters; Ferry picks one at random among those that exist, creates the jobs there
// and starts them. The jobs' links must exist in the cluster picked, so callers name
// clusters that share their links (as CDM requires).
import { authorize, type Principal } from '../auth/token';
import { errors } from '../errors';
import { randomClusterJobsBodySchema } from '../model/job';
import { parseWith } from '../model/parse';
import type { Submission } from '../model/submission';
import type { Runtime } from '../runtime';
import { createJobs } from './jobs';
import { startJob } from './start-job';

export async function createAndStartInRandomCluster(rt: Runtime, by: Principal, project: string, body: unknown): Promise<Submission[]> {
  // Creating is this operation's permission (checked by the handler); it starts too.
  authorize(by, project, 'cdm:job:start');
  const { jobs, clusters } = parseWith(randomClusterJobsBodySchema, body);
  const existing = (await Promise.all([...new Set(clusters)].map((id) => rt.store.clusters.get(project, id)))).filter((c) => c !== undefined);
  if (!existing.length) throw errors.clusterNotFound(clusters.join(', '));
  const cluster = existing[Math.floor(Math.random() * existing.length)]!.id;
  await createJobs(rt, by, project, cluster, { jobs });
  const submissions: Submission[] = [];
  for (const job of jobs) submissions.push(await startJob(rt, by, { project, cluster, job: job.name }, undefined));
  return submissions;
}
