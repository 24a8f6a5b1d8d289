// A MySQL table exported to CSV objects by several extractors, through the CDM API on the
// embedded runtime, against MariaDB and s3rver: partitions write side by side in one
// output directory, so each must name its files apart and no row may be lost or doubled.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { createTestDatabase, mysqlLinkBody, type TestDatabase } from '../../support/mysql';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type TestS3 } from '../../support/s3';
import { cluster, counters, link } from './file-harness';

const ROWS = 40_000;

let s3: TestS3;
let db: TestDatabase;
let api: Api;
beforeAll(async () => {
  [s3, db] = await Promise.all([startS3(), createTestDatabase('csv_parts')]);
  await db.query('CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(100) NOT NULL, amount DECIMAL(12,2))');
  await db.query(`SET SESSION max_recursive_iterations = ${ROWS}`);
  await db.query(
    `INSERT INTO orders WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${ROWS})
     SELECT n, CONCAT('order ', n, ' ', REPEAT('x', 50)), IF(n % 7 = 0, NULL, n / 100) FROM s`,
  );
  api = await startApi({ concurrency: 2 });
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
  await s3?.close();
});

describe('a MySQL table to CSV objects', () => {
  it('numExtractors 2 writes every row exactly once, each partition into files of its own', async () => {
    const c = await cluster(api);
    await s3.createBucket('orders');
    await c.links(
      mysqlLinkBody('db', db.name, { 'linkConfig.fetchSize': '2000' }),
      link('s3', 'obs-connector', {
        'linkConfig.server': s3.server,
        'linkConfig.port': String(s3.port),
        'linkConfig.accessKey': S3_ACCESS_KEY,
        'linkConfig.securityKey': S3_SECRET_KEY,
      }),
    );
    await c.job('export', {
      from: ['db', 'generic-jdbc-connector'],
      to: ['s3', 'obs-connector'],
      fromInputs: { 'fromJobConfig.schemaName': db.name, 'fromJobConfig.tableName': 'orders', 'fromJobConfig.partitionColumn': 'id' },
      // ~1.6 MB per partition: each rolls over into a second file.
      toInputs: {
        'toJobConfig.bucketName': 'orders',
        'toJobConfig.outputDirectory': '/out',
        'toJobConfig.outputFormat': 'CSV_FILE',
        'toJobConfig.lineSeparator': '\\n',
        'toJobConfig.writeFileSize': '1',
      },
      driver: { 'throttlingConfig.numExtractors': '2' },
    });
    const s = await c.run('export');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');

    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'orders' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
    // Only data: Ferry's checkpoints are gone, and partition 1 names its files apart.
    expect(keys).toEqual(['out/export_00000.csv', 'out/export_00001.csv', 'out/export_p1_00000.csv', 'out/export_p1_00001.csv']);
    const lines: string[] = [];
    for (const key of keys) {
      const body = await (await s3.client.send(new GetObjectCommand({ Bucket: 'orders', Key: key }))).Body!.transformToString();
      lines.push(...body.split('\n').filter(Boolean));
    }
    const expected = Array.from({ length: ROWS }, (_v, i) => {
      const n = i + 1;
      return `${n},order ${n} ${'x'.repeat(50)},${n % 7 === 0 ? '' : (n / 100).toFixed(2)}`;
    });
    expect(lines.length).toBe(ROWS);
    expect(lines.sort()).toEqual(expected.sort());
    expect(counters(s)).toMatchObject({ ROWS_READ: ROWS, ROWS_WRITTEN: ROWS, FILES_WRITTEN: 4 });
  });

  it('a key with gaps, read by 2 extractors whose invocations each hand over after a chunk: every row exactly once', async () => {
    // Dense, then a gap of 10,000 keys, then every third key: pages are spans of key values that
    // must resize as they go, and each continuation resumes after the last span.
    await db.query('CREATE TABLE gaps (id INT PRIMARY KEY, note VARCHAR(100) NOT NULL) SELECT id, note FROM orders WHERE id <= 5000 OR (id > 15000 AND id % 3 = 0)');
    const [[n, sum]] = (await db.query('SELECT COUNT(*), SUM(id) FROM gaps')) as [[unknown, unknown]];
    const handing = await startApi({ invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    try {
      const c = await cluster(handing);
      await s3.createBucket('gaps');
      await c.links(mysqlLinkBody('db', db.name, { 'linkConfig.fetchSize': '1000' }), link('s3', 'obs-connector', s3.linkInputs()));
      await c.job('gaps', {
        from: ['db', 'generic-jdbc-connector'],
        to: ['s3', 'obs-connector'],
        fromInputs: { 'fromJobConfig.schemaName': db.name, 'fromJobConfig.tableName': 'gaps', 'fromJobConfig.partitionColumn': 'id' },
        toInputs: { 'toJobConfig.bucketName': 'gaps', 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.lineSeparator': '\\n' },
        driver: { 'throttlingConfig.numExtractors': '2' },
      });
      const s = await c.run('gaps');
      expect(s.status, s['error-summary']).toBe('SUCCEEDED');
      const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'gaps' }));
      const ids: number[] = [];
      for (const o of listed.Contents ?? []) {
        const body = await (await s3.client.send(new GetObjectCommand({ Bucket: 'gaps', Key: o.Key! }))).Body!.transformToString();
        ids.push(...body.split('\n').filter(Boolean).map((l) => Number(l.split(',')[0])));
      }
      expect(ids.length).toBe(Number(n));
      expect(new Set(ids).size).toBe(Number(n));
      expect(ids.reduce((a, b) => a + b, 0)).toBe(Number(sum));
      expect(counters(s)).toMatchObject({ ROWS_READ: Number(n), ROWS_WRITTEN: Number(n) });
    } finally {
      await handing.close();
    }
  });
});
