// EventBridge `Ferry Start Job` → start the job the event names (lib/events/start-event.ts).
import { Logger } from '@aws-lambda-powertools/logger';
import { CdmError } from '../../lib/errors';
import { startFromEvent } from '../../lib/events/start-event';
import { renderStartSubmission } from '../../lib/model/submission';
import { runtime } from '../../lib/runtime';

const logger = new Logger({ serviceName: 'ferry-event-start' });

export async function handler(event: unknown) {
  try {
    const submission = await startFromEvent(runtime(), event);
    return { submissions: [renderStartSubmission(submission)] };
  } catch (e) {
    // Refusals (malformed, no such job, already running) would be refused again: log, don't retry.
    if (!(e instanceof CdmError) || !e.expose) throw e;
    logger.warn('event start refused', { errCode: e.code, reason: e.message });
    return { errCode: e.code, externalMessage: e.message };
  }
}
