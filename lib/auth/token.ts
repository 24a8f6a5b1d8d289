// X-Auth-Token verification: a JWT, checked against a key (embedded) or a JWKS (AWS),
// with an allow-list of algorithms, and turned into the caller's principal.
import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey, type CryptoKey, type KeyObject } from 'jose';
import { errors } from '../errors';
import { grantedPermissions, type Permission } from './permissions';

export interface Principal {
  /** The token's subject: shown as `creation-user` and `last-update-user`. */
  readonly subject: string;
  /** Project ids the token may act on; `*` is any. */
  readonly projects: readonly string[];
  readonly permissions: ReadonlySet<Permission>;
}

export interface TokenVerifier {
  verify(token: string | undefined): Promise<Principal>;
}

export const ALLOWED_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'];

export function jwtVerifier(opts: {
  key: JWTVerifyGetKey | CryptoKey | KeyObject;
  issuer?: string;
  audience?: string;
}): TokenVerifier {
  return {
    async verify(token) {
      if (!token) throw errors.unauthenticated('The X-Auth-Token header is missing.');
      let payload;
      try {
        const verifyOpts = { algorithms: ALLOWED_ALGORITHMS, issuer: opts.issuer, audience: opts.audience };
        ({ payload } =
          typeof opts.key === 'function'
            ? await jwtVerify(token, opts.key, verifyOpts)
            : await jwtVerify(token, opts.key, verifyOpts));
      } catch (e) {
        throw errors.unauthenticated(`The X-Auth-Token is not valid: ${reason(e)}.`);
      }
      const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      if (!payload.sub) throw errors.unauthenticated('The X-Auth-Token has no subject.');
      return {
        subject: payload.sub,
        projects: strings(payload.projects),
        permissions: grantedPermissions(strings(payload.permissions), strings(payload.roles)),
      };
    },
  };
}

function reason(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'it has expired';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'its algorithm is not allowed';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `claim ${e.claim} is wrong`;
  return 'it cannot be read';
}

/** 403 unless the principal may act on `project` with `permission`. */
export function authorize(p: Principal, project: string, permission: Permission): void {
  if (!p.projects.includes('*') && !p.projects.includes(project)) {
    throw errors.forbidden(`The token is not valid for project ${project}.`);
  }
  if (!p.permissions.has(permission)) {
    throw errors.forbidden(`The token lacks permission ${permission}.`);
  }
}
