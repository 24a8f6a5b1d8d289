// A file run that fails leaves nothing of its own at the destination but the files it had
// already committed: no temp file, upload, carry file or checkpoint (each is named after the
// submission, so no later run would ever use or remove it). Its counters say what it did.
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

async function setUp(kind: StoreKind, opts: Parameters<typeof startApi>[0] = {}) {
  api = await startApi(opts);
  const c = await cluster(api);
  const area = await kind.area(c);
  const job = (name: string, from: Record<string, string>, to: Record<string, string>, driver?: Record<string, string>) =>
    c.job(name, { from: [area.linkName, kind.name], to: [area.linkName, kind.name], fromInputs: area.from('/in', from), toInputs: area.to('/out', to), driver });
  return { c, area, job };
}

const binary = { 'fromJobConfig.inputFormat': 'BINARY_FILE' };
const binaryOut = { 'toJobConfig.outputFormat': 'BINARY_FILE' };
const md5Checked = { ...binary, 'fromJobConfig.md5FileSuffix': '.md5' };

describe.each(kinds)('$name', (kind) => {
  it.each([
    ['true', []],
    ['false', ['a.bin']],
  ])('writeToTempFile=%s: a run failing inside its second file leaves %j and nothing else', async (temp, kept) => {
    const { c, area, job } = await setUp(kind);
    // b.bin is two pieces: its first is staged before its MD5 check fails at its end.
    const b = bytes(9 * 1024 * 1024, 9);
    await area.write({ 'in/a.bin': 'aaa', 'in/a.bin.md5': md5(Buffer.from('aaa')), 'in/b.bin': b, 'in/b.bin.md5': '0'.repeat(32) });
    await job('tmp', md5Checked, { ...binaryOut, 'toJobConfig.writeToTempFile': temp });
    const s = await c.run('tmp');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('MD5 mismatch');
    const left = Object.keys(await area.tree('out'));
    // s3rver writes a PUT's body in place as it arrives and keeps what came when the request is
    // cut off (b.bin's, held back at its end by the failed check); S3 and OBS never show an object
    // whose body did not arrive whole.
    const s3rverCutOff = kind.name === 'obs-connector' && temp === 'false' ? ['b.bin'] : [];
    expect(left.filter((k) => !s3rverCutOff.includes(k))).toEqual(kept);
    if (left.includes('b.bin')) expect((await area.read('out/b.bin')).length).toBeLessThan(b.length);
    // What the run did, not the last progress report (this run made none).
    expect(counters(s)).toMatchObject({ TOTAL_FILES: 2, FILES_WRITTEN: kept.length });
  });

  it('duplicateFileOpType ABANDON: the files staged before the duplicate go with the run', async () => {
    const { c, area, job } = await setUp(kind);
    await area.write({ 'in/a.bin': 'aaa', 'in/b.bin': 'bb', 'out/b.bin': 'xx' });
    await job('abandon', binary, { ...binaryOut, 'toJobConfig.duplicateFileOpType': 'ABANDON' });
    const s = await c.run('abandon');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('already exists with the same size');
    expect(await area.tree('out')).toEqual({ 'b.bin': md5(Buffer.from('xx')) });
  });

  it('CSV files: a malformed row in a later file, with invocations handing over after each chunk, leaves no part or carried text', async () => {
    // Each invocation copies one chunk and hands over: the output waits in carry files and parts.
    const { c, area, job } = await setUp(kind, { invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const rows = (from: number, n: number) => Array.from({ length: n }, (_v, i) => `${from + i},name ${from + i}\n`).join('');
    // Three chunks (of 10,000 rows) before the bad row.
    await area.write({ 'in/a.csv': `id,name\n${rows(1, 30_000)}`, 'in/b.csv': `id,name\n${rows(30_001, 10)}30011,bad,extra\n` });
    await job(
      'csv',
      { 'fromJobConfig.inputFormat': 'CSV_FILE', 'fromJobConfig.firstRowAsHeader': 'true' },
      { 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.writeToTempFile': 'true' },
    );
    const s = await c.run('csv');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('b.csv line 12');
    expect(await area.tree('out')).toEqual({});
  });

  it('several slices, handing over after each chunk: when one fails, the others leave nothing staged either', async () => {
    const { c, area, job } = await setUp(kind, { invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const files: Record<string, Buffer | string> = {};
    for (let i = 0; i < 6; i++) {
      const data = bytes(9 * 1024 * 1024, i);
      files[`in/f${i}.bin`] = data;
      // One file's digest is wrong: its slice fails the run at that file's end.
      files[`in/f${i}.bin.md5`] = i === 4 ? '0'.repeat(32) : md5(data);
    }
    await area.write(files);
    await job('slices', md5Checked, { ...binaryOut, 'toJobConfig.writeToTempFile': 'true' }, { 'throttlingConfig.numExtractors': '3' });
    const s = await c.run('slices');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('f4.bin');
    // The other slices clean up as they learn of the failure (their next report, or a continuation
    // arriving late). Slices that finished before it committed their files; nothing else is left.
    const clean = (keys: string[]) => keys.every((k) => /^f\d\.bin$/.test(k) && k !== 'f4.bin');
    // (A listing that changes while it is read is read again.)
    const keys = () => area.tree('out').then(Object.keys, () => ['(changing)']);
    const left = await waitFor('the other slices to clean up', keys, clean, 30_000);
    expect(clean(left)).toBe(true);
  });
});
