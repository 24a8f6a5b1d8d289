// EventBridge Scheduler → a scheduled or retried start of one job (lib/schedules/tick.ts).
// Nothing else may invoke it: it has no event source; EventBridge Scheduler calls it
// through the scheduler invoke role (deploy/roles.cjs).
import { Logger } from '@aws-lambda-powertools/logger';
import { parseWith } from '../lib/model/parse';
import { runtime } from '../lib/runtime';
import { tickSchema } from '../lib/schedules/scheduler';
import { runTick, type TickOutcome } from '../lib/schedules/tick';

const logger = new Logger({ serviceName: 'ferry-scheduler' });

export async function handler(event: unknown): Promise<TickOutcome> {
  const tick = parseWith(tickSchema, event, 'event');
  const result = await runTick(runtime(), tick);
  logger.info('schedule tick', { ...tick, ...result });
  return result;
}
