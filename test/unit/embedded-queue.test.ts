// The embedded queue behaves like SQS for the executor: redelivery after the visibility
// timeout, partial batch failures, and a dead letter after maxReceiveCount.
import { describe, expect, it } from 'vitest';
import { embeddedQueue } from '../../lib/local/embedded-queue';
import type { ExecutionMessage } from '../../lib/queue/queue';

const msg = (n: number): ExecutionMessage => ({ v: 1, project: 'p', cluster: 'c', job: 'j', submissionId: n, reason: 'start' });

describe('embedded queue', () => {
  it('redelivers a failed message after the visibility timeout, with a rising receive count', async () => {
    const receives: { id: number; count: string; at: number }[] = [];
    const q = embeddedQueue({
      concurrency: 2,
      visibilityTimeoutMs: 200,
      maxReceiveCount: 5,
      invocationTimeoutMs: 1000,
      handler: async (event) => {
        const r = event.Records[0]!;
        receives.push({ id: JSON.parse(r.body).submissionId, count: r.attributes.ApproximateReceiveCount, at: Date.now() });
        if (receives.length < 3) throw new Error('transient');
      },
    });
    await q.send(msg(1));
    await q.idle();
    expect(receives.map((r) => r.count)).toEqual(['1', '2', '3']);
    // Not before the visibility timeout (its clock starts as the delivery starts, a moment
    // before the handler notes the time: hence the margin, which is about jitter, not speed).
    expect(receives[1]!.at - receives[0]!.at).toBeGreaterThanOrEqual(150);
    expect(q.deadLetters).toEqual([]);
    await q.close();
  });

  it('treats a message named in batchItemFailures as failed, and dead-letters it after maxReceiveCount', async () => {
    let calls = 0;
    const q = embeddedQueue({
      concurrency: 1,
      visibilityTimeoutMs: 5,
      maxReceiveCount: 3,
      invocationTimeoutMs: 1000,
      handler: async (event) => {
        calls++;
        return { batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] };
      },
    });
    await q.send(msg(7));
    await q.idle();
    expect(calls).toBe(3);
    expect(q.deadLetters).toEqual([msg(7)]);
    await q.close();
  });

  it('gives each invocation a Lambda-like time budget', async () => {
    let remaining = -1;
    const q = embeddedQueue({
      concurrency: 1,
      visibilityTimeoutMs: 5,
      maxReceiveCount: 1,
      invocationTimeoutMs: 10_000,
      handler: async (_e, ctx) => {
        remaining = ctx.getRemainingTimeInMillis();
      },
    });
    await q.send(msg(1));
    await q.idle();
    expect(remaining).toBeGreaterThan(9_000);
    expect(remaining).toBeLessThanOrEqual(10_000);
    await q.close();
  });
});
