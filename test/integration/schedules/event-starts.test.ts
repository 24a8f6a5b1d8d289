// Event-triggered starts on the embedded runtime, through the Lambda handlers: an S3
// object-created event starts the job bound to its bucket/prefix with the key as a
// macro variable; a burst while the job runs becomes ONE follow-up run; a generic
// EventBridge event starts the job it names.
import { afterEach, describe, expect, it } from 'vitest';
import { handler as s3Handler } from '../../../handlers/events/s3';
import { handler as startHandler } from '../../../handlers/events/start-job';
import { executeMessage } from '../../../lib/engine/execute';
import { tableDump } from '../../support/sqlite-fixtures';
import { ended, history, job, refOf, setup, type Setup } from './support';

let s: Setup | undefined;
afterEach(async () => {
  await s?.api.close();
  s = undefined;
});

const notification = (bucket: string, key: string) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2024-03-01T00:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      s3: { s3SchemaVersion: '1.0', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: 1 } },
    },
  ],
});
const viaEventBridge = (bucket: string, key: string) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '111122223333',
  time: '2024-03-01T00:00:00Z',
  region: 'eu-west-1',
  resources: [`arn:aws:s3:::${bucket}`],
  detail: { version: '0', bucket: { name: bucket }, object: { key, size: 1 }, 'request-id': 'r', requester: '111122223333', reason: 'PutObject' },
});

// The job loads the table the arriving object names: tables/<table> → <table>.
const bound = (name: string, extra: Record<string, string> = {}) =>
  job(name, { 'ferryConfig.s3TriggerBucket': 'ferry-incoming', 'ferryConfig.s3TriggerPrefix': 'tables/', ...extra }, { fromTable: '${s3.fileName}' });

describe('S3 object-created starts', () => {
  it('starts the job bound to the bucket/prefix, with the object key as a macro variable', async () => {
    s = await setup();
    expect((await s.api.call('POST', `${s.base}/job`, { jobs: [bound('load')] })).status).toBe(200);

    const r = await s3Handler(notification('ferry-incoming', 'tables/orders'));
    expect(r).toEqual({ objects: [{ bucket: 'ferry-incoming', key: 'tables/orders', job: refOf(s, 'load'), outcome: 'started', submissionId: 1 }] });
    expect((await ended(s, 'load', 1)).status).toBe('SUCCEEDED');
    expect(tableDump(s.dst, 'orders_copy')).toEqual(tableDump(s.src, 'orders'));
    const sub = await s.api.ferry.runtime.store.submissions.get({ ...refOf(s, 'load'), id: 1 });
    expect(sub).toMatchObject({ auto: true, createdBy: 'ferry-s3-trigger', variables: { 's3.bucket': 'ferry-incoming', 's3.key': 'tables/orders', 's3.fileName': 'orders', 's3.directory': 'tables', 's3.keys': 'tables/orders', 's3.count': '1' } });
  });

  it('ignores objects outside the prefix, in other buckets, and after the binding moved', async () => {
    s = await setup({ concurrency: 0 });
    await s.api.call('POST', `${s.base}/job`, { jobs: [bound('load', { 'ferryConfig.s3TriggerSuffix': '.csv' })] });
    expect(await s3Handler(notification('ferry-incoming', 'other/orders.csv'))).toEqual({ objects: [] });
    expect(await s3Handler(notification('ferry-incoming', 'tables/orders.json'))).toEqual({ objects: [] });
    expect(await s3Handler(notification('another-bucket', 'tables/orders.csv'))).toEqual({ objects: [] });

    await s.api.call('PUT', `${s.base}/job/load`, { jobs: [job('load', { 'ferryConfig.s3TriggerBucket': 'moved-bucket' })] });
    expect(await s3Handler(notification('ferry-incoming', 'tables/orders.csv'))).toEqual({ objects: [] });
    expect((await s3Handler(viaEventBridge('moved-bucket', 'anything'))) as object).toMatchObject({ objects: [{ outcome: 'started' }] });
  });

  it('refuses a bucket that is not an S3 bucket name with Cdm.0014, also beside a valid schedule, and creates nothing', async () => {
    s = await setup();
    const schedule = { 'schedulerConfig.isSchedulerJob': 'true', 'schedulerConfig.cycleType': 'day', 'schedulerConfig.cycle': '1' };
    const r = await s.api.call('POST', `${s.base}/job`, { jobs: [job('bad', { ...schedule, 'ferryConfig.s3TriggerBucket': 'Not_A_Bucket' })] });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining('ferryConfig.s3TriggerBucket') });
    expect((await s.api.call('GET', `${s.base}/job/bad`)).body.errCode).toBe('Cdm.0100');
  });

  it('coalesces a burst of events while the job runs into ONE follow-up run that lists every key', async () => {
    s = await setup({ concurrency: 0 }); // the test runs the executor itself, so it decides when a run ends
    await s.api.call('POST', `${s.base}/job`, { jobs: [bound('load')] });
    await s3Handler(notification('ferry-incoming', 'tables/orders'));
    const burst = ['tables/b1', 'tables/b2', 'tables/b3', 'tables/b2', 'tables/orders'];
    for (const key of burst) expect(await s3Handler(viaEventBridge('ferry-incoming', key))).toMatchObject({ objects: [{ outcome: 'pending' }] });
    expect(await history(s, 'load')).toHaveLength(1);

    const rt = s.api.ferry.runtime;
    const run = (id: number) => executeMessage(rt, { v: 1, ...refOf(s!, 'load'), submissionId: id, reason: 'start' }, { owner: `t${id}`, remainingMs: () => 600_000 });
    expect(await run(1)).toBe('succeeded');
    // The run's end started exactly one follow-up with everything that arrived.
    expect((await history(s, 'load')).map((x) => [x['submission-id'], x.status])).toEqual([[2, 'BOOTING'], [1, 'SUCCEEDED']]);
    const followUp = await rt.store.submissions.get({ ...refOf(s, 'load'), id: 2 });
    expect(followUp!.variables).toMatchObject({ 's3.keys': 'tables/b1|tables/b2|tables/b3|tables/orders', 's3.count': '5', 's3.key': 'tables/orders' });

    await run(2);
    expect(await history(s, 'load')).toHaveLength(2); // nothing pending: no third run
  });
});

