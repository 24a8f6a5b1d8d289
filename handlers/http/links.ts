// /v1.1/{project_id}/clusters/{cluster_id}/cdm/link[/{link_name}]
import { httpHandler } from '../../lib/api/http';
import { createLinks, showLink } from '../../lib/links/links';

export const create = httpHandler('cdm:link:create', (req, rt) =>
  createLinks(rt, req.principal, req.project, req.param('cluster_id'), req.body),
);

export const show = httpHandler('cdm:link:get', (req, rt) =>
  showLink(rt, req.project, req.param('cluster_id'), req.param('link_name')),
);
