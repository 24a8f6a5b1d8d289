// Logical clusters: a namespace for links and jobs with a cap on concurrently running jobs.
// zod/mini: the start handler reaches this module (it checks the cluster), and classic
// zod would triple its bundle.
import * as z from 'zod/mini';

export const createClusterBodySchema = z.looseObject({
  cluster: z.looseObject({
    name: z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[\p{L}\p{N}_-]+$/u, 'may hold only letters, digits, _ and -')),
    maxConcurrentJobs: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
  }),
});

export interface Cluster {
  project: string;
  id: string;
  name: string;
  maxConcurrentJobs: number;
  createdAt: number;
  createdBy: string;
}

export function renderCluster(c: Cluster) {
  return {
    id: c.id,
    name: c.name,
    status: 'Normal',
    statusCode: '200',
    maxConcurrentJobs: c.maxConcurrentJobs,
    created: new Date(c.createdAt).toISOString(),
  };
}
