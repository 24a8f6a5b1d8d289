// GET /v1.1/{project_id}/clusters/{cluster_id}/cdm/submissions?jname=…&page_no=…&page_size=…
import { httpHandler } from '../../lib/api/http';
import { submissionHistory } from '../../lib/jobs/history';

export const handler = httpHandler('cdm:submission:list', (req, rt) =>
  submissionHistory(rt, req.project, req.param('cluster_id'), req.queries()),
);
