// /v1.1/{project_id}/clusters/{cluster_id}/cdm/job[/{job_name}]
import { httpHandler } from '../../lib/api/http';
import { createJobs, showJob } from '../../lib/jobs/jobs';

export const create = httpHandler('cdm:job:create', (req, rt) =>
  createJobs(rt, req.principal, req.project, req.param('cluster_id'), req.body),
);

export const show = httpHandler('cdm:job:get', (req, rt) =>
  showJob(rt, req.project, req.param('cluster_id'), req.param('job_name')),
);
