// Link secrets (passwords, access keys) are encrypted before they reach the store.
// AES-256-GCM with the link's coordinates as additional data, so a ciphertext copied
// onto another link does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Secrets {
  encrypt(plaintext: string, context: Record<string, string>): Promise<string>;
  decrypt(ciphertext: string, context: Record<string, string>): Promise<string>;
}

const aad = (context: Record<string, string>) =>
  Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))));

/** iv(12) | tag(16) | ciphertext, base64. */
export function sealAesGcm(key: Buffer, plaintext: string, context: Record<string, string>): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(context));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
}

export function openAesGcm(key: Buffer, sealed: string, context: Record<string, string>): string {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(aad(context));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/** Embedded: one local 256-bit key (lib/local keeps it in a 0600 file). */
export function localSecrets(key: Buffer): Secrets {
  return {
    async encrypt(plaintext, context) {
      return `local:v1:${sealAesGcm(key, plaintext, context)}`;
    },
    async decrypt(ciphertext, context) {
      if (!ciphertext.startsWith('local:v1:')) throw new Error('not a local-key ciphertext');
      return openAesGcm(key, ciphertext.slice('local:v1:'.length), context);
    },
  };
}
