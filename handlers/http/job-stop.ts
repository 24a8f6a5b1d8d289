// PUT /v1.1/{project_id}/clusters/{cluster_id}/cdm/job/{job_name}/stop
import { httpHandler } from '../../lib/api/http';
import { stopJob } from '../../lib/jobs/stop-job';

export const handler = httpHandler('cdm:job:stop', (req, rt) =>
  stopJob(rt, req.principal, { project: req.project, cluster: req.param('cluster_id'), job: req.param('job_name') }),
);
