// Links: create (secrets encrypted before they are stored), read (secrets masked), and
// resolve (secrets decrypted, for the engine only).
import type { Principal } from '../auth/token';
import { connectorFor, linkSecrets } from '../connectors/registry';
import type { Connector } from '../connectors/connector';
import { validateInputs } from '../connectors/inputs';
import { errors } from '../errors';
import type { InputMap } from '../model/config-values';
import { linksUsedBy } from '../model/job';
import { createLinksBodySchema, linkInputsFromBody, renderLink, SECRET_MASK, type Link } from '../model/link';
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

function checkLinks(body: unknown) {
  const { links } = parseWith(createLinksBodySchema, body);
  return links.map((l, i) => {
    const connector = connectorFor(l['connector-name']);
    const { inputs, extended } = linkInputsFromBody(l);
    const values = withPath(`links[${i}]`, () => validateInputs(connector.linkInputs, inputs, LINK_CONFIGS));
    withPath(`links[${i}]`, () => connector.checkLink?.(values));
    return { body: l, connector, values, extended };
  });
}

/** The link as stored: secrets encrypted, except `kept`, which hold the stored link's ciphertext. */
async function sealSecrets(rt: Runtime, link: Link, kept: readonly string[] = [], stored?: Link): Promise<Link> {
  const inputs = { ...link.inputs };
  for (const name of linkSecrets(link.connector)) {
    const plain = inputs[name];
    if (kept.includes(name)) inputs[name] = stored!.inputs[name]!;
    else if (plain) inputs[name] = await rt.secrets.encrypt(plain, secretContext(link, name));
  }
  return { ...link, inputs };
}

/**
 * The secrets a modify keeps from the stored link: those a client that read the link back
 * sends masked (or leaves out), when the connector is the same. They go only where they were
 * given for: a modify that changes where the link connects (an `endpoint` input) must send
 * them again, or whoever may modify a link could have its password sent to a server of theirs.
 */
function keptSecrets(connector: Connector, values: InputMap, stored: Link): string[] {
  if (stored.connector !== connector.name) return [];
  const kept = [...linkSecrets(connector.name)].filter(
    (name) => (values[name] === undefined || values[name] === SECRET_MASK) && stored.inputs[name],
  );
  const moved = connector.linkInputs.find((d) => d.endpoint && (values[d.name] ?? '') !== (stored.inputs[d.name] ?? ''));
  if (kept.length && moved) {
    throw errors.invalidParameter(
      `links[0]: ${kept.join(', ')} must be sent again when ${moved.name} changes: a stored secret goes only to the server it was given for.`,
    );
  }
  return kept;
}

/** Creates links (or with `validateOnly`, checks them and creates nothing). */
export async function createLinks(rt: Runtime, by: Principal, project: string, cluster: string, body: unknown, validateOnly = false) {
  await requireCluster(rt, project, cluster);
  // Validate every link before writing any, so a bad second link leaves nothing half-made.
  const checked = checkLinks(body);
  if (!validateOnly) await requireNewNames(rt, project, cluster, checked.map((c) => c.body.name));
  for (const { connector, values } of checked) await connector.testLink?.(values);
  if (validateOnly) return { name: checked.at(-1)!.body.name, 'validation-result': checked.map(() => ({})) };
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
    await rt.store.links.create(await sealSecrets(rt, link));
  }
  return { name: checked.at(-1)!.body.name, 'validation-result': checked.map(() => ({})) };
}

/**
 * Refuses (Cdm.0315) a batch naming a link twice or a link the cluster has, before any is
 * written: the store's conditional put would refuse it too, but only after the links before
 * it in the batch were created.
 */
async function requireNewNames(rt: Runtime, project: string, cluster: string, names: string[]): Promise<void> {
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw errors.linkExists(twice);
  for (const name of names) if (await rt.store.links.get(project, cluster, name)) throw errors.linkExists(name);
}

/** The first job of the cluster that uses the link (linksUsedBy), if any. */
async function jobUsing(rt: Runtime, project: string, cluster: string, link: string) {
  return (await rt.store.jobs.list(project, cluster)).find((j) => linksUsedBy(j).includes(link));
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
  return openSecrets(rt, link);
}

async function openSecrets(rt: Runtime, link: Link): Promise<Link> {
  const inputs: InputMap = { ...link.inputs };
  for (const secret of linkSecrets(link.connector)) {
    if (inputs[secret]) inputs[secret] = await rt.secrets.decrypt(inputs[secret], secretContext(link, secret));
  }
  return { ...link, inputs };
}

/** Replaces a link's settings (PUT …/link/{name} with `{"links":[…]}`). */
export async function updateLink(rt: Runtime, by: Principal, project: string, cluster: string, name: string, body: unknown) {
  await requireCluster(rt, project, cluster);
  const checked = checkLinks(body);
  if (checked.length !== 1) throw errors.invalidParameter('links must hold exactly the one link to modify.');
  const [{ body: l, connector, values, extended }] = checked as [(typeof checked)[0]];
  if (l.name !== name) throw errors.invalidParameter(`links[0].name ${l.name} does not match the link in the path, ${name}.`);
  const existing = await rt.store.links.get(project, cluster, name);
  if (!existing) throw errors.linkUpdateMissing(name);
  // A job was checked against the link's connector when it was saved; it would only fail at its next run.
  if (existing.connector !== connector.name) {
    const user = await jobUsing(rt, project, cluster, name);
    if (user) throw errors.linkInUse(name, user.name, `, which must stay a ${existing.connector} link`);
  }
  // Test with the secrets as they will be.
  const kept = keptSecrets(connector, values, existing);
  const opened = await openSecrets(rt, existing);
  const plain = { ...values };
  for (const name of kept) plain[name] = opened.inputs[name]!;
  await connector.testLink?.(plain);
  const link: Link = {
    ...existing,
    connector: connector.name,
    inputs: values,
    extended,
    enabled: l.enabled ?? existing.enabled,
    updatedAt: rt.now(),
    updatedBy: by.subject,
  };
  if (!(await rt.store.links.update(await sealSecrets(rt, link, kept, existing)))) throw errors.linkUpdateMissing(name);
  return { 'validation-result': [{}] };
}

/** Deletes a link that no job uses (CDM refuses with Cdm.0021 otherwise). */
export async function deleteLink(rt: Runtime, project: string, cluster: string, name: string) {
  await requireCluster(rt, project, cluster);
  const user = await jobUsing(rt, project, cluster, name);
  if (user) throw errors.linkInUse(name, user.name);
  if (!(await rt.store.links.delete(project, cluster, name))) throw errors.linkNotFound(name);
  return {};
}
