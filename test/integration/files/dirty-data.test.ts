// Dirty data (throttlingConfig.recordDirtyData): malformed records of a CSV or JSON file
// source are set aside as JSON lines in a directory on a file link instead of failing the
// run, counted exactly (DIRTY_RECORDS), up to maxErrorRecords per partition.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteLink } from '../../support/cdm-bodies';
import { startApi, type Api } from '../../support/embedded';
import { cluster, counters, type JobSides } from './file-harness';
import { useStores, type StoreArea } from './file-stores';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const kinds = useStores();

/** `n` lines `i,name i`, with the lines numbered in `bad` (1-based) replaced. */
function csv(n: number, bad: Record<number, string>): string {
  return Array.from({ length: n }, (_v, k) => bad[k + 1] ?? `${k + 1},name ${k + 1}`).join('\n') + '\n';
}

const BAD = { 10: 'x,y,z', 50: '"quoted"tail,50', 90: 'lonely' };

/** Every dirty record the job's runs left under /dirty, ordered by file and line. */
async function dirtyRecords(area: StoreArea) {
  const out: { source: string; line: number; reason: string; raw: string }[] = [];
  for (const rel of Object.keys(await area.tree('/dirty'))) {
    const text = (await area.read(`dirty/${rel}`)).toString('utf8');
    out.push(...text.trimEnd().split('\n').map((l) => JSON.parse(l)));
  }
  return out.sort((a, b) => a.source.localeCompare(b.source) || a.line - b.line);
}

/** Data lines of every CSV file the job wrote under /out. */
async function outputLines(area: StoreArea): Promise<string[]> {
  const lines: string[] = [];
  for (const rel of Object.keys(await area.tree('/out'))) lines.push(...(await area.read(`out/${rel}`)).toString('utf8').split('\n').filter(Boolean));
  return lines;
}

async function setUp(kind: (typeof kinds)[number], opts: Parameters<typeof startApi>[0] = {}) {
  api = await startApi(opts);
  const c = await cluster(api);
  const area = await kind.area(c);
  const bucket = area.to('/')['toJobConfig.bucketName'];
  const job = (from: Record<string, string>, driver: Record<string, string> = {}): JobSides => ({
    from: [area.linkName, kind.name],
    to: [area.linkName, kind.name],
    fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'CSV_FILE', 'fromJobConfig.quoteChar': 'true', ...from }),
    toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.lineSeparator': '\\n' }),
    driver: {
      'throttlingConfig.recordDirtyData': 'true',
      'throttlingConfig.writeToLink': area.linkName,
      'throttlingConfig.dirtyDataDirectory': '/dirty',
      ...(bucket ? { 'throttlingConfig.obsBucket': bucket } : {}),
      ...driver,
    },
  });
  return { c, area, job };
}

