// Execution history: a job's submissions, newest first, a page at a time.
import { z } from 'zod';
import { requireCluster } from '../clusters/clusters';
import { errors } from '../errors';
import { renderSubmission } from '../model/submission';
import { parseWith } from '../model/parse';
import type { Runtime } from '../runtime';

export const historyQuerySchema = z.object({
  jname: z.string().min(1),
  page_no: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(10),
});

export async function submissionHistory(rt: Runtime, project: string, cluster: string, query: Record<string, string | undefined>) {
  const q = parseWith(historyQuerySchema, query, 'query');
  await requireCluster(rt, project, cluster);
  const job = await rt.store.jobs.get(project, cluster, q.jname);
  if (!job) throw errors.jobNotFound(q.jname);
  // Submission ids are dense (1 … lastSubmissionId), so a page is an id range.
  const newest = job.lastSubmissionId - (q.page_no - 1) * q.page_size;
  const page = await rt.store.submissions.listRange(project, cluster, q.jname, newest - q.page_size + 1, newest);
  return { submissions: page.map(renderSubmission), total: job.lastSubmissionId, page_no: q.page_no, page_size: q.page_size };
}
