// GET /v1.1/{project_id}/clusters/{cluster_id}/cdm/job/{job_name}/status
import { httpHandler } from '../../lib/api/http';
import { jobStatus } from '../../lib/jobs/start-job';
import { renderSubmission } from '../../lib/model/submission';

export const handler = httpHandler('cdm:job:status', async (req, rt) => {
  const ref = { project: req.project, cluster: req.param('cluster_id'), job: req.param('job_name') };
  const s = await jobStatus(rt, ref);
  if ('never' in s) return { submissions: [{ 'job-name': s.job, status: 'NEVER_EXECUTED', progress: 0 }] };
  return { submissions: [renderSubmission(s)] };
});
