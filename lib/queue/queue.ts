// The execution queue: SQS on AWS, an in-process queue with SQS semantics embedded.
import { z } from 'zod';

export const executionMessageSchema = z.object({
  v: z.literal(1),
  project: z.string().min(1),
  cluster: z.string().min(1),
  job: z.string().min(1),
  submissionId: z.number().int().positive(),
  /** Why it was sent: a start, a continuation before a Lambda timeout, or the reaper. */
  reason: z.enum(['start', 'continue', 'requeue', 'wait-slot']),
});
export type ExecutionMessage = z.infer<typeof executionMessageSchema>;

export interface Queue {
  /** `delayMs`: deliver no sooner (SQS rounds up to whole seconds, at most 15 minutes). */
  send(message: ExecutionMessage, opts?: { delayMs?: number }): Promise<void>;
}
