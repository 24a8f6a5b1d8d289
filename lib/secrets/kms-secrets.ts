// On AWS: KMS envelope encryption. Each secret gets a fresh data key from KMS; the
// data key's KMS ciphertext is stored beside the AES-GCM ciphertext, and KMS binds it
// to the same encryption context.
import type { KMSClient } from '@aws-sdk/client-kms';
import { openAesGcm, sealAesGcm, type Secrets } from './secrets';

// The KMS client loads on first use: only link writers and the executor open or seal
// secrets, and loading it costs every other function's cold start for nothing.
const kmsSdk = () => import('@aws-sdk/client-kms');

export function kmsSecrets(keyId: string, client?: KMSClient): Secrets {
  let kms: Promise<KMSClient> | undefined = client && Promise.resolve(client);
  const getKms = () => (kms ??= kmsSdk().then((sdk) => new sdk.KMSClient({})));
  return {
    async encrypt(plaintext, context) {
      const { GenerateDataKeyCommand } = await kmsSdk();
      const dk = await (await getKms()).send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }));
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
      const { DecryptCommand } = await kmsSdk();
      const dk = await (await getKms()).send(
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
