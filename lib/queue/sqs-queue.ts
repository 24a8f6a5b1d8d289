// The queue on AWS: one SQS message per execution step.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ExecutionMessage, Queue } from './queue';

export function sqsQueue(client: SQSClient, queueUrl: string): Queue {
  return {
    async send(message: ExecutionMessage, opts = {}) {
      const delay = opts.delayMs ? Math.min(900, Math.ceil(opts.delayMs / 1000)) : undefined;
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delay }));
    },
  };
}
