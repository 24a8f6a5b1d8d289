// S3 ObjectCreated → start the jobs bound to the bucket/prefix (lib/events/s3-trigger.ts).
// Takes S3 event notifications and S3 events delivered by EventBridge alike.
import { Logger } from '@aws-lambda-powertools/logger';
import { CdmError } from '../../lib/errors';
import { createdObjects } from '../../lib/events/s3-event';
import { onObjectsCreated, type ObjectOutcome } from '../../lib/events/s3-trigger';
import { runtime } from '../../lib/runtime';

const logger = new Logger({ serviceName: 'ferry-s3-trigger' });

export async function handler(event: unknown): Promise<{ objects: ObjectOutcome[] } | { rejected: string }> {
  let objects;
  try {
    objects = createdObjects(event);
  } catch (e) {
    // A malformed event never becomes valid: refuse it without a retry.
    if (!(e instanceof CdmError)) throw e;
    logger.warn('malformed S3 event refused', { reason: e.message });
    return { rejected: e.message };
  }
  const outcomes = await onObjectsCreated(runtime(), objects);
  logger.info('objects created', { outcomes });
  return { objects: outcomes };
}
