// Helpers for the tests that drive the file sink against s3rver: the objects a bucket holds
// and the position the sink's saved checkpoint names.
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { FileStore } from '../../../lib/connectors/files/file-store';
import type { Checkpoint } from '../../../lib/engine/types';

/** Key → content of every object in the bucket. */
export async function bucketObjects(client: S3Client, bucket: string): Promise<Map<string, Buffer>> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  const out = new Map<string, Buffer>();
  for (const o of listed.Contents ?? []) {
    const body = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToByteArray();
    out.set(o.Key!, Buffer.from(body));
  }
  return out;
}

/** Key → MD5 of every object in the bucket. */
export async function bucketMd5s(client: S3Client, bucket: string): Promise<Map<string, string>> {
  return new Map([...(await bucketObjects(client, bucket))].map(([k, v]) => [k, createHash('md5').update(v).digest('hex')]));
}

/** The position the run's saved checkpoint (`<dir>/.ferry-checkpoint/p_c_j_1_0.json`) names: undefined before the first save, or while one is being written. */
export async function savedPosition(s: FileStore, dir = 'out'): Promise<Record<string, unknown> | undefined> {
  const raw = await s.get(`${dir}/.ferry-checkpoint/p_c_j_1_0.json`);
  try {
    return raw ? ((JSON.parse(raw.toString('utf8')) as { checkpoint: Checkpoint }).checkpoint.position as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // s3rver writes an object in place: read during its PUT, it may be cut short
  }
}
