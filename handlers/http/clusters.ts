// /v1.1/{project_id}/clusters[/{cluster_id}]
import { httpHandler } from '../../lib/api/http';
import { createCluster, deleteCluster, listClusters, showCluster } from '../../lib/clusters/clusters';
import { renderCluster } from '../../lib/model/cluster';

export const create = httpHandler('cdm:cluster:create', async (req, rt) => {
  const c = await createCluster(rt, req.principal, req.project, req.body);
  return { id: c.id, name: c.name };
});

export const list = httpHandler('cdm:cluster:list', async (req, rt) => ({
  clusters: (await listClusters(rt, req.project)).map(renderCluster),
}));

export const show = httpHandler('cdm:cluster:get', async (req, rt) => renderCluster(await showCluster(rt, req.project, req.param('cluster_id'))));

export const remove = httpHandler('cdm:cluster:delete', async (req, rt) => {
  await deleteCluster(rt, req.project, req.param('cluster_id'));
  return {};
});
