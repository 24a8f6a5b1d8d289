// The embedded runtime's keys, kept in one 0600 file under the data directory and
// created on first use: an ES256 key pair that signs and verifies tokens (standing in
// for the OIDC issuer's JWKS) and a 256-bit key for link secrets (standing in for KMS).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

export const LOCAL_ISSUER = 'ferry-local';
export const LOCAL_AUDIENCE = 'ferry';

export interface LocalKeys {
  signingKey: CryptoKey;
  verifyKey: CryptoKey;
  secretsKey: Buffer;
}

interface KeyFile {
  auth: { privateJwk: JWK; publicJwk: JWK };
  secrets: string;
}

export async function loadOrCreateKeys(dataDir: string): Promise<LocalKeys> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'keys.json');
  let file: KeyFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    file = {
      auth: { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) },
      secrets: randomBytes(32).toString('base64'),
    };
    try {
      // 'wx': if another process (npm run token beside npm start) made it first, use theirs.
      writeFileSync(path, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
    } catch (w) {
      if ((w as NodeJS.ErrnoException).code !== 'EEXIST') throw w;
      file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
    }
  }
  return {
    signingKey: (await importJWK(file.auth.privateJwk, 'ES256')) as CryptoKey,
    verifyKey: (await importJWK(file.auth.publicJwk, 'ES256')) as CryptoKey,
    secretsKey: Buffer.from(file.secrets, 'base64'),
  };
}
