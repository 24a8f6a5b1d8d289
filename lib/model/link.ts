// CDM's link JSON <-> Ferry's normalised link.
import { z } from 'zod';
import { configValuesSchema, flattenConfigValues, renderConfigValues, type InputMap } from './config-values';
import { resourceName } from './job';

export const linkBodySchema = z.looseObject({
  name: resourceName,
  'connector-name': z.string().min(1),
  'link-config-values': configValuesSchema,
  enabled: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
});
export type LinkBody = z.infer<typeof linkBodySchema>;

export const createLinksBodySchema = z.looseObject({ links: z.array(linkBodySchema).min(1, 'must hold at least one link') });

export interface Link {
  project: string;
  cluster: string;
  name: string;
  connector: string;
  /** Secret inputs hold ciphertext here, never plaintext. */
  inputs: InputMap;
  extended: { name: string; value: string }[];
  enabled: boolean;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export function linkInputsFromBody(body: LinkBody) {
  return flattenConfigValues(body['link-config-values']);
}

/** CDM shows secrets as a placeholder; Ferry never returns them in any form. */
export const SECRET_MASK = '******';

export function renderLink(link: Link, secrets: ReadonlySet<string>) {
  return {
    name: link.name,
    'connector-name': link.connector,
    'link-config-values': renderConfigValues(link.inputs, link.extended, (n, v) => (secrets.has(n) ? SECRET_MASK : v)),
    enabled: link.enabled,
    'creation-user': link.createdBy,
    'creation-date': link.createdAt,
    'update-user': link.updatedBy,
    'update-date': link.updatedAt,
  };
}
