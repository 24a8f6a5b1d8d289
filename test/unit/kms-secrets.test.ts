// The AWS secrets adapter against a KMS stand-in (KMS cannot run here): the stand-in
// keeps real data keys and, like KMS, releases one only for the context it was made with.
import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { kmsSecrets } from '../../lib/secrets/kms-secrets';

const KEY_ID = 'arn:aws:kms:eu-west-1:111122223333:key/test';
const kms = mockClient(KMSClient);
afterEach(() => kms.reset());

function standInKms() {
  const issued = new Map<string, { plaintext: Buffer; context: string }>();
  kms.on(GenerateDataKeyCommand).callsFake((input) => {
    expect(input).toMatchObject({ KeyId: KEY_ID, KeySpec: 'AES_256' });
    const plaintext = randomBytes(32);
    const wrapped = randomBytes(48);
    issued.set(wrapped.toString('hex'), { plaintext: Buffer.from(plaintext), context: JSON.stringify(input.EncryptionContext) });
    return { Plaintext: plaintext, CiphertextBlob: wrapped, KeyId: KEY_ID };
  });
  kms.on(DecryptCommand).callsFake((input) => {
    const found = issued.get(Buffer.from(input.CiphertextBlob).toString('hex'));
    if (!found || found.context !== JSON.stringify(input.EncryptionContext)) {
      throw Object.assign(new Error('InvalidCiphertextException'), { name: 'InvalidCiphertextException' });
    }
    return { Plaintext: Buffer.from(found.plaintext), KeyId: KEY_ID };
  });
}

describe('KMS envelope secrets', () => {
  const context = { project: 'p1', cluster: 'c1', link: 'db', input: 'linkConfig.password' };

  it('seals with a fresh data key per secret and opens to the same plaintext', async () => {
    standInKms();
    const secrets = kmsSecrets(KEY_ID, new KMSClient({ region: 'eu-west-1' }));
    const a = await secrets.encrypt('s3cr3t-pässword', context);
    const b = await secrets.encrypt('s3cr3t-pässword', context);
    expect(a).toMatch(/^kms:v1:/);
    expect(a).not.toContain('s3cr3t');
    expect(a).not.toBe(b);
    expect(await secrets.decrypt(a, context)).toBe('s3cr3t-pässword');
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
  });

  it('will not open a secret under another link’s context', async () => {
    standInKms();
    const secrets = kmsSecrets(KEY_ID, new KMSClient({ region: 'eu-west-1' }));
    const sealed = await secrets.encrypt('pw', context);
    await expect(secrets.decrypt(sealed, { ...context, link: 'other' })).rejects.toThrow();
  });

  it('rejects what is not a KMS envelope (e.g. a locally sealed value) without calling KMS', async () => {
    standInKms();
    const secrets = kmsSecrets(KEY_ID, new KMSClient({ region: 'eu-west-1' }));
    await expect(secrets.decrypt('local:v1:abc', context)).rejects.toThrow(/not a KMS envelope/);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0);
  });
});
