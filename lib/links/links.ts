// Links: create (secrets encrypted before they are stored), read (secrets masked), and
// resolve (secrets decrypted, for the engine only).
import type { Principal } from '../auth/token';
import { connectorFor, linkSecrets } from '../connectors/registry';
import { validateInputs } from '../connectors/inputs';
import { errors } from '../errors';
import type { InputMap } from '../model/config-values';
import { createLinksBodySchema, linkInputsFromBody, renderLink, type Link } from '../model/link';
import { parseWith, withPath } from '../model/parse';
import type { Runtime } from '../runtime';
import { requireCluster } from '../clusters/clusters';

const LINK_CONFIGS = ['linkConfig', 'dialect'];

const secretContext = (l: Pick<Link, 'project' | 'cluster' | 'name'>, input: string) => ({
  project: l.project,
  cluster: l.cluster,
  link: l.name,
  input,
});

export async function createLinks(rt: Runtime, by: Principal, project: string, cluster: string, body: unknown) {
  await requireCluster(rt, project, cluster);
  const { links } = parseWith(createLinksBodySchema, body);
  // Validate every link before writing any, so a bad second link leaves nothing half-made.
  const checked = links.map((l, i) => {
    const connector = connectorFor(l['connector-name']);
    const { inputs, extended } = linkInputsFromBody(l);
    const values = withPath(`links[${i}]`, () => validateInputs(connector.linkInputs, inputs, LINK_CONFIGS));
    withPath(`links[${i}]`, () => connector.checkLink?.(values));
    return { body: l, connector, values, extended };
  });
  const now = rt.now();
  for (const { body: l, connector, values, extended } of checked) {
    const link: Link = {
      project,
      cluster,
      name: l.name,
      connector: connector.name,
      inputs: values,
      extended,
      enabled: l.enabled ?? true,
      createdAt: now,
      createdBy: by.subject,
      updatedAt: now,
      updatedBy: by.subject,
    };
    for (const name of linkSecrets(connector.name)) {
      const plain = values[name];
      if (plain) link.inputs = { ...link.inputs, [name]: await rt.secrets.encrypt(plain, secretContext(link, name)) };
    }
    await rt.store.links.create(link);
  }
  return { name: checked.at(-1)!.body.name, 'validation-result': checked.map(() => ({})) };
}

export async function showLink(rt: Runtime, project: string, cluster: string, name: string) {
  await requireCluster(rt, project, cluster);
  const link = await rt.store.links.get(project, cluster, name);
  if (!link) throw errors.linkNotFound(name);
  return { links: [renderLink(link, linkSecrets(link.connector))] };
}

/** The link's inputs with secrets decrypted: for opening connections, never for responses. */
export async function resolveLink(rt: Runtime, project: string, cluster: string, name: string): Promise<Link> {
  const link = await rt.store.links.get(project, cluster, name);
  if (!link) throw errors.linkNotFound(name);
  const inputs: InputMap = { ...link.inputs };
  for (const secret of linkSecrets(link.connector)) {
    if (inputs[secret]) inputs[secret] = await rt.secrets.decrypt(inputs[secret], secretContext(link, secret));
  }
  return { ...link, inputs };
}
