// On AWS: KMS envelope encryption. Each secret gets a fresh data key from KMS; the
// data key's KMS ciphertext is stored beside the AES-GCM ciphertext, and KMS binds it
// to the same encryption context.
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { openAesGcm, sealAesGcm, type Secrets } from './secrets';

export function kmsSecrets(kms: KMSClient, keyId: string): Secrets {
  return {
    async encrypt(plaintext, context) {
      const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }));
      const key = Buffer.from(dk.Plaintext!);
      try {
        return `kms:v1:${Buffer.from(dk.CiphertextBlob!).toString('base64')}:${sealAesGcm(key, plaintext, context)}`;
      } finally {
        key.fill(0);
      }
    },
    async decrypt(ciphertext, context) {
      const [scheme, version, wrapped, sealed] = ciphertext.split(':');
      if (scheme !== 'kms' || version !== 'v1' || !wrapped || !sealed) throw new Error('not a KMS envelope ciphertext');
      const dk = await kms.send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(wrapped, 'base64'), EncryptionContext: context, KeyId: keyId }),
      );
      const key = Buffer.from(dk.Plaintext!);
      try {
        return openAesGcm(key, sealed, context);
      } finally {
        key.fill(0);
      }
    },
  };
}