describe.each(kinds)('$name', (kind) => {
  it('3 malformed lines among 100: the run succeeds with 97 rows, and the 3 are dirty records naming file, line and reason', async () => {
    const { c, area, job } = await setUp(kind);
    await area.write({ 'in/a.csv': csv(100, BAD) });
    await c.job('dirty', job({}));
    const s = await c.run('dirty');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const written = await outputLines(area);
    expect(written).toHaveLength(97);
    expect(written).not.toContain('x,y,z');
    const file = area.describe('in/a.csv');
    expect(await dirtyRecords(area)).toEqual([
      { source: file, line: 10, reason: '3 fields, expected 2', raw: 'x,y,z' },
      { source: file, line: 50, reason: 'unexpected text after a closing quote: "tail,50"', raw: '"quoted"tail,50' },
      { source: file, line: 90, reason: '1 fields, expected 2', raw: 'lonely' },
    ]);
    expect(counters(s)).toMatchObject({ ROWS_READ: 100, ROWS_WRITTEN: 97, ROWS_WRITTEN_SKIPPED: 3, DIRTY_RECORDS: 3 });
  });

  it('one dirty record more than maxErrorRecords fails the run with Cdm.0936 naming the last bad file and line', async () => {
    const { c, area, job } = await setUp(kind);
    await area.write({ 'in/a.csv': csv(100, BAD) });
    await c.job('strict', job({}, { 'throttlingConfig.maxErrorRecords': '2' }));
    const s = await c.run('strict');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toBe(
      `Cdm.0936: Dirty-data limit reached (3 > maxErrorRecords 2): the last malformed record is ${area.describe('in/a.csv')} line 90 (1 fields, expected 2).`,
    );
  });

  it('a run handed over after every chunk sets each dirty record aside exactly once', async () => {
    // Every invocation has less time left than the margin: each commits one chunk (10,000
    // records) and hands over. The read-ahead has by then read the next chunk and written
    // its dirty file, which the continuation reads and writes again: it must replace, not add.
    const { c, area, job } = await setUp(kind, { invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    const text = csv(25_000, { 5_000: 'a,b,c', 15_000: '"open', 24_999: 'one' });
    await area.write({ 'in/big.csv': text });
    let continuations = 0;
    const send = api!.ferry.runtime.queue.send.bind(api!.ferry.runtime.queue);
    api!.ferry.runtime.queue.send = (m, o) => (m.reason === 'continue' && continuations++, send(m, o));
    await c.job('resumed', job({ 'fromJobConfig.quoteChar': 'false' }));
    const s = await c.run('resumed');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(continuations).toBeGreaterThanOrEqual(2);
    expect((await dirtyRecords(area)).map((r) => [r.line, r.raw])).toEqual([
      [5_000, 'a,b,c'],
      [15_000, '"open'],
      [24_999, 'one'],
    ]);
    expect(await outputLines(area)).toHaveLength(24_997);
    // Each continuation reads the file again up to its record: those bytes are counted once.
    const size = Buffer.byteLength(text);
    expect(counters(s)).toMatchObject({ ROWS_READ: 25_000, ROWS_WRITTEN: 24_997, DIRTY_RECORDS: 3, TOTAL_SIZE: size, BYTES_READ: size });
  });

  it('a gzipped CSV file handed over after every chunk counts each byte it reads once: BYTES_READ is its size', async () => {
    const { c, area, job } = await setUp(kind, { invocationTimeoutMs: 1_000, settings: { continueMarginMs: 5_000 } });
    // Hex digests hardly compress: the gzipped file still takes many reads.
    const gz = gzipSync(Array.from({ length: 30_000 }, (_v, k) => `${k},${createHash('md5').update(String(k)).digest('hex')}\n`).join(''));
    await area.write({ 'in/big.csv.gz': gz });
    let continuations = 0;
    const send = api!.ferry.runtime.queue.send.bind(api!.ferry.runtime.queue);
    api!.ferry.runtime.queue.send = (m, o) => (m.reason === 'continue' && continuations++, send(m, o));
    await c.job('gz', job({ 'fromJobConfig.fromCompression': 'GZIP' }));
    const s = await c.run('gz');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(continuations).toBeGreaterThanOrEqual(2);
    expect(await outputLines(area)).toHaveLength(30_000);
    expect(counters(s)).toMatchObject({ ROWS_READ: 30_000, ROWS_WRITTEN: 30_000, TOTAL_SIZE: gz.length, BYTES_READ: gz.length });
  });
});

describe('other formats and partitions (NAS)', () => {
  const nas = kinds.find((k) => k.name === 'nas-connector')!;

  it('malformed JSON lines and lines the regex does not match become dirty records too', async () => {
    const { c, area, job } = await setUp(nas);
    await area.write({
      'in/j/a.json': '{"id":1}\n{"id":2,\n[3]\n{"id":4}\n',
      'in/r/app.log': 'INFO one\nno level here!\nWARN two\n',
    });
    await c.job('json', { ...job({ 'fromJobConfig.inputFormat': 'JSON_FILE' }), fromInputs: area.from('/in/j', { 'fromJobConfig.inputFormat': 'JSON_FILE' }) });
    await c.job('regex', {
      ...job({}),
      fromInputs: area.from('/in/r', { 'fromJobConfig.inputFormat': 'CSV_FILE', 'fromJobConfig.regexSeparator': 'true', 'fromJobConfig.regex': '^([A-Z]+) (\\w+)$' }),
    });
    const [js, rs] = [await c.run('json'), await c.run('regex')];
    expect(js.status, js['error-summary']).toBe('SUCCEEDED');
    expect(rs.status, rs['error-summary']).toBe('SUCCEEDED');
    expect(counters(js)).toMatchObject({ ROWS_WRITTEN: 2, DIRTY_RECORDS: 2 });
    expect(counters(rs)).toMatchObject({ ROWS_WRITTEN: 2, DIRTY_RECORDS: 1 });
    const dirty = await dirtyRecords(area);
    expect(dirty.map((r) => [r.source, r.line, r.raw])).toEqual([
      [area.describe('in/j/a.json'), 2, '{"id":2,'],
      [area.describe('in/j/a.json'), 3, '[3]'],
      [area.describe('in/r/app.log'), 2, 'no level here!'],
    ]);
    expect(dirty[1]!.reason).toBe('the line is not a JSON object');
    expect(dirty[2]!.reason).toBe('the line does not match fromJobConfig.regex');
  });

  it('a JSON record with a field the first record lacks is set aside whole, its numbers as written, not loaded without the field', async () => {
    const { c, area, job } = await setUp(nas);
    await area.write({
      'in/l/a.json': '{"id":1,"n":"a"}\n{"id":2,"N":"b"}\n{"id":3}\n',
      'in/d/a.json': '{"data":[{"id":1},{"id":2,"big":12345678901234567890.50,"o":{"k":[true,null,"x"]}}]}',
    });
    await c.job('lines', { ...job({}), fromInputs: area.from('/in/l', { 'fromJobConfig.inputFormat': 'JSON_FILE' }) });
    await c.job('doc', { ...job({}), fromInputs: area.from('/in/d', { 'fromJobConfig.inputFormat': 'JSON_FILE', 'fromJobConfig.jsonReferenceNode': 'data' }) });
    const lines = await c.run('lines');
    expect(lines.status, lines['error-summary']).toBe('SUCCEEDED');
    expect(counters(lines)).toMatchObject({ ROWS_WRITTEN: 2, DIRTY_RECORDS: 1 });
    expect((await outputLines(area)).sort()).toEqual(['1,a', '3,']);
    const doc = await c.run('doc');
    expect(doc.status, doc['error-summary']).toBe('SUCCEEDED');
    expect(counters(doc)).toMatchObject({ ROWS_WRITTEN: 1, DIRTY_RECORDS: 1 });
    expect((await dirtyRecords(area)).map((r) => [r.source, r.line, r.reason, r.raw])).toEqual([
      [area.describe('in/d/a.json'), 1, 'field "big" is not one of the first record\'s ("id")', '{"id":2,"big":12345678901234567890.50,"o":{"k":[true,null,"x"]}}'],
      [area.describe('in/l/a.json'), 2, 'field "N" is not one of the first record\'s ("id", "n")', '{"id":2,"N":"b"}'],
    ]);
  });

  it('numExtractors=2: each partition sets its own records aside and DIRTY_RECORDS is their exact sum', async () => {
    const { c, area, job } = await setUp(nas, { concurrency: 2 });
    await area.write({ 'in/a.csv': csv(100, BAD), 'in/b.csv': csv(50, { 7: '1,2,3,4' }) });
    // The limit is per partition (CDM: "per shard"): 3 and 1 both stay within 3.
    await c.job('split', job({}, { 'throttlingConfig.numExtractors': '2', 'throttlingConfig.maxErrorRecords': '3' }));
    const s = await c.run('split');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(s.partitions).toHaveLength(2);
    expect((await dirtyRecords(area)).map((r) => [r.source, r.line])).toEqual([
      [area.describe('in/a.csv'), 10],
      [area.describe('in/a.csv'), 50],
      [area.describe('in/a.csv'), 90],
      [area.describe('in/b.csv'), 7],
    ]);
    expect(counters(s)).toMatchObject({ ROWS_WRITTEN: 146, ROWS_WRITTEN_SKIPPED: 4, DIRTY_RECORDS: 4 });
  });

  it('without recordDirtyData the first malformed line still fails the run naming file and line, and no counter is added', async () => {
    const { c, area, job } = await setUp(nas);
    await area.write({ 'in/a.csv': csv(100, BAD) });
    await c.job('plain', { ...job({}), driver: {} });
    const s = await c.run('plain');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Malformed CSV row in ${area.describe('in/a.csv')} line 10: 3 fields, expected 2`);
    expect(counters(s)).not.toHaveProperty('DIRTY_RECORDS');
  });
});

describe('job create refuses dirty-data settings that cannot work, naming the input', () => {
  const nas = kinds.find((k) => k.name === 'nas-connector')!;
  const obs = kinds.find((k) => k.name === 'obs-connector')!;

  it.each([
    [{ 'throttlingConfig.writeToLink': '' }, 'throttlingConfig.recordDirtyData true needs throttlingConfig.writeToLink'],
    [{ 'throttlingConfig.dirtyDataDirectory': '' }, 'throttlingConfig.recordDirtyData true needs throttlingConfig.dirtyDataDirectory'],
    [{ 'throttlingConfig.writeToLink': 'nowhere' }, 'throttlingConfig.writeToLink names link nowhere, which does not exist in this cluster'],
    [{ 'throttlingConfig.writeToLink': 'db' }, 'throttlingConfig.writeToLink names link db, a generic-jdbc-connector link; dirty data is written to a file link'],
    [{ 'throttlingConfig.maxErrorRecords': '-1' }, 'throttlingConfig.maxErrorRecords'],
  ])('%j', async (driver, message) => {
    const { c, area, job } = await setUp(nas);
    await c.links(sqliteLink('db', `${area.describe('x.db')}`));
    const err = await c.refusedJob('bad', job({}, driver));
    expect(err.errCode).toMatch(/^Cdm\./);
    expect(err.externalMessage).toContain(message);
  });

  it('an OBS link for dirty data needs throttlingConfig.obsBucket', async () => {
    const { c, area, job } = await setUp(obs);
    const err = await c.refusedJob('nobucket', job({}, { 'throttlingConfig.obsBucket': '' }));
    expect(err).toMatchObject({ errCode: 'Cdm.0014' });
    expect(err.externalMessage).toContain(`obs-connector link ${area.linkName}, which needs throttlingConfig.obsBucket`);
  });

  it('a BINARY_FILE source has no records to set aside: recordDirtyData is refused rather than ignored', async () => {
    const { c, job } = await setUp(nas);
    const err = await c.refusedJob('binary', { ...job({ 'fromJobConfig.inputFormat': 'BINARY_FILE', 'fromJobConfig.quoteChar': 'false' }), toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE' } });
    expect(err.externalMessage).toContain('throttlingConfig.recordDirtyData true applies to file sources read as CSV_FILE or JSON_FILE');
  });
});
