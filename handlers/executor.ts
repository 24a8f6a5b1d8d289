// SQS → executor: one execution message per record (batch size 1 in serverless.yml),
// reporting partial batch failures so only a failed message is redelivered.
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { executeMessage } from '../lib/engine/execute';
import { executionMessageSchema } from '../lib/queue/queue';
import { boundHeapGrowth, runtime } from '../lib/runtime';

boundHeapGrowth();
const logger = new Logger({ serviceName: 'ferry-executor' });

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const parsed = executionMessageSchema.safeParse(safeJson(record.body));
    if (!parsed.success) {
      // A malformed message can never succeed: log it and drop it rather than loop to the DLQ.
      logger.error('malformed execution message', { messageId: record.messageId, body: record.body });
      continue;
    }
    try {
      const owner = `${context.awsRequestId}:${record.messageId}`;
      const outcome = await executeMessage(runtime(), parsed.data, {
        owner,
        remainingMs: () => context.getRemainingTimeInMillis(),
      });
      logger.info('execution step done', { ...parsed.data, outcome });
    } catch (e) {
      logger.error('execution step failed; the message will be redelivered', { ...parsed.data, error: e as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
