// Declared CDM inputs: each connector lists its inputs once (name, type, mandatory,
// default, allowed values, secret) and this module validates and fills defaults from
// that list, so validation, defaults and the API documentation never disagree.
import { errors } from '../errors';
import type { InputMap } from '../model/config-values';

export type InputType = 'STRING' | 'INTEGER' | 'BOOLEAN' | 'ENUM';

export interface InputDecl {
  /** Full name with its config prefix, e.g. `toJobConfig.tableName`. */
  readonly name: string;
  readonly type: InputType;
  readonly mandatory?: boolean;
  readonly default?: string;
  /** Allowed values of an ENUM input. */
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Encrypted at rest and masked on every read. */
  readonly secret?: boolean;
  /**
   * A secret that only some settings use (a key for an encryption switch): whether `values`
   * (as sent, before defaults) still use it. A stored value a modify sends back masked, or
   * leaves out, is kept only then, so switching the setting off does not need the key again.
   */
  readonly usedWhen?: (values: InputMap) => boolean;
  /** Says where a link connects (server, port): a modify that changes it must send the secrets again. */
  readonly endpoint?: boolean;
  readonly description?: string;
}

export const input = {
  string: (name: string, opts: Partial<InputDecl> = {}): InputDecl => ({ name, type: 'STRING', ...opts }),
  integer: (name: string, opts: Partial<InputDecl> = {}): InputDecl => ({ name, type: 'INTEGER', ...opts }),
  boolean: (name: string, opts: Partial<InputDecl> = {}): InputDecl => ({ name, type: 'BOOLEAN', ...opts }),
  enum: (name: string, values: readonly string[], opts: Partial<InputDecl> = {}): InputDecl => ({
    name,
    type: 'ENUM',
    values,
    ...opts,
  }),
};

const INTEGER = /^-?\d+$/;

/**
 * Checks `given` against `decls` and returns it with defaults filled in and booleans
 * normalised to `"true"`/`"false"`. Throws a CDM error naming the first bad input;
 * an input that is not declared (or sits under another config) is Cdm.0089.
 */
export function validateInputs(decls: readonly InputDecl[], given: InputMap, prefixes: readonly string[]): InputMap {
  const byName = new Map(decls.map((d) => [d.name, d]));
  const out: InputMap = {};
  for (const [name, value] of Object.entries(given)) {
    const decl = prefixes.some((p) => name.startsWith(`${p}.`)) ? byName.get(name) : undefined;
    if (!decl) throw errors.unknownInput(`Configuration item [${name}] does not exist.`);
    out[name] = checkValue(decl, value);
  }
  for (const decl of decls) {
    if (!prefixes.some((p) => decl.name.startsWith(`${p}.`))) continue;
    if (out[decl.name] !== undefined && out[decl.name] !== '') continue;
    if (decl.default !== undefined) out[decl.name] = decl.default;
    else if (decl.mandatory) throw errors.invalidParameter(`${decl.name} is mandatory.`);
  }
  return out;
}

function checkValue(decl: InputDecl, value: string): string {
  switch (decl.type) {
    case 'STRING':
      return value;
    case 'BOOLEAN': {
      const v = value.trim().toLowerCase();
      if (v === 'true' || v === 'false') return v;
      throw errors.wrongType(`${decl.name} must be true or false; got "${value}".`);
    }
    case 'INTEGER': {
      const v = value.trim();
      if (!INTEGER.test(v)) throw errors.wrongType(`${decl.name} must be an integer; got "${value}".`);
      const n = Number(v);
      if ((decl.min !== undefined && n < decl.min) || (decl.max !== undefined && n > decl.max)) {
        throw errors.outOfRange(`${decl.name} must be between ${decl.min ?? '-∞'} and ${decl.max ?? '∞'}; got ${v}.`);
      }
      return v;
    }
    case 'ENUM': {
      const allowed = decl.values ?? [];
      if (allowed.includes(value)) return value;
      // CDM's own docs mix cases (`none` vs `NONE`); accept any case, store the declared spelling.
      const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
      if (match) return match;
      throw errors.invalidParameter(`${decl.name} must be one of ${allowed.join(', ')}; got "${value}".`);
    }
  }
}

/** Names of the secret inputs among `decls`. */
export function secretInputs(decls: readonly InputDecl[]): Set<string> {
  return new Set(decls.filter((d) => d.secret).map((d) => d.name));
}
