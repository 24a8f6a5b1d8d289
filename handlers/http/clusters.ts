// POST/GET /v1.1/{project_id}/clusters
import { httpHandler } from '../../lib/api/http';
import { createCluster, listClusters } from '../../lib/clusters/clusters';
import { renderCluster } from '../../lib/model/cluster';

export const create = httpHandler('cdm:cluster:create', async (req, rt) => {
  const c = await createCluster(rt, req.principal, req.project, req.body);
  return { id: c.id, name: c.name };
});

export const list = httpHandler('cdm:cluster:list', async (req, rt) => ({
  clusters: (await listClusters(rt, req.project)).map(renderCluster),
}));
