// Scheduled starts on the embedded runtime, the clock advanced by the test: skip while
// running, start/stop dates, modify and delete, restart persistence, RETRY_TRIPLE and
// disposableType.
import { afterEach, describe, expect, it } from 'vitest';
import { executeMessage } from '../../../lib/engine/execute';
import { ManualClock } from '../../../lib/local/embedded-scheduler';
import { retryDelayMs } from '../../../lib/schedules/after-run';
import { startApi } from '../../support/embedded';
import { cdmTime, ended, history, job, minuteAfter, refOf, setup, type Setup } from './support';

let s: Setup | undefined;
afterEach(async () => {
  await s?.api.close();
  s = undefined;
});

const every5 = (start: number, extra: Record<string, string> = {}) => ({
  'schedulerConfig.isSchedulerJob': 'true',
  'schedulerConfig.cycleType': 'minute',
  'schedulerConfig.cycle': '5',
  'schedulerConfig.startDate': cdmTime(start),
  ...extra,
});

describe('scheduled starts', () => {
  it('a tick while the previous run is still going is skipped and recorded, not queued', async () => {
    s = await setup({ concurrency: 0 }); // runs never end
    const start = minuteAfter(s.clock, 60_000);
    expect((await s.api.call('POST', `${s.base}/job`, { jobs: [job('nightly', every5(start))] })).status).toBe(200);

    await s.clock.advanceTo(start);
    const [first] = await history(s, 'nightly');
    expect(first).toMatchObject({ 'submission-id': 1, status: 'BOOTING', 'is-execute-auto': true, 'creation-user': 'ferry-scheduler' });

    await s.clock.advanceTo(start + 15 * 60_000); // three more ticks
    expect((await history(s, 'nightly')).map((x) => x['submission-id'])).toEqual([1]);
    const automation = await s.api.ferry.runtime.automation!.repo.get(refOf(s, 'nightly'));
    expect(automation).toMatchObject({ skipped: 3, lastSkip: { kind: 'schedule', activeSubmissionId: 1, at: start + 15 * 60_000 } });
    expect(automation!.lastSkip!.reason).toContain('is running');
  });

  it('nothing runs before startDate; the runs up to stopDate run; none after', async () => {
    s = await setup();
    const start = minuteAfter(s.clock, 10 * 60_000);
    // Each run reloads the whole table (a periodic full copy).
    const body = job('bounded', every5(start, { 'schedulerConfig.stopDate': cdmTime(start + 10 * 60_000) }), {
      toInputs: { 'toJobConfig.beforeImportType': 'shouldClearTable' },
    });
    expect((await s.api.call('POST', `${s.base}/job`, { jobs: [body] })).status).toBe(200);

    await s.clock.advanceTo(start - 1);
    expect(await history(s, 'bounded')).toEqual([]);
    for (const [i, at] of [start, start + 5 * 60_000, start + 10 * 60_000].entries()) {
      await s.clock.advanceTo(at);
      const run = await ended(s, 'bounded', i + 1);
      expect(run.status, JSON.stringify(run)).toBe('SUCCEEDED');
      await s.api.ferry.queue.idle();
    }
    await s.clock.advance(24 * 3_600_000);
    expect(await history(s, 'bounded')).toHaveLength(3);
    expect(s.clock.nextAt()).toBeUndefined();
  });

  it('modifying a job re-arms its schedule; turning it off or deleting the job removes it', async () => {
    s = await setup({ concurrency: 0 });
    const start = minuteAfter(s.clock, 60_000);
    await s.api.call('POST', `${s.base}/job`, { jobs: [job('a', every5(start)), job('b', every5(start))] });
    // a: every 5 minutes → every day at startDate + 1 h.
    const later = start + 3_600_000;
    const modified = await s.api.call('PUT', `${s.base}/job/a`, {
      jobs: [job('a', { ...every5(later), 'schedulerConfig.cycleType': 'day', 'schedulerConfig.cycle': '1' })],
    });
    expect(modified.status, JSON.stringify(modified.body)).toBe(200);
    expect((await s.api.call('DELETE', `${s.base}/job/b`)).status).toBe(200);

    await s.clock.advanceTo(later - 1);
    expect(await history(s, 'a')).toEqual([]);
    await s.clock.advanceTo(later);
    expect(await history(s, 'a')).toHaveLength(1);
    expect(await s.api.ferry.runtime.automation!.repo.get(refOf(s, 'b'))).toBeUndefined();

    await s.api.call('PUT', `${s.base}/job/a`, { jobs: [job('a', { 'schedulerConfig.isSchedulerJob': 'false' })] });
    expect(s.clock.nextAt()).toBeUndefined();
  });

  it('a tick for a job deleted without its automation (as a cluster delete does) removes its schedule and S3 binding', async () => {
    s = await setup({ concurrency: 0 });
    const start = minuteAfter(s.clock, 60_000);
    await s.api.call('POST', `${s.base}/job`, { jobs: [job('orphan', { ...every5(start), 'ferryConfig.s3TriggerBucket': 'ferry-incoming' })] });
    const rt = s.api.ferry.runtime;
    expect(await rt.store.jobs.delete('p1', s.cluster, 'orphan')).not.toBe('missing');

    await s.clock.advanceTo(start);
    expect(await rt.store.submissions.get({ ...refOf(s, 'orphan'), id: 1 })).toBeUndefined();
    expect(s.clock.nextAt()).toBeUndefined();
    expect(await rt.automation!.repo.get(refOf(s, 'orphan'))).toBeUndefined();
    expect(await rt.automation!.repo.bindings('ferry-incoming')).toEqual([]);
  });

  it('refuses an invalid schedulerConfig with Cdm.0014 naming the input, and creates nothing', async () => {
    s = await setup();
    const r = await s.api.call('POST', `${s.base}/job`, {
      jobs: [job('bad', { 'schedulerConfig.isSchedulerJob': 'true', 'schedulerConfig.cycleType': 'week', 'schedulerConfig.cycle': '1', 'schedulerConfig.runAt': 'someday' })],
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ errCode: 'Cdm.0014', externalMessage: expect.stringContaining('schedulerConfig.runAt') });
    expect((await s.api.call('GET', `${s.base}/job/bad`)).body.errCode).toBe('Cdm.0100');
  });

  it('schedules survive a restart: they are read back from the store', async () => {
    s = await setup({ concurrency: 0 });
    const start = minuteAfter(s.clock, 60_000);
    await s.api.call('POST', `${s.base}/job`, { jobs: [job('kept', every5(start))] });
    const { dataDir } = s.api;
    const { cluster, base, src, dst } = s;
    await s.api.close({ keepData: true });

    const clock = new ManualClock(start - 30_000);
    const api = await startApi({ dataDir, schedulerClock: clock, concurrency: 0 });
    s = { api, clock, cluster, base, src, dst };
    expect(clock.nextAt()).toBe(start);
    await clock.advanceTo(start);
    expect(await history(s, 'kept')).toMatchObject([{ 'submission-id': 1, 'is-execute-auto': true, 'creation-user': 'ferry-scheduler' }]);
  });
});

