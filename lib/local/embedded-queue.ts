// An in-process queue with SQS semantics for the embedded runtime: at-least-once
// delivery of SQS-shaped events to the executor handler, a visibility timeout,
// redelivery of messages that failed (thrown, or reported in batchItemFailures), and a
// dead-letter list after maxReceiveCount failed receives.
//
// It keeps messages in memory: after a restart, the reaper re-queues runs whose
// executor vanished (their lease expires), exactly as it does for a lost SQS message.
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ExecutionMessage, Queue } from '../queue/queue';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface EmbeddedQueueOptions {
  handler: SqsHandler;
  /** Parallel executor invocations. */
  concurrency: number;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  /** Time budget of one invocation (Lambda's timeout). */
  invocationTimeoutMs: number;
}

interface Message {
  id: string;
  body: string;
  receiveCount: number;
  visibleAt: number;
  sentAt: number;
}

export interface EmbeddedQueue extends Queue {
  readonly deadLetters: readonly ExecutionMessage[];
  /** Resolves when no message is waiting or in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function embeddedQueue(opts: EmbeddedQueueOptions): EmbeddedQueue {
  const waiting: Message[] = [];
  const inFlight = new Set<Promise<void>>();
  const deadLetters: ExecutionMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function pump() {
    if (closed) return;
    const now = Date.now();
    while (inFlight.size < opts.concurrency) {
      const i = waiting.findIndex((m) => m.visibleAt <= now);
      if (i < 0) break;
      const [m] = waiting.splice(i, 1);
      const p = deliver(m!).finally(() => {
        inFlight.delete(p);
        pump();
      });
      inFlight.add(p);
    }
    clearTimeout(timer);
    const next = Math.min(...waiting.map((m) => m.visibleAt));
    if (Number.isFinite(next)) timer = setTimeout(pump, Math.max(0, next - Date.now()));
  }

  async function deliver(m: Message) {
    m.receiveCount++;
    const started = Date.now();
    const event: SQSEvent = {
      Records: [
        {
          messageId: m.id,
          receiptHandle: `${m.id}:${m.receiveCount}`,
          body: m.body,
          attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentAt),
            SenderId: 'ferry-embedded',
            ApproximateFirstReceiveTimestamp: String(started),
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:local:000000000000:ferry-executions',
          awsRegion: 'local',
        },
      ],
    };
    let failed = false;
    try {
      const res = await opts.handler(event, lambdaContext(started, opts.invocationTimeoutMs));
      failed = (res?.batchItemFailures ?? []).some((f) => f.itemIdentifier === m.id);
    } catch {
      failed = true;
    }
    if (!failed) return;
    if (m.receiveCount >= opts.maxReceiveCount) deadLetters.push(JSON.parse(m.body) as ExecutionMessage);
    else waiting.push({ ...m, visibleAt: started + opts.visibilityTimeoutMs });
  }

  return {
    deadLetters,
    async send(message, sendOpts = {}) {
      if (closed) throw new Error('the embedded queue is closed');
      const now = Date.now();
      const visibleAt = now + (sendOpts.delayMs ?? 0);
      waiting.push({ id: randomUUID(), body: JSON.stringify(message), receiveCount: 0, visibleAt, sentAt: now });
      queueMicrotask(pump);
    },
    async idle() {
      while (waiting.length || inFlight.size) {
        await Promise.race([...inFlight, new Promise((r) => setTimeout(r, 20))]);
      }
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}

function lambdaContext(started: number, timeoutMs: number): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ferry-executor',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:ferry-executor',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/ferry-executor',
    logStreamName: requestId,
    getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
