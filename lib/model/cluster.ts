// Logical clusters: a namespace for links and jobs with a cap on concurrently running jobs.
import { z } from 'zod';

export const createClusterBodySchema = z.looseObject({
  cluster: z.looseObject({
    name: z.string().min(1).max(64).regex(/^[\p{L}\p{N}_-]+$/u, 'may hold only letters, digits, _ and -'),
    maxConcurrentJobs: z.number().int().min(1).max(1000).optional(),
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