describe('RETRY_TRIPLE', () => {
  it('retries a failed run three times with backoff, each retry recorded on the submissions', async () => {
    s = await setup();
    // The source table does not exist: every run fails.
    const body = job('flaky', { 'retryJobConfig.retryJobType': 'RETRY_TRIPLE' }, { fromTable: 'missing' });
    expect((await s.api.call('POST', `${s.base}/job`, { jobs: [body] })).status).toBe(200);
    expect((await s.api.call('PUT', `${s.base}/job/flaky/start`)).status).toBe(200);

    const store = s.api.ferry.runtime.store;
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await ended(s, 'flaky', attempt)).status).toBe('FAILED');
      await s.api.ferry.queue.idle(); // the executor's end-of-run work is done
      const failed = await store.submissions.get({ ...refOf(s, 'flaky'), id: attempt });
      const { retryAt, retryNextAttempt } = failed as unknown as { retryAt: number; retryNextAttempt: number };
      expect(retryNextAttempt).toBe(attempt);
      // The wait doubles: 1, 2, 4 minutes after the failure.
      expect(retryAt - failed!.updatedAt).toBeGreaterThanOrEqual(retryDelayMs(attempt));
      expect(retryAt - failed!.updatedAt).toBeLessThan(retryDelayMs(attempt) + 60_000);
      expect(s.clock.nextAt()).toBe(retryAt);
      await s.clock.advanceTo(retryAt);
      const retry = await store.submissions.get({ ...refOf(s, 'flaky'), id: attempt + 1 });
      expect(retry).toMatchObject({ auto: true, createdBy: 'ferry-scheduler', retryOf: attempt, retryAttempt: attempt });
    }
    expect((await ended(s, 'flaky', 4)).status).toBe('FAILED');
    await s.api.ferry.queue.idle();
    expect(s.clock.nextAt()).toBeUndefined(); // three retries, then no more
    const runs = await history(s, 'flaky');
    expect(runs).toHaveLength(4);
    // The history shows which run retried which (newest first).
    expect(runs.map((r: any) => [r['submission-id'], r['retry-of'], r['retry-attempt']])).toEqual([
      [4, 3, 3],
      [3, 2, 2],
      [2, 1, 1],
      [1, undefined, undefined],
    ]);
    expect(runs[3]['retry-at']).toBeGreaterThan(runs[3]['last-update-date']);
  });

  it('a run stopped by a user is not retried', async () => {
    s = await setup({ concurrency: 0 });
    const body = job('stopped', { 'retryJobConfig.retryJobType': 'RETRY_TRIPLE' });
    await s.api.call('POST', `${s.base}/job`, { jobs: [body] });
    await s.api.call('PUT', `${s.base}/job/stopped/start`);
    expect((await s.api.call('PUT', `${s.base}/job/stopped/stop`)).status).toBe(200);
    await executeMessage(s.api.ferry.runtime, { v: 1, ...refOf(s, 'stopped'), submissionId: 1, reason: 'start' }, { owner: 't', remainingMs: () => 600_000 });
    expect((await history(s, 'stopped'))[0].status).toBe('FAILED');
    expect(s.clock.nextAt()).toBeUndefined();
  });
});

