// /v1.1/{project_id}/clusters/{cluster_id}/cdm/job[/{job_name}]
import { httpHandler } from '../../lib/api/http';
import { createJobs, deleteJob, showJobs, updateJob } from '../../lib/jobs/jobs';

export const create = httpHandler('cdm:job:create', (req, rt) =>
  createJobs(rt, req.principal, req.project, req.param('cluster_id'), req.body),
);

export const show = httpHandler('cdm:job:get', (req, rt) =>
  showJobs(rt, req.project, req.param('cluster_id'), req.param('job_name'), req.queries()),
);

export const update = httpHandler('cdm:job:update', (req, rt) =>
  updateJob(rt, req.principal, req.project, req.param('cluster_id'), req.param('job_name'), req.body),
);

export const remove = httpHandler('cdm:job:delete', (req, rt) =>
  deleteJob(rt, req.project, req.param('cluster_id'), req.param('job_name')),
);
