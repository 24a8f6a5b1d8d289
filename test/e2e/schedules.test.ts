// A user schedules a job over the CDM API on `npm start` and it copies on its own:
// every 10 minutes from startDate, each run auto-executed by ferry-scheduler, the
// schedule shown back on the job. The embedded runtime's clock is advanced by the test.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tableDump } from '../support/sqlite-fixtures';
import { cdmTime, ended, history, job, minuteAfter, setup, type Setup } from '../integration/schedules/support';

let s: Setup;
beforeAll(async () => {
  s = await setup({ rows: 300 });
});
afterAll(() => s?.api.close());

it('a scheduled job copies SQLite to SQLite at startDate and again every cycle, auto-executed by ferry-scheduler', async () => {
  const start = minuteAfter(s.clock, 5 * 60_000);
  const body = job(
    'every-10-min',
    {
      'schedulerConfig.isSchedulerJob': 'true',
      'schedulerConfig.cycleType': 'minute',
      'schedulerConfig.cycle': '10',
      'schedulerConfig.startDate': cdmTime(start),
      'schedulerConfig.disposableType': 'NONE',
    },
    { toInputs: { 'toJobConfig.beforeImportType': 'shouldClearTable' } },
  );
  const created = await s.api.call('POST', `${s.base}/job`, { jobs: [body] });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const shown = await s.api.call('GET', `${s.base}/job/every-10-min`);
  const scheduler = shown.body.jobs[0]['driver-config-values'].configs.find((c: { name: string }) => c.name === 'schedulerConfig');
  expect(scheduler.inputs).toEqual(expect.arrayContaining([{ name: 'schedulerConfig.startDate', value: cdmTime(start) }]));

  await s.clock.advanceTo(start);
  expect(await ended(s, 'every-10-min', 1)).toMatchObject({ status: 'SUCCEEDED', 'is-execute-auto': true, 'creation-user': 'ferry-scheduler' });
  expect(tableDump(s.dst, 'orders_copy')).toEqual(tableDump(s.src, 'orders'));

  await s.api.ferry.queue.idle();
  await s.clock.advance(10 * 60_000);
  expect(await ended(s, 'every-10-min', 2)).toMatchObject({ status: 'SUCCEEDED', 'is-execute-auto': true });
  expect(tableDump(s.dst, 'orders_copy')).toEqual(tableDump(s.src, 'orders'));
  expect((await history(s, 'every-10-min')).map((x) => x['submission-id'])).toEqual([2, 1]);
});
