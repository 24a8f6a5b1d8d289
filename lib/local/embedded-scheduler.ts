// The Scheduler port embedded: in-process timers on an injectable clock, firing exactly
// when the shared schedule definition (lib/schedules/schedule-spec.ts nextFire) says, and
// delivering the same Tick the AWS scheduler Lambda receives. Timers are not the record:
// on start the runtime re-arms every schedule and pending retry read back from the
// store, so schedules survive restarts. Runs that fell due while it was down are not
// made up (EventBridge Scheduler, with no flexible window, does not either); a pending
// retry that fell due meanwhile runs at once.
import type { JobRef } from '../jobs/start-job';
import type { Automation } from '../schedules/automation-repo';
import { nextFire, type ScheduleSpec } from '../schedules/schedule-spec';
import { retryTick, type Scheduler, type Tick } from '../schedules/scheduler';

export interface Clock {
  now(): number;
  /** Calls `fire` at `at` (or at once when `at` has passed); returns a cancel function. */
  setTimer(at: number, fire: () => Promise<void>): () => void;
}

// setTimeout takes at most 2^31-1 ms (~24.8 days); longer waits hop.
const MAX_DELAY = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fire) {
    let handle: NodeJS.Timeout;
    const wait = () => {
      const delay = at - Date.now();
      handle = setTimeout(delay > MAX_DELAY ? wait : () => void fire(), Math.max(0, Math.min(delay, MAX_DELAY)));
      handle.unref();
    };
    wait();
    return () => clearTimeout(handle);
  },
};

/**
 * A clock that moves only when told: tests (and demos) advance it and every timer due
 * fires in time order, each awaited, so a test never sleeps for minutes.
 */
export class ManualClock implements Clock {
  private timers: { at: number; seq: number; fire: () => Promise<void> }[] = [];
  private seq = 0;

  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  setTimer(at: number, fire: () => Promise<void>): () => void {
    const timer = { at, seq: this.seq++, fire };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves to `to`, firing (and awaiting) every timer due on the way, in order. */
  async advanceTo(to: number): Promise<void> {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      await due.fire();
    }
    this.time = Math.max(this.time, to);
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.time + ms);
  }

  /** When the next timer fires (undefined when none is armed). */
  nextAt(): number | undefined {
    return this.timers.reduce<number | undefined>((m, t) => (m === undefined || t.at < m ? t.at : m), undefined);
  }
}

export interface EmbeddedScheduler extends Scheduler {
  /** Arms what the store holds: every schedule and pending retry. */
  start(armed: Automation[]): void;
  /** Resolves when no tick is being handled. */
  idle(): Promise<void>;
  close(): void;
}

export function embeddedScheduler(opts: { clock: Clock; run: (tick: Tick) => Promise<unknown>; onError?: (e: unknown, tick: Tick) => void }): EmbeddedScheduler {
  const { clock } = opts;
  const armed = new Map<string, { schedule?: () => void; retry?: () => void }>();
  const inflight = new Set<Promise<void>>();
  let closed = false;
  const keyOf = (r: JobRef) => JSON.stringify([r.project, r.cluster, r.job]);
  const slot = (r: JobRef) => {
    let s = armed.get(keyOf(r));
    if (!s) armed.set(keyOf(r), (s = {}));
    return s;
  };

  const deliver = (tick: Tick): Promise<void> => {
    if (closed) return Promise.resolve();
    const p = opts
      .run(tick)
      .then(() => undefined)
      .catch((e: unknown) => (opts.onError ?? ((err) => console.error('scheduled start failed:', err)))(e, tick))
      .finally(() => inflight.delete(p));
    inflight.add(p);
    return p;
  };

  function arm(ref: JobRef, spec: ScheduleSpec, after: number): void {
    const s = slot(ref);
    s.schedule?.();
    delete s.schedule;
    const at = nextFire(spec, after);
    if (at === undefined || closed) return;
    s.schedule = clock.setTimer(at, () => {
      // Re-arm first: the next run's timer does not wait for this run's start.
      if (!spec.once) arm(ref, spec, at);
      else delete slot(ref).schedule;
      return deliver({ v: 1, kind: 'schedule', ...ref, scheduledAt: new Date(at).toISOString() });
    });
  }

  function armRetry(ref: JobRef, at: number, tick: Tick): void {
    const s = slot(ref);
    s.retry?.();
    s.retry = clock.setTimer(at, () => {
      delete slot(ref).retry;
      return deliver(tick);
    });
  }

  return {
    async put(ref, spec) {
      arm(ref, spec, clock.now());
    },
    async remove(ref) {
      const s = armed.get(keyOf(ref));
      s?.schedule?.();
      s?.retry?.();
      armed.delete(keyOf(ref));
    },
    async once(ref, at, tick) {
      armRetry(ref, at, tick);
    },
    start(items) {
      const now = clock.now();
      for (const a of items) {
        if (a.schedule) arm(a.ref, a.schedule, now);
        if (a.retry) armRetry(a.ref, a.retry.at, retryTick(a.ref, a.retry));
      }
    },
    async idle() {
      while (inflight.size) await Promise.all([...inflight]);
    },
    close() {
      closed = true;
      for (const s of armed.values()) (s.schedule?.(), s.retry?.());
      armed.clear();
    },
  };
}
