// Secret job inputs (inputs declared `secret`, e.g. a file key `toJobConfig.dek`) are
// sealed like link secrets: encrypted before the job is stored, so every copy of the job
// (the submission's, the partitions') holds ciphertext; masked on every read; opened
// only by the executor, for the connectors.
import type { InputDecl } from '../connectors/inputs';
import { connectorFor, jobSecrets } from '../connectors/registry';
import type { InputMap } from '../model/config-values';
import type { JobSpec } from '../model/job';
import { SECRET_MASK } from '../model/link';
import type { Runtime } from '../runtime';
import type { JobRef } from './start-job';

type Sides = Pick<JobSpec, 'fromConnector' | 'toConnector' | 'from' | 'to'>;

// Bound to the job's coordinates: a ciphertext copied onto another job does not open.
const context = (ref: JobRef, input: string) => ({ project: ref.project, cluster: ref.cluster, job: ref.job, input });

async function mapSecrets<T extends Sides>(spec: T, fn: (name: string, value: string) => Promise<string>): Promise<T> {
  const names = jobSecrets(spec.fromConnector, spec.toConnector);
  const side = async (inputs: InputMap, secret: Set<string>) => {
    const out = { ...inputs };
    for (const name of secret) if (out[name]) out[name] = await fn(name, out[name]);
    return out;
  };
  return { ...spec, from: await side(spec.from, names.from), to: await side(spec.to, names.to) };
}

/** The spec as stored: secret inputs encrypted. */
export function sealJobSecrets<T extends Sides>(rt: Runtime, ref: JobRef, spec: T): Promise<T> {
  return mapSecrets(spec, (name, plain) => rt.secrets.encrypt(plain, context(ref, name)));
}

/** The spec with its secret inputs decrypted: for opening connectors, never for responses. */
export function openJobSecrets<T extends Sides>(rt: Runtime, ref: JobRef, spec: T): Promise<T> {
  return mapSecrets(spec, (name, sealed) => rt.secrets.decrypt(sealed, context(ref, name)));
}

/**
 * A modified job whose secret inputs are the mask (or absent), as a client that read the
 * job back sends them, keeps the stored secrets (`stored` opened), when the connector is the
 * same and the job still uses them (`usedWhen`: a key whose encryption was switched off goes).
 */
export function keepStoredSecrets(spec: JobSpec, stored: JobSpec | undefined): JobSpec {
  if (!stored) return spec;
  const keep = (inputs: InputMap, old: InputMap, decls: readonly InputDecl[], same: boolean) => {
    const out = { ...inputs };
    for (const decl of decls) {
      const given = out[decl.name];
      if (!decl.secret || !same || !old[decl.name] || (given !== undefined && given !== SECRET_MASK)) continue;
      if (decl.usedWhen && !decl.usedWhen(inputs)) delete out[decl.name];
      else out[decl.name] = old[decl.name]!;
    }
    return out;
  };
  return {
    ...spec,
    from: keep(spec.from, stored.from, connectorFor(spec.fromConnector).fromInputs, stored.fromConnector === spec.fromConnector),
    to: keep(spec.to, stored.to, connectorFor(spec.toConnector).toInputs, stored.toConnector === spec.toConnector),
  };
}

/**
 * `inputs` with its secret inputs taken from `source`: sealed ones put back into inputs
 * derived from opened ones before those are stored, opened ones into stored inputs.
 */
export function secretsFrom(inputs: InputMap, source: InputMap, secret: ReadonlySet<string>): InputMap {
  const out = { ...inputs };
  for (const name of secret) if (name in out && source[name] !== undefined) out[name] = source[name];
  return out;
}

/** How a read shows a job's inputs: secrets as the mask. */
export function jobMask(spec: Pick<JobSpec, 'fromConnector' | 'toConnector'>) {
  const names = jobSecrets(spec.fromConnector, spec.toConnector);
  return (name: string, value: string) => (names.from.has(name) || names.to.has(name) ? SECRET_MASK : value);
}
