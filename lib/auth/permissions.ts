// CDM permissions (as CDM's permission policies name them) and the three ready roles.

export const PERMISSIONS = [
  'cdm:cluster:create',
  'cdm:cluster:get',
  'cdm:cluster:list',
  'cdm:cluster:delete',
  'cdm:link:create',
  'cdm:link:get',
  'cdm:link:update',
  'cdm:link:delete',
  'cdm:job:create',
  'cdm:job:get',
  'cdm:job:list',
  'cdm:job:update',
  'cdm:job:delete',
  'cdm:job:start',
  'cdm:job:stop',
  'cdm:job:status',
  'cdm:submission:list',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const read = PERMISSIONS.filter((p) => /:(get|list|status)$/.test(p));

/** Roles a token may carry instead of (or besides) individual permissions. */
export const ROLES: Readonly<Record<string, readonly Permission[]>> = {
  'CDM FullAccess': PERMISSIONS,
  'CDM ReadOnlyAccess': read,
  'CDM CommonOperations': [...read, 'cdm:job:start', 'cdm:job:stop'],
};

/** Expands roles and `cdm:job:*`-style wildcards into the set of granted permissions. */
export function grantedPermissions(permissions: readonly string[], roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) for (const p of ROLES[role] ?? []) out.add(p);
  for (const pattern of permissions) {
    const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('[^:]*')}$`);
    for (const p of PERMISSIONS) if (re.test(p)) out.add(p);
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
