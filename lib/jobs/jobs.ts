// Jobs: create (validated against the connectors' declared inputs) and read.
import type { Principal } from '../auth/token';
import { requireCluster } from '../clusters/clusters';
import { validateInputs } from '../connectors/inputs';
import { connectorFor } from '../connectors/registry';
import { errors } from '../errors';
import { createJobsBodySchema, jobSpecFromBody, renderJob, type Job, type JobSpec } from '../model/job';
import { parseWith, withPath } from '../model/parse';
import type { Runtime } from '../runtime';
import { DRIVER_CONFIGS, driverInputs } from './driver-inputs';

export async function createJobs(rt: Runtime, by: Principal, project: string, cluster: string, body: unknown) {
  await requireCluster(rt, project, cluster);
  const { jobs } = parseWith(createJobsBodySchema, body);
  // Validate all before writing any: a bad job in the list leaves nothing half-made.
  const specs: JobSpec[] = [];
  for (const [i, b] of jobs.entries()) {
    specs.push(await withPathAsync(`jobs[${i}]`, () => validateJob(rt, project, cluster, jobSpecFromBody(b))));
  }
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw errors.jobExists(dup);
  const now = rt.now();
  for (const spec of specs) {
    const job: Job = {
      ...spec,
      project,
      cluster,
      createdAt: now,
      createdBy: by.subject,
      updatedAt: now,
      updatedBy: by.subject,
      lastSubmissionId: 0,
    };
    await rt.store.jobs.create(job);
  }
  return { name: names.at(-1)!, 'validation-result': specs.map(() => ({})) };
}

/** Checks a job against its links and connectors; returns it with defaults filled in. */
export async function validateJob(rt: Runtime, project: string, cluster: string, spec: JobSpec): Promise<JobSpec> {
  const from = connectorFor(spec.fromConnector);
  const to = connectorFor(spec.toConnector);
  for (const [side, linkName, connector] of [
    ['from', spec.fromLink, from],
    ['to', spec.toLink, to],
  ] as const) {
    const link = await rt.store.links.get(project, cluster, linkName);
    if (!link) throw errors.linkNotFound(linkName);
    if (link.connector !== connector.name) {
      throw errors.invalidParameter(
        `${side}-link-name ${linkName} is a ${link.connector} link but ${side}-connector-name is ${connector.name}.`,
      );
    }
    if ((side === 'from' && !connector.openSource) || (side === 'to' && !connector.openSink)) {
      throw errors.wrongDirection(`${connector.name} cannot be used as a ${side === 'from' ? 'source' : 'destination'}.`);
    }
  }
  const fromValues = validateInputs(from.fromInputs, spec.from, ['fromJobConfig']);
  const toValues = validateInputs(to.toInputs, spec.to, ['toJobConfig']);
  from.checkFrom?.(fromValues);
  to.checkTo?.(toValues);
  const driver = validateInputs(driverInputs, spec.driver, DRIVER_CONFIGS);
  return { ...spec, from: fromValues, to: toValues, driver };
}

export async function showJob(rt: Runtime, project: string, cluster: string, name: string) {
  await requireCluster(rt, project, cluster);
  const job = await rt.store.jobs.get(project, cluster, name);
  if (!job) throw errors.jobNotFound(name);
  return { total: 0, jobs: [renderJob(job)], page_no: 1, page_size: 10 };
}

async function withPathAsync<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return withPath(path, () => {
      throw e;
    });
  }
}