describe('disposableType', () => {
  it.each([
    ['DELETE_AFTER_SUCCEED', 'orders', 'SUCCEEDED', true],
    ['DELETE_AFTER_SUCCEED', 'missing', 'FAILED', false],
    ['DELETE', 'missing', 'FAILED', true],
  ] as const)('%s: a run reading table %s that ends %s deletes the job: %s', async (type, table, status, deleted) => {
    s = await setup();
    const body = job('once', { 'schedulerConfig.disposableType': type }, { fromTable: table });
    await s.api.call('POST', `${s.base}/job`, { jobs: [body] });
    await s.api.call('PUT', `${s.base}/job/once/start`);
    await s.api.ferry.queue.idle();
    const job_ = await s.api.call('GET', `${s.base}/job/once`);
    if (deleted) expect(job_.body.errCode).toBe('Cdm.0100');
    else expect(job_.body.jobs[0].status).toBe(status);
  });

  it('DELETE: a run stopped before any executor took it ends as every run does, and the job goes', async () => {
    s = await setup({ concurrency: 0 }); // no executor: the run stays BOOTING until stopped
    const body = job('once', { 'schedulerConfig.disposableType': 'DELETE' }, { fromTable: 'orders' });
    await s.api.call('POST', `${s.base}/job`, { jobs: [body] });
    await s.api.call('PUT', `${s.base}/job/once/start`);
    expect((await s.api.call('PUT', `${s.base}/job/once/stop`)).status).toBe(200);
    expect((await s.api.call('GET', `${s.base}/job/once`)).body.errCode).toBe('Cdm.0100');
  });
});
