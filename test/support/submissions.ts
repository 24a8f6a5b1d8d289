// A stored run made to order, for tests that put submissions straight into the store
// (the reaper, the embedded index repair) rather than starting them through the API.
import { EMPTY_COUNTERS, type Submission } from '../../lib/model/submission';
import type { SubmissionKey } from '../../lib/store/submissions-repo';

/** A RUNNING submission `k`, created and last updated at `at`, of a job copying between links `a` and `b`. */
export const runningSubmission = (k: SubmissionKey, at: number): Submission => ({
  ...k,
  status: 'RUNNING',
  progress: 0,
  createdAt: at,
  createdBy: 'test',
  executeAt: at,
  updatedAt: at,
  updatedBy: 'test',
  auto: false,
  incrementing: false,
  deleteJob: false,
  counters: EMPTY_COUNTERS,
  spec: {
    name: k.job,
    jobType: 'NORMAL_JOB',
    fromConnector: 'generic-jdbc-connector',
    toConnector: 'generic-jdbc-connector',
    fromLink: 'a',
    toLink: 'b',
    from: {},
    to: {},
    driver: {},
    extended: { from: [], to: [] },
  },
  variables: {},
});
