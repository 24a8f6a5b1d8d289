// The embedded scheduler on a ManualClock: which ticks it delivers, and when.
import { describe, expect, it } from 'vitest';
import { handler } from '../../handlers/scheduler';
import { embeddedScheduler, ManualClock } from '../../lib/local/embedded-scheduler';
import { scheduleFromInputs } from '../../lib/schedules/schedule-spec';
import type { Tick } from '../../lib/schedules/scheduler';

const T0 = Date.parse('2024-03-01T00:00:00Z');
const ref = { project: 'p1', cluster: 'c1', job: 'j' };
const spec = (inputs: Record<string, string>) =>
  scheduleFromInputs(
    Object.fromEntries(Object.entries({ isSchedulerJob: 'true', ...inputs }).map(([k, v]) => [`schedulerConfig.${k}`, v])),
    { defaultTimeZone: 'UTC', savedAt: T0 },
  )!;

function harness() {
  const clock = new ManualClock(T0);
  const ticks: Tick[] = [];
  const scheduler = embeddedScheduler({ clock, run: async (t) => void ticks.push(t) });
  const times = () => ticks.map((t) => `${t.kind} ${t.scheduledAt}`);
  return { clock, scheduler, times };
}

describe('the embedded scheduler', () => {
  it('delivers a tick at every run of the schedule, carrying the time it was due', async () => {
    const { clock, scheduler, times } = harness();
    await scheduler.put(ref, spec({ cycleType: 'hour', cycle: '2', runAt: '30', startDate: '2024-03-01 01:00:00' }));
    await clock.advance(6 * 3_600_000);
    expect(times()).toEqual(['schedule 2024-03-01T01:30:00.000Z', 'schedule 2024-03-01T03:30:00.000Z', 'schedule 2024-03-01T05:30:00.000Z']);
  });

  it('a modified schedule replaces the old one; a removed one delivers nothing', async () => {
    const { clock, scheduler, times } = harness();
    await scheduler.put(ref, spec({ cycleType: 'minute', cycle: '10' }));
    await scheduler.put(ref, spec({ cycleType: 'minute', cycle: '25' }));
    await clock.advance(30 * 60_000);
    expect(times()).toEqual(['schedule 2024-03-01T00:25:00.000Z']);
    await scheduler.remove(ref);
    await clock.advance(3_600_000);
    expect(times()).toHaveLength(1);
  });

  it('disposableType DELETE fires once', async () => {
    const { clock, scheduler, times } = harness();
    await scheduler.put(ref, spec({ cycleType: 'minute', cycle: '1', disposableType: 'DELETE' }));
    await clock.advance(10 * 60_000);
    expect(times()).toEqual(['schedule 2024-03-01T00:01:00.000Z']);
  });

  it('re-arms schedules and pending retries read back from the store; a retry that fell due meanwhile runs at once', async () => {
    const { clock, scheduler, times } = harness();
    scheduler.start([
      { ref, schedule: spec({ cycleType: 'day', cycle: '1', startDate: '2024-03-01 06:00:00' }) },
      { ref: { ...ref, job: 'k' }, retry: { of: 4, attempt: 2, at: T0 - 60_000 } },
    ]);
    await clock.advance(7 * 3_600_000);
    expect(times()).toEqual(['retry 2024-02-29T23:59:00.000Z', 'schedule 2024-03-01T06:00:00.000Z']);
  });

  it('stops delivering once closed', async () => {
    const { clock, scheduler, times } = harness();
    await scheduler.put(ref, spec({ cycleType: 'minute', cycle: '1' }));
    scheduler.close();
    await clock.advance(5 * 60_000);
    expect(times()).toEqual([]);
  });
});

describe('the scheduler Lambda', () => {
  it.each([
    [{}, 'event.v'],
    [{ v: 1, kind: 'schedule', project: 'p1', cluster: 'c1', scheduledAt: '2024-03-01T00:00:00Z' }, 'event.job'],
    [{ v: 1, kind: 'sometimes', project: 'p1', cluster: 'c1', job: 'j', scheduledAt: 'x' }, 'event.kind'],
  ])('refuses a malformed tick %j with Cdm.0014', async (event, path) => {
    await expect(handler(event)).rejects.toMatchObject({ code: 'Cdm.0014', message: expect.stringContaining(path) });
  });
});
