// The execution queue: SQS on AWS, an in-process queue with SQS semantics embedded.
import { z } from 'zod';

export const executionMessageSchema = z.object({
  v: z.literal(1),
  project: z.string().min(1),
  cluster: z.string().min(1),
  job: z.string().min(1),
  submissionId: z.number().int().positive(),
  /** Absent: the run as a whole (plan, dispatch); present: that partition's slice. */
  partition: z.number().int().min(0).max(9999).optional(),
  /** Why it was sent: a start, the reaper, a wait for a cluster slot, a partition's dispatch, or a continuation before a Lambda timeout. */
  reason: z.enum(['start', 'requeue', 'wait-slot', 'partition', 'continue']),
});
export type ExecutionMessage = z.infer<typeof executionMessageSchema>;

export interface Queue {
  /** `delayMs`: deliver no sooner (SQS rounds up to whole seconds, at most 15 minutes). */
  send(message: ExecutionMessage, opts?: { delayMs?: number }): Promise<void>;
}
