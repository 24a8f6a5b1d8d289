// The store: every repository over Ferry's one table.
import type { TableRef } from './table';
import { clustersRepo } from './clusters-repo';
import { jobsRepo } from './jobs-repo';
import { linksRepo } from './links-repo';
import { partitionsRepo } from './partitions-repo';
import { submissionsRepo } from './submissions-repo';

export function createStore(table: TableRef) {
  return {
    clusters: clustersRepo(table),
    links: linksRepo(table),
    jobs: jobsRepo(table),
    submissions: submissionsRepo(table),
    partitions: partitionsRepo(table),
  };
}

export type Store = ReturnType<typeof createStore>;
