// S3 "object created" events in the two shapes AWS delivers them: an S3 event
// notification (`Records[]`, keys URL-encoded with `+` for spaces) and an EventBridge
// event (`detail-type: Object Created`, keys as written). S3's `s3:TestEvent`, sent when
// a notification is configured, carries no object and starts nothing.
import * as z from 'zod/mini';
import { parseWith } from '../model/parse';

// Both shapes name the bucket and object alike.
const bucketObject = z.looseObject({
  bucket: z.looseObject({ name: z.string().check(z.minLength(3)) }),
  object: z.looseObject({ key: z.string().check(z.minLength(1)), size: z.optional(z.number()) }),
});

const notificationRecord = z.looseObject({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  s3: bucketObject,
});

const notification = z.looseObject({ Records: z.array(notificationRecord).check(z.minLength(1)) });

const eventBridge = z.looseObject({
  source: z.literal('aws.s3'),
  'detail-type': z.string(),
  detail: bucketObject,
});

const testEvent = z.looseObject({ Service: z.literal('Amazon S3'), Event: z.literal('s3:TestEvent') });

export interface CreatedObject {
  bucket: string;
  key: string;
}

/** The objects an event says were created; other S3 events (deletes, tests) give none. Malformed input is Cdm.0014. */
export function createdObjects(event: unknown): CreatedObject[] {
  if (z.safeParse(testEvent, event).success) return [];
  if (event && typeof event === 'object' && 'Records' in event) {
    const { Records } = parseWith(notification, event, 'event');
    return Records.filter((r) => r.eventName.startsWith('ObjectCreated:')).map((r) => ({
      bucket: r.s3.bucket.name,
      key: decodeKey(r.s3.object.key),
    }));
  }
  const e = parseWith(eventBridge, event, 'event');
  if (e['detail-type'] !== 'Object Created') return [];
  return [{ bucket: e.detail.bucket.name, key: e.detail.object.key }];
}

/** S3 notifications URL-encode keys, spaces as `+`. */
function decodeKey(key: string): string {
  const spaced = key.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