describe('the generic EventBridge start', () => {
  const startEvent = (s: Setup, job: string, variables?: Record<string, unknown>) => ({
    version: '0',
    id: 'e2',
    'detail-type': 'Ferry Start Job',
    source: 'com.example.orders',
    account: '111122223333',
    time: '2024-03-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: { project_id: 'p1', cluster_id: s.cluster, job_name: job, ...(variables ? { variables } : {}) },
  });

  it('starts the job it names with its variables, as the event source', async () => {
    s = await setup();
    await s.api.call('POST', `${s.base}/job`, { jobs: [job('by-event', {}, { fromTable: '${table}' })] });
    const r = await startHandler(startEvent(s, 'by-event', { table: 'orders' }));
    expect(r).toMatchObject({ submissions: [{ 'job-name': 'by-event', 'submission-id': 1, status: 'BOOTING', 'is-execute-auto': true, 'creation-user': 'eventbridge:com.example.orders' }] });
    expect((await ended(s, 'by-event', 1)).status).toBe('SUCCEEDED');
  });

  it('refuses a malformed event, a missing job and a running one with the CDM error, without throwing (no retry)', async () => {
    s = await setup({ concurrency: 0 });
    await s.api.call('POST', `${s.base}/job`, { jobs: [job('busy', {})] });
    expect(await startHandler({ 'detail-type': 'Ferry Start Job', source: 'x', detail: { project_id: 'p1' } })).toMatchObject({ errCode: 'Cdm.0014' });
    expect(await startHandler(startEvent(s, 'nope'))).toMatchObject({ errCode: 'Cdm.0100' });
    await startHandler(startEvent(s, 'busy'));
    expect(await startHandler(startEvent(s, 'busy'))).toMatchObject({ errCode: 'Cdm.0052' });
    expect(await history(s, 'busy')).toHaveLength(1);
  });

  it('the S3 handler refuses a malformed event without throwing', async () => {
    s = await setup({ concurrency: 0 });
    expect(await s3Handler({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }] })).toMatchObject({ rejected: expect.stringContaining('event.Records[0].s3') });
  });
});
