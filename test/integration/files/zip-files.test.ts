// fromCompression=ZIP: every entry of an archive is read as if it were a file — its
// records for CSV/JSON, the entry itself (at <archive>/<entry path>) for BINARY_FILE —
// streamed from the store by byte ranges, resumable inside an archive.
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { bytes, cluster, counters, md5 } from './file-harness';
import { useStores } from './file-stores';
import { zipArchive } from './zip-fixture';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const kinds = useStores();

async function setUp(kind: (typeof kinds)[number], opts: Parameters<typeof startApi>[0] = {}) {
  api = await startApi(opts);
  const c = await cluster(api);
  const area = await kind.area(c);
  /** A job copying the entries of /in's .zip archives (and its other files) byte for byte to /out. */
  const binaryJob = (name: string) =>
    c.job(name, {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/in', {
        'fromJobConfig.inputFormat': 'BINARY_FILE',
        'fromJobConfig.fromCompression': 'ZIP',
        'fromJobConfig.compressedFileSuffix': '.zip',
      }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
    });
  return { c, area, binaryJob };
}

describe.each(kinds)('$name', (kind) => {
  it('CSV entries of every archive are read as files: each header skipped, stored, deflated and streamed entries alike', async () => {
    const { c, area } = await setUp(kind);
    await area.write({
      'in/a.zip': zipArchive([
        { name: 'dir/', data: '' },
        { name: 'dir/one.csv', data: 'id,name\n1,one\n2,two\n', method: 'store' },
        { name: 'two.csv', data: 'id,name\n3,"three, quoted"\n', descriptor: true },
      ]),
      'in/b.zip': zipArchive([{ name: 'three.csv', data: 'id,name\r\n4,四\r\n' }]),
    });
    await c.job('zcsv', {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/in', {
        'fromJobConfig.inputFormat': 'CSV_FILE',
        'fromJobConfig.fromCompression': 'ZIP',
        'fromJobConfig.firstRowAsHeader': 'true',
        'fromJobConfig.quoteChar': 'true',
      }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.lineSeparator': '\\n', 'toJobConfig.firstRowAsHeader': 'true' }),
    });
    const s = await c.run('zcsv');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect((await area.read('out/zcsv_00000.csv')).toString('utf8')).toBe('id,name\n1,one\n2,two\n3,"three, quoted"\n4,四\n');
    expect(counters(s)).toMatchObject({ ROWS_READ: 4, ROWS_WRITTEN: 4, FILES_READ: 2, TOTAL_FILES: 2 });
  });

  it('BINARY_FILE writes each entry as a file under the archive name, byte for byte, across continuations', async () => {
    // Every invocation has less time left than the margin: each copies one chunk (8 MB at
    // most) and hands over, so reads resume inside an entry and between entries.
    const { c, area, binaryJob } = await setUp(kind, { invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const big = bytes(9 * 1024 * 1024 + 3, 21);
    const mid = bytes(3 * 1024 * 1024, 22);
    const tail = bytes(6 * 1024 * 1024, 23);
    await area.write({
      'in/arch.zip': zipArchive([
        { name: 'big.bin', data: big },
        { name: 'sub/mid.bin', data: mid, method: 'store' },
        { name: 'sub/empty', data: '' },
        { name: 'tail.bin', data: tail, descriptor: true },
      ]),
      'in/plain.bin': 'not an archive',
    });
    await binaryJob('zbin');
    let continuations = 0;
    const send = api!.ferry.runtime.queue.send.bind(api!.ferry.runtime.queue);
    api!.ferry.runtime.queue.send = (m, o) => (m.reason === 'continue' && continuations++, send(m, o));
    const s = await c.run('zbin');
    expect(continuations).toBeGreaterThanOrEqual(2);
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(await area.tree('out')).toEqual({
      'arch/big.bin': md5(big),
      'arch/sub/mid.bin': md5(mid),
      'arch/sub/empty': md5(Buffer.alloc(0)),
      'arch/tail.bin': md5(tail),
      'plain.bin': md5(Buffer.from('not an archive')),
    });
    expect(counters(s)).toMatchObject({ FILES_READ: 2, TOTAL_FILES: 2, FILES_WRITTEN: 5 });
  });

  it.each([
    [
      'an entry and a file beside the archive',
      { 'in/arch.zip': zipArchive([{ name: 'b.bin', data: 'entry' }]), 'in/arch/b.bin': 'beside' },
      (d: (p: string) => string) => `${d('in/arch.zip')} entry b.bin and ${d('in/arch/b.bin')}`,
    ],
    [
      'two entries of one archive',
      { 'in/arch.zip': zipArchive([{ name: 'b.bin', data: 'entry' }, { name: './b.bin', data: 'again' }]) },
      (d: (p: string) => string) => `${d('in/arch.zip')} entry b.bin and ${d('in/arch.zip')} entry ./b.bin`,
    ],
  ])('BINARY_FILE: %s landing on one name fail the run before anything is written, naming both', async (_what, files, both) => {
    const { c, area, binaryJob } = await setUp(kind);
    await area.write({ ...files, 'in/plain.bin': 'plain' });
    await binaryJob('zclash');
    const s = await c.run('zclash');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Cdm.0014: ${both(area.describe)} would both be written as arch/b.bin`);
    expect(await area.tree('out')).toEqual({});
  });
  it.each(['../evil.bin', 'sub/../../evil.bin', '..\\evil.bin', 'sub\\..\\..\\evil.bin'])(
    'BINARY_FILE: an entry named %s (outside the archive\'s directory, "\\" being a separator on Windows servers) fails the run before anything is written',
    async (name) => {
      const { c, area, binaryJob } = await setUp(kind);
      await area.write({ 'in/arch.zip': zipArchive([{ name: 'ok.bin', data: 'fine' }, { name, data: 'escaped' }]) });
      await binaryJob('zslip');
      const s = await c.run('zslip');
      expect(s.status).toBe('FAILED');
      expect(s['error-summary']).toContain(`${area.describe('in/arch.zip')} entry ${name} points outside the archive's directory; it was not copied.`);
      expect(await area.tree('out')).toEqual({});
    },
  );
});

describe('archives that cannot be read', () => {
  it.each(kinds)('$name: BINARY_FILE: an entry failing its CRC-32 check is never written, not even its last piece', async (kind) => {
    const { c, area, binaryJob } = await setUp(kind);
    const data = bytes(3 * 1024 * 1024, 31);
    const archive = zipArchive([{ name: 'good.bin', data: 'fine' }, { name: 'bad.bin', data, method: 'store' }]);
    // A byte of bad.bin's stored data: its size is right, only its CRC-32 tells.
    archive[archive.indexOf(data.subarray(0, 64)) + 1_000_000]! ^= 0x01;
    await area.write({ 'in/arch.zip': archive });
    await binaryJob('zcrc');
    const s = await c.run('zcrc');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Cannot read ${area.describe('in/arch.zip')} as a ZIP archive: entry bad.bin fails its CRC-32 check`);
    const out = await area.tree('out');
    expect(out['arch/bad.bin']).toBeUndefined();
  });

  it.each([
    ['an encrypted entry', zipArchive([{ name: 'secret.csv', data: 'a\n', encrypted: true }]), 'entry secret.csv is encrypted'],
    ['a file that is not an archive', Buffer.from('id\n1\n'), 'it is not a ZIP archive'],
    ['an end record counting fewer entries than its central directory holds', (() => {
      const z = zipArchive([{ name: 'x.csv', data: 'id\n1\n' }, { name: 'y.csv', data: 'id\n2\n' }]);
      z.writeUInt16LE(1, z.length - 22 + 8); // entries on this disk
      z.writeUInt16LE(1, z.length - 22 + 10); // entries in all
      return z;
    })(), 'its central directory holds 2 entries, its end record says 1'],
    ['a damaged entry', (() => {
      const z = zipArchive([{ name: 'x.csv', data: 'id\n1\n2\n', method: 'store' }]);
      z[30 + 'x.csv'.length]! ^= 0xff; // first data byte: the CRC no longer matches
      return z;
    })(), 'entry x.csv fails its CRC-32 check'],
  ])('%s fails the run naming the archive and why', async (_what, archive, why) => {
    const kind = kinds[0]!;
    const { c, area } = await setUp(kind);
    await area.write({ 'in/bad.zip': archive });
    await c.job('bad', {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'CSV_FILE', 'fromJobConfig.fromCompression': 'ZIP' }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'CSV_FILE' }),
    });
    const s = await c.run('bad');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Cannot read ${area.describe('in/bad.zip')} as a ZIP archive: ${why}`);
  });
});
