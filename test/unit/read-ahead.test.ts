// Reading one batch ahead of the writer must change nothing a copy delivers: every batch
// once, in order; errors where they happened; and a copy that stops early (a handover to a
// continuation, a stop) closes its source and never crashes on the read still in flight.
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../lib/engine/read-ahead';

function source(n: number, opts: { failAt?: number } = {}) {
  const state = { requested: 0, closed: false };
  async function* batches() {
    try {
      for (let i = 1; i <= n; i++) {
        state.requested = i;
        await new Promise((r) => setTimeout(r, 1));
        if (i === opts.failAt) throw new Error(`read ${i} failed`);
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, batches: batches() };
}

describe('readAhead', () => {
  it('delivers every batch once, in order, and reads the next while the caller holds one', async () => {
    const s = source(5);
    const got: number[] = [];
    for await (const b of readAhead(s.batches)) {
      got.push(b);
      await new Promise((r) => setTimeout(r, 5));
      // The source was asked for the following batch while this one was being written.
      expect(s.state.requested).toBe(Math.min(b + 1, 5));
    }
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(s.state.closed).toBe(true);
  });

  it('raises a failed read when the caller reaches it, after the batches before it', async () => {
    const s = source(5, { failAt: 3 });
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const b of readAhead(s.batches)) got.push(b);
      })(),
    ).rejects.toThrow('read 3 failed');
    expect(got).toEqual([1, 2]);
  });

  it('closes the source when the caller stops early, even if the read in flight fails', async () => {
    const s = source(5, { failAt: 2 });
    for await (const b of readAhead(s.batches)) {
      expect(b).toBe(1);
      break; // batch 2's read is in flight and fails
    }
    expect(s.state.closed).toBe(true);
  });
});
