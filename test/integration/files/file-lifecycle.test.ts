// The lifecycle of a file job through the API: stopped at a chosen chunk, it ends FAILED with
// what it committed counted and nothing staged left; started again, it copies every file
// exactly once. A start while it runs is refused; a run never sees its progress go back.
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, waitFor, type Api } from '../../support/embedded';
import { bytes, cluster, counters, md5 } from './file-harness';
import { useStores, type StoreKind } from './file-stores';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});
const kinds = useStores();

/** Holds the run's `nth` progress report until `thaw()`: the chunk before it is committed, the run goes no further. */
function holdReport(a: Api, nth: number) {
  const subs = a.ferry.runtime.store.submissions;
  const record = subs.recordProgress;
  let calls = 0;
  let release: (() => void) | undefined;
  subs.recordProgress = async (...args) => {
    if (++calls === nth) await new Promise<void>((ok) => (release = ok));
    return record(...args);
  };
  return {
    held: () => waitFor(`report ${nth}`, async () => release !== undefined, Boolean),
    thaw: () => release?.(),
  };
}

const binaryFiles = () => ({
  // a.bin is two pieces (two chunks); the others one chunk each.
  'in/a.bin': bytes(9 * 1024 * 1024 + 1, 1),
  ...Object.fromEntries([2, 3, 4, 5].map((i) => [`in/f${i}.bin`, bytes(2 * 1024 * 1024 + i, i)])),
});
const csvRows = (from: number, n: number) => Array.from({ length: n }, (_v, i) => `${from + i},name ${from + i}\n`).join('');
const csvFiles = () => ({ 'in/a.csv': csvRows(1, 25_000), 'in/b.csv': csvRows(25_001, 25_000) });
const lines = (files: Record<string, Buffer>) =>
  Object.values(files)
    .flatMap((b) => b.toString('utf8').split(/\r?\n/))
    .filter(Boolean)
    .sort();

async function readAll(area: Awaited<ReturnType<StoreKind['area']>>, dir: string) {
  const out: Record<string, Buffer> = {};
  for (const k of Object.keys(await area.tree(dir))) out[k] = await area.read(`${dir}/${k}`);
  return out;
}

describe.each(kinds)('$name', (kind) => {
  describe.each([
    ['BINARY_FILE', 1],
    ['BINARY_FILE', 3],
    ['CSV_FILE', 1],
    ['CSV_FILE', 3],
  ] as const)('%s, %i extractor(s)', (format, extractors) => {
    it.each([
      ['true', 1],
      ['false', 1],
      ['true', 2],
      ['false', 3],
    ])('writeToTempFile=%s, stopped at report %i: FAILED, its counters what it left, nothing staged; a second start copies each file once', async (temp, nth) => {
      api = await startApi({ settings: { progressIntervalMs: 0 } });
      const c = await cluster(api);
      const area = await kind.area(c);
      const input = format === 'BINARY_FILE' ? binaryFiles() : csvFiles();
      await area.write(input);
      await c.job('j', {
        from: [area.linkName, kind.name],
        to: [area.linkName, kind.name],
        fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': format }),
        toInputs: area.to('/out', { 'toJobConfig.outputFormat': format, 'toJobConfig.writeToTempFile': temp, 'toJobConfig.duplicateFileOpType': 'REPLACE' }),
        driver: { 'throttlingConfig.numExtractors': String(extractors) },
      });
      const hold = holdReport(api, nth);
      expect((await api.call('PUT', `${c.base}/job/j/start`)).status).toBe(200);
      await hold.held();
      expect((await api.call('PUT', `${c.base}/job/j/stop`)).status).toBe(200);
      hold.thaw();
      const stopped = await waitFor('the stop', () => c.status('j'), (s) => s.status !== 'RUNNING' && s.status !== 'BOOTING');
      expect(stopped.status).toBe('FAILED');
      expect(stopped['error-summary']).toContain('Stopped');
      await api.ferry.queue.idle();
      const left = await readAll(area, 'out');
      // Nothing staged or bookkept is left; what is there is whole.
      expect(Object.keys(left).filter((k) => k.startsWith('.') || k.includes('/.'))).toEqual([]);
      if (format === 'BINARY_FILE') {
        for (const [k, b] of Object.entries(left)) expect(md5(b), k).toBe(md5(input[`in/${k}` as keyof typeof input] as Buffer));
      }
      // What it counts is what it left. (With several slices, one may still commit files, its last
      // or on seal, before it learns of the stop, after the run's counters are final: never more.)
      const size = Object.values(left).reduce((a, b) => a + b.length, 0);
      const { FILES_WRITTEN, BYTES_WRITTEN } = counters(stopped);
      if (extractors === 1) expect({ FILES_WRITTEN, BYTES_WRITTEN }).toEqual({ FILES_WRITTEN: Object.keys(left).length, BYTES_WRITTEN: size });
      else expect(FILES_WRITTEN).toBeLessThanOrEqual(Object.keys(left).length);
      if (temp === 'true' && extractors === 1) expect(left).toEqual({});

      const progress: number[] = [];
      expect((await api.call('PUT', `${c.base}/job/j/start`)).status).toBe(200);
      const done = await waitFor(
        'the second run',
        async () => {
          const s = await c.status('j');
          if (s.status === 'RUNNING') progress.push(s.progress);
          return s;
        },
        (s) => s.status === 'SUCCEEDED' || s.status === 'FAILED',
      );
      expect(done.status, done['error-summary']).toBe('SUCCEEDED');
      expect(done.progress).toBe(100);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress.every((p) => p < 100)).toBe(true);
      const out = await readAll(area, 'out');
      if (format === 'BINARY_FILE') {
        expect(Object.fromEntries(Object.entries(out).map(([k, b]) => [k, md5(b)]))).toEqual(
          Object.fromEntries(Object.entries(input).map(([k, b]) => [k.slice(3), md5(b as Buffer)])),
        );
        expect(counters(done)).toMatchObject({ FILES_WRITTEN: 5, FILES_READ: 5 });
      } else {
        // The second run's files replace the first's: every row once.
        const second = Object.fromEntries(Object.entries(out).filter(([k]) => k.startsWith('j_')));
        expect(lines(second)).toEqual(lines(Object.fromEntries(Object.entries(input).map(([k, v]) => [k, Buffer.from(v)]))));
      }
    });
  });
});
