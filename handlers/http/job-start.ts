// PUT /v1.1/{project_id}/clusters/{cluster_id}/cdm/job/{job_name}/start
import { httpHandler } from '../../lib/api/http';
import { startJob } from '../../lib/jobs/start-job';
import { renderStartSubmission } from '../../lib/model/submission';

export const handler = httpHandler('cdm:job:start', async (req, rt) => {
  const ref = { project: req.project, cluster: req.param('cluster_id'), job: req.param('job_name') };
  const submission = await startJob(rt, req.principal, ref, req.body);
  return { submissions: [renderStartSubmission(submission)] };
});
