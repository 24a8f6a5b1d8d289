// /v1.1/{project_id}/clusters/{cluster_id}/cdm/link[/{link_name}]
import { httpHandler } from '../../lib/api/http';
import { errors } from '../../lib/errors';
import { createLinks, deleteLink, showLink, updateLink } from '../../lib/links/links';

export const create = httpHandler('cdm:link:create', (req, rt) =>
  createLinks(rt, req.principal, req.project, req.param('cluster_id'), req.body, validateOnly(req.query('validate'))),
);

function validateOnly(flag: string | undefined): boolean {
  if (flag === undefined || flag === 'false') return false;
  if (flag === 'true') return true;
  throw errors.invalidParameter(`validate must be true or false; got ${flag}.`);
}

export const show = httpHandler('cdm:link:get', (req, rt) =>
  showLink(rt, req.project, req.param('cluster_id'), req.param('link_name')),
);

export const update = httpHandler('cdm:link:update', (req, rt) =>
  updateLink(rt, req.principal, req.project, req.param('cluster_id'), req.param('link_name'), req.body),
);

export const remove = httpHandler('cdm:link:delete', (req, rt) =>
  deleteLink(rt, req.project, req.param('cluster_id'), req.param('link_name')),
);
