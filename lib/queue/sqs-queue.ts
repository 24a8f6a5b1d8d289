// The queue on AWS: one SQS message per execution step.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ExecutionMessage, Queue } from './queue';

export function sqsQueue(client: SQSClient, queueUrl: string): Queue {
  return {
    async send(message: ExecutionMessage) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    },
  };
}
