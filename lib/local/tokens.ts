// Issues embedded-runtime tokens (what an OIDC provider does on AWS).
import { SignJWT } from 'jose';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, type LocalKeys } from './local-keys';

export interface TokenClaims {
  subject?: string;
  projects: string[];
  roles?: string[];
  permissions?: string[];
  /** Lifetime like `12h`, or an absolute expiry in epoch seconds; default 12 hours. */
  expiresIn?: string | number;
}

export function issueToken(keys: LocalKeys, c: TokenClaims): Promise<string> {
  return new SignJWT({ projects: c.projects, roles: c.roles ?? ['CDM FullAccess'], permissions: c.permissions ?? [] })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject(c.subject ?? 'ferry-user')
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(c.expiresIn ?? '12h')
    .sign(keys.signingKey);
}
