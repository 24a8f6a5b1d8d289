// Reading and writing overlap: while the sink writes one batch, the source already reads
// the next (the next keyset page, the next piece of a file). Copying is then bounded by
// the slower side instead of their sum, for the memory of one more batch.

/** `batches`, read one ahead of the caller. */
export async function* readAhead<T>(batches: AsyncIterable<T>): AsyncGenerator<T> {
  const it = batches[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      // Seen on the next turn; a caller that stops early (a handover, a stop) must not leave it unhandled.
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    // Stopped early: let the read in flight settle, then close the source's iterator.
    await next.catch(() => undefined);
    await it.return?.();
  }
}
