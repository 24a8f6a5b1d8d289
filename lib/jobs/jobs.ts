// Jobs: create (validated against the connectors' declared inputs) and read.
import type { Principal } from '../auth/token';
import { requireCluster } from '../clusters/clusters';
import { validateInputs } from '../connectors/inputs';
import { connectorFor, jobSecrets } from '../connectors/registry';
import { errors } from '../errors';
import { z } from 'zod';
import { createJobsBodySchema, JOB_TYPES, jobSpecFromBody, renderJob, type Job, type JobSpec } from '../model/job';
import { parseWith, withPath } from '../model/parse';
import type { Runtime } from '../runtime';
import { DRIVER_CONFIGS, driverInputs } from './driver-inputs';
import { checkMacros } from '../engine/macros';
import { checkDirtyData } from '../engine/dirty-data';
import type { Connector } from '../connectors/connector';
import { checkBinaryCopy } from '../connectors/files/file-inputs';
import type { InputMap } from '../model/config-values';
import { jobMask, keepStoredSecrets, openJobSecrets, sealJobSecrets } from './job-secrets';

// issue 7: schedules and S3 triggers follow the job's driver inputs.
import { removeAutomation, syncAutomation, validateAutomation } from '../schedules/sync';

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
  // The store's conditional put refuses a taken name too, but only after the jobs before it were written.
  for (const n of names) if (await rt.store.jobs.get(project, cluster, n)) throw errors.jobExists(n);
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
    const sealed = await sealJobSecrets(rt, { project, cluster, job: job.name }, job);
    await rt.store.jobs.create(sealed);
    await syncAutomation(rt, sealed); // issue 7
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
  // Secrets take no macros (and an error about one must not echo it).
  const secret = jobSecrets(from.name, to.name);
  for (const [name, value] of [...Object.entries(fromValues), ...Object.entries(toValues)]) {
    if (!secret.from.has(name) && !secret.to.has(name)) withPath(name, () => checkMacros(value));
  }
  from.checkFrom?.(fromValues);
  to.checkTo?.(toValues);
  // Each side's check sees its own inputs; a binary copy needs both (CDM: a file-system source).
  checkBinaryCopy(fromValues['fromJobConfig.inputFormat'] === 'BINARY_FILE', toValues['toJobConfig.outputFormat']);
  // issue 7: Ferry's automation inputs (ferryConfig.s3Trigger*, schedulerTimeZone) and the schedule's rules.
  const driver = validateInputs(driverInputs, spec.driver, DRIVER_CONFIGS);
  validateAutomation(rt, driver);
  checkIncremental(from, fromValues, toValues, driver);
  await checkDirtyData(rt, project, cluster, driver, from, fromValues);
  return { ...spec, from: fromValues, to: toValues, driver };
}

export const listQuerySchema = z.object({
  filter: z.string().optional(),
  page_no: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(10).max(100).default(10),
  jobType: z.enum(JOB_TYPES).default('NORMAL_JOB'),
});

/** One job, or with name `all` a filtered page of the cluster's jobs (CDM's ShowJobs). */
export async function showJobs(rt: Runtime, project: string, cluster: string, name: string, query: Record<string, string | undefined>) {
  await requireCluster(rt, project, cluster);
  if (name !== 'all') {
    const job = await rt.store.jobs.get(project, cluster, name);
    if (!job) throw errors.jobNotFound(name);
    return { total: 0, jobs: [renderJob(job, jobMask(job))], page_no: 1, page_size: 10 };
  }
  const q = parseWith(listQuerySchema, query, 'query');
  const matching = (await rt.store.jobs.list(project, cluster)).filter(
    (j) => j.jobType === q.jobType && (!q.filter || j.name.includes(q.filter)),
  );
  const page = matching.slice((q.page_no - 1) * q.page_size, q.page_no * q.page_size);
  return { total: matching.length, jobs: page.map((j) => renderJob(j, jobMask(j))), page_no: q.page_no, page_size: q.page_size };
}

/** Replaces a job (PUT …/job/{name} with `{"jobs":[…]}`); a run in flight keeps its own copy. */
export async function updateJob(rt: Runtime, by: Principal, project: string, cluster: string, name: string, body: unknown) {
  await requireCluster(rt, project, cluster);
  const { jobs } = parseWith(createJobsBodySchema, body);
  if (jobs.length !== 1) throw errors.invalidParameter('jobs must hold exactly the one job to modify.');
  if (jobs[0]!.name !== name) throw errors.invalidParameter(`jobs[0].name ${jobs[0]!.name} does not match the job in the path, ${name}.`);
  const ref = { project, cluster, job: name };
  const stored = await rt.store.jobs.get(project, cluster, name);
  const spec = await withPathAsync('jobs[0]', async () => {
    const given = jobSpecFromBody(jobs[0]!);
    // A masked (or omitted) secret keeps the stored one; it is validated as what it will be.
    return validateJob(rt, project, cluster, keepStoredSecrets(given, stored && (await openJobSecrets(rt, ref, stored))));
  });
  if (!(await rt.store.jobs.update(project, cluster, await sealJobSecrets(rt, ref, spec), by.subject, rt.now()))) {
    throw errors.jobUpdateMissing(name);
  }
  const saved = await rt.store.jobs.get(project, cluster, name); // issue 7
  if (saved) await syncAutomation(rt, saved);
  return { 'validation-result': [{}] };
}

/** Deletes an idle job and its history; a running job is refused (Cdm.0052). */
export async function deleteJob(rt: Runtime, project: string, cluster: string, name: string) {
  await requireCluster(rt, project, cluster);
  const result = await rt.store.jobs.delete(project, cluster, name);
  if (result === 'missing') throw errors.jobNotFound(name);
  if (result === 'running') throw errors.jobRunning(name);
  await rt.store.submissions.deleteAllForJob(project, cluster, name);
  await removeAutomation(rt, { project, cluster, job: name }); // issue 7
  return {};
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

/**
 * Incremental jobs re-read a window until a run succeeds, so a retry after a failed run
 * must not double what that run had written: the target takes the rows only at the end
 * (useStageTable), or replaces rows by key (onConflict REPLACE/UPDATE).
 */
function checkIncremental(from: Connector, fromValues: InputMap, toValues: InputMap, driver: InputMap): void {
  const column = driver['ferryConfig.incrementalColumn'];
  if (!column) return;
  if (!from.incremental || fromValues['fromJobConfig.useSql'] === 'true') {
    throw errors.invalidParameter(`ferryConfig.incrementalColumn needs a table source (${from.name} with fromJobConfig.useSql reads cannot be narrowed).`);
  }
  const conflict = toValues['toJobConfig.onConflict'];
  if (toValues['toJobConfig.useStageTable'] !== 'true' && conflict !== 'REPLACE' && conflict !== 'UPDATE') {
    throw errors.invalidParameter(
      'ferryConfig.incrementalColumn needs toJobConfig.useStageTable true, or toJobConfig.onConflict REPLACE or UPDATE, so that a retried run never doubles rows.',
    );
  }
}
