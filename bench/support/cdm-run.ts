// CDM bodies for the benches (links and a job; generic-jdbc-connector unless another
// connector is named), and one job run over the API: create, start, poll to the end, with
// the child's peak RSS.
import type { FerryProcess } from './ferry-process';

export type LinkInputs = Record<string, string>;

const configs = (name: string, inputs: Record<string, string>) => ({
  configs: [{ name, inputs: Object.entries(inputs).map(([n, value]) => ({ name: n, value })) }],
});

const JDBC = 'generic-jdbc-connector';

export const linkBody = (name: string, inputs: LinkInputs, connector = JDBC) => ({
  name,
  'connector-name': connector,
  'link-config-values': configs('linkConfig', inputs),
});

export interface TableJob {
  name: string;
  fromLink: string;
  toLink: string;
  fromConnector?: string;
  toConnector?: string;
  from: Record<string, string>;
  to: Record<string, string>;
  numExtractors: number;
  verify?: boolean;
}

export const jobBody = (j: TableJob) => ({
  job_type: 'NORMAL_JOB',
  name: j.name,
  'from-connector-name': j.fromConnector ?? JDBC,
  'to-connector-name': j.toConnector ?? JDBC,
  'from-link-name': j.fromLink,
  'to-link-name': j.toLink,
  'from-config-values': configs('fromJobConfig', j.from),
  'to-config-values': configs('toJobConfig', j.to),
  'driver-config-values': {
    configs: [
      configs('throttlingConfig', { 'throttlingConfig.numExtractors': String(j.numExtractors) }).configs[0]!,
      ...(j.verify ? configs('ferryConfig', { 'ferryConfig.verify': 'true' }).configs : []),
    ],
  },
});

export interface RunResult {
  status: string;
  /** Start call to SUCCEEDED as the server records it (creation-date → last-update-date). */
  serverSeconds: number;
  /** Start call to the poll that saw the end. */
  observedSeconds: number;
  rows: number;
  bytesRead: number;
  /** The submission's Sqoop counters (FILES_WRITTEN, BYTES_WRITTEN, …). */
  counters: Record<string, number>;
  /** The child's VmHWM after the run, KiB. */
  peakRssKb: number;
  /** CPU seconds the child used from the start call to the end. */
  cpuSeconds: number;
  submission: any;
}

/**
 * Between status polls. The measured time is the server's own (creation → last update), so
 * polling faster buys no precision; it only loads the process being measured (every poll is
 * an authenticated API call and DynamoDB reads), which the peers never pay.
 */
const POLL_MS = 500;

const SQOOP = 'org.apache.sqoop.submission.counter.SqoopCounters';

/** Creates (or replaces) the job, starts it and polls its status until it ends. */
export async function runJob(ferry: FerryProcess, cdm: string, job: TableJob, timeoutMs = 30 * 60_000): Promise<RunResult> {
  await ferry.call('DELETE', `${cdm}/job/${job.name}`).catch(() => undefined);
  await ferry.call('POST', `${cdm}/job`, { jobs: [jobBody(job)] });
  const cpu0 = ferry.cpuSeconds();
  const t0 = performance.now();
  await ferry.call('PUT', `${cdm}/job/${job.name}/start`);
  for (;;) {
    const s = (await ferry.call('GET', `${cdm}/job/${job.name}/status`)).submissions[0];
    if (s.status === 'SUCCEEDED' || s.status === 'FAILED') {
      const observedSeconds = (performance.now() - t0) / 1000;
      const counters = s.counters?.[SQOOP] ?? {};
      return {
        status: s.status,
        serverSeconds: (s['last-update-date'] - s['creation-date']) / 1000,
        observedSeconds,
        rows: counters.ROWS_WRITTEN ?? 0,
        bytesRead: counters.BYTES_READ ?? 0,
        counters,
        peakRssKb: ferry.memory().peakKb,
        cpuSeconds: ferry.cpuSeconds() - cpu0,
        submission: s,
      };
    }
    if (performance.now() - t0 > timeoutMs) throw new Error(`${job.name} did not end in ${timeoutMs / 1000} s; last status ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
