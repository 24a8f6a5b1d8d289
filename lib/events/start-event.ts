// The generic EventBridge start: `detail: {project_id, cluster_id, job_name, variables}`
// starts that job, for AWS services and callers that cannot hold a token. Who may put
// such an event on Ferry's bus is IAM's decision (events:PutEvents on the bus).
import * as z from 'zod/mini';
import { resourceName } from '../model/job';
import { parseWith } from '../model/parse';
import { startJob, type JobRef } from '../jobs/start-job';
import type { Runtime } from '../runtime';
import { systemPrincipal } from '../schedules/automation';
import type { Submission } from '../model/submission';

export const START_DETAIL_TYPE = 'Ferry Start Job';

const id = z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, _ and -'));

const startEventSchema = z.looseObject({
  source: z.string().check(z.minLength(1)),
  'detail-type': z.literal(START_DETAIL_TYPE),
  detail: z.looseObject({
    project_id: id,
    cluster_id: id,
    job_name: resourceName,
    variables: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  }),
});

/** Starts the job an event names (`creation-user`: `eventbridge:<source>`). Malformed events are Cdm.0014. */
export async function startFromEvent(rt: Runtime, event: unknown): Promise<Submission> {
  const e = parseWith(startEventSchema, event, 'event');
  const ref: JobRef = { project: e.detail.project_id, cluster: e.detail.cluster_id, job: e.detail.job_name };
  const by = systemPrincipal(`eventbridge:${e.source}`, ref.project);
  return startJob(rt, by, ref, { variables: e.detail.variables ?? {} }, { auto: true });
}
