// EventBridge rate(1 minute) → re-queue stalled runs.
import { Logger } from '@aws-lambda-powertools/logger';
import { reap } from '../lib/engine/reaper';
import { runtime } from '../lib/runtime';

const logger = new Logger({ serviceName: 'ferry-reaper' });

export async function handler(): Promise<void> {
  const result = await reap(runtime());
  if (result.requeued || result.failed) logger.info('reaped stalled runs', result);
}
