// CDM's job JSON <-> Ferry's normalised job.
import { z } from 'zod';
import { configValuesSchema, flattenConfigValues, renderConfigValues, type InputMap } from './config-values';

/** Names appear in URL paths and store keys: letters (any script), digits, `_`, `-`, `.`. */
export const resourceName = z
  .string()
  .min(1)
  .max(240)
  .regex(/^[\p{L}\p{N}_-][\p{L}\p{N}_.-]*$/u, 'may hold only letters, digits, _, - and . (not first)');

export const JOB_TYPES = ['NORMAL_JOB', 'BATCH_JOB', 'SCENARIO_JOB'] as const;

export const jobBodySchema = z.looseObject({
  job_type: z.enum(JOB_TYPES).optional(),
  // `all` is not a job name: GET …/job/all lists every job (CDM's ShowJobs).
  name: resourceName.refine((n) => n !== 'all', 'all is reserved (GET …/job/all lists every job); choose another name'),
  'from-connector-name': z.string().min(1),
  'to-connector-name': z.string().min(1),
  'from-link-name': z.string().min(1),
  'to-link-name': z.string().min(1),
  'from-config-values': configValuesSchema,
  'to-config-values': configValuesSchema,
  'driver-config-values': configValuesSchema,
});
export type JobBody = z.infer<typeof jobBodySchema>;

export const createJobsBodySchema = z.looseObject({ jobs: z.array(jobBodySchema).min(1, 'must hold at least one job') });

/** POST /clusters/job: the jobs, and the clusters one of which may run them. */
export const randomClusterJobsBodySchema = createJobsBodySchema.extend({
  clusters: z.array(z.string().min(1)).min(1, 'must name at least one cluster'),
});

/** What a job says to do, as validated and stored. Inputs keep their config prefix. */
export interface JobSpec {
  name: string;
  jobType: (typeof JOB_TYPES)[number];
  fromConnector: string;
  toConnector: string;
  fromLink: string;
  toLink: string;
  from: InputMap;
  to: InputMap;
  driver: InputMap;
  extended: { from: { name: string; value: string }[]; to: { name: string; value: string }[] };
}

export interface Job extends JobSpec {
  project: string;
  cluster: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  /** Highest submission id handed out (0 before the first start). */
  lastSubmissionId: number;
  /** Set while a submission of this job is BOOTING or RUNNING: at most one at a time. */
  activeSubmissionId?: number;
  /** Incremental migration: the column and the value up to which successful runs copied. */
  incrementalColumn?: string;
  incrementalMark?: string;
  activeSince?: number;
  /** Status of the latest submission, for the job's `status` field (`NEW` when never run). */
  lastStatus?: string;
}

export function jobSpecFromBody(body: JobBody): JobSpec {
  const from = flattenConfigValues(body['from-config-values']);
  const to = flattenConfigValues(body['to-config-values']);
  return {
    name: body.name,
    jobType: body.job_type ?? 'NORMAL_JOB',
    fromConnector: body['from-connector-name'],
    toConnector: body['to-connector-name'],
    fromLink: body['from-link-name'],
    toLink: body['to-link-name'],
    from: from.inputs,
    to: to.inputs,
    driver: flattenConfigValues(body['driver-config-values']).inputs,
    extended: { from: from.extended, to: to.extended },
  };
}

/** `mask` shows each input's value (secret inputs as a placeholder, see lib/jobs/job-secrets.ts). */
export function renderJob(job: Job, mask?: (name: string, value: string) => string) {
  return {
    job_type: job.jobType,
    name: job.name,
    'from-connector-name': job.fromConnector,
    'to-connector-name': job.toConnector,
    'from-link-name': job.fromLink,
    'to-link-name': job.toLink,
    'from-config-values': renderConfigValues(job.from, job.extended.from, mask),
    'to-config-values': renderConfigValues(job.to, job.extended.to, mask),
    'driver-config-values': renderConfigValues(job.driver),
    'creation-user': job.createdBy,
    'creation-date': job.createdAt,
    'update-user': job.updatedBy,
    'update-date': job.updatedAt,
    status: job.lastStatus ?? 'NEW',
  };
}

/**
 * The links a job depends on: its source, its destination and, when it records dirty data,
 * the link that receives it (`throttlingConfig.writeToLink`, read by lib/engine/dirty-data.ts).
 * A link on this list is in use: it may not be deleted or become another connector.
 */
export function linksUsedBy(job: Pick<JobSpec, 'fromLink' | 'toLink' | 'driver'>): string[] {
  const dirty = job.driver['throttlingConfig.recordDirtyData'] === 'true' ? job.driver['throttlingConfig.writeToLink']?.trim() : undefined;
  return dirty ? [job.fromLink, job.toLink, dirty] : [job.fromLink, job.toLink];
}
