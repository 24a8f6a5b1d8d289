// POST /v1.1/{project_id}/clusters/job
import { httpHandler } from '../../lib/api/http';
import { createAndStartInRandomCluster } from '../../lib/jobs/random-cluster';
import { renderStartSubmission } from '../../lib/model/submission';

export const handler = httpHandler('cdm:job:create', async (req, rt) => ({
  submissions: (await createAndStartInRandomCluster(rt, req.principal, req.project, req.body)).map(renderStartSubmission),
}));
