// Small rule modules: permissions and roles, the status machine, checkpoint keys, secrets.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { grantedPermissions } from '../../lib/auth/permissions';
import { decodeKey, encodeKey } from '../../lib/engine/position';
import { rateMs } from '../../lib/local/serverless-config';
import { sourcesOf, TRANSITIONS } from '../../lib/model/status';
import { localSecrets } from '../../lib/secrets/secrets';

describe('permissions', () => {
  it.each([
    [[], ['CDM ReadOnlyAccess'], 'cdm:job:status', true],
    [[], ['CDM ReadOnlyAccess'], 'cdm:job:start', false],
    [[], ['CDM CommonOperations'], 'cdm:job:stop', true],
    [[], ['CDM CommonOperations'], 'cdm:link:create', false],
    [[], ['CDM FullAccess'], 'cdm:cluster:delete', true],
    [['cdm:job:*'], [], 'cdm:job:start', true],
    [['cdm:job:*'], [], 'cdm:link:get', false],
    [['cdm:*'], [], 'cdm:job:start', false],
    [[], ['No Such Role'], 'cdm:job:get', false],
  ])('permissions %j roles %j → %s is %s', (perms, roles, needed, expected) => {
    expect(grantedPermissions(perms, roles).has(needed as never)).toBe(expected);
  });
});

describe('submission status machine', () => {
  it('lets a run end only from an active status, and never leave a final one', () => {
    expect(sourcesOf('SUCCEEDED')).toEqual(['RUNNING']);
    expect(sourcesOf('FAILED')).toEqual(['BOOTING', 'RUNNING']);
    expect(sourcesOf('FAILURE_ON_SUBMIT')).toEqual(['BOOTING']);
    for (const final of ['SUCCEEDED', 'FAILED', 'FAILURE_ON_SUBMIT'] as const) expect(TRANSITIONS[final]).toEqual([]);
  });
});

describe('checkpoint key values', () => {
  it('survive JSON exactly: 64-bit integers, bytes with zeros, strings, null', () => {
    const key = [18446744073709551615n, -9223372036854775808n, Buffer.from([0, 255, 0]), 'order', null, 1.5];
    expect(decodeKey(JSON.parse(JSON.stringify(encodeKey(key))))).toEqual(key);
  });
});

describe('link secrets', () => {
  const secrets = localSecrets(randomBytes(32));
  const ctx = { project: 'p1', cluster: 'c', link: 'l', input: 'linkConfig.password' };

  it('round-trip, and the ciphertext holds no plaintext', async () => {
    const sealed = await secrets.encrypt('hunter2', ctx);
    expect(sealed).not.toContain('hunter2');
    expect(await secrets.decrypt(sealed, ctx)).toBe('hunter2');
  });

  it('do not decrypt on another link (the context is bound)', async () => {
    const sealed = await secrets.encrypt('hunter2', ctx);
    await expect(secrets.decrypt(sealed, { ...ctx, link: 'other' })).rejects.toThrow();
  });
});

describe('schedule rates from serverless.yml', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(30 seconds)', 30_000],
    ['cron(0 * * * ? *)', undefined],
  ])('%s → %s ms', (expr, ms) => expect(rateMs(expr)).toBe(ms));
});

describe('SQLite values', () => {
  it('keeps the storage class of a column without a declared type (CREATE TABLE … AS SELECT makes them): bytes stay bytes', async () => {
    const { fromSqlite } = await import('../../lib/connectors/jdbc/sqlite/sqlite-types');
    const bytes = Buffer.from([0, 1, 0]);
    expect(fromSqlite('string', bytes, true)).toBe(bytes);
    expect(fromSqlite('string', 5n, true)).toBe(5n);
    // A declared TEXT column still reads as text.
    expect(fromSqlite('string', Buffer.from('ab'), false)).toBe('ab');
  });
});
