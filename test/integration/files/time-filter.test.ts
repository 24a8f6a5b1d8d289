// filterType=TIME: a file job reads only the files modified in [startTime, endTime),
// times written yyyy-MM-dd HH:mm:ss in Ferry's zone (FERRY_TIMEZONE), date macros allowed.
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { cluster } from './file-harness';
import { useStores } from './file-stores';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const kinds = useStores();

async function setUp(kind: (typeof kinds)[number], timeZone = 'UTC') {
  api = await startApi({ settings: { timeZone } });
  const c = await cluster(api);
  const area = await kind.area(c);
  const copy = (name: string, from: Record<string, string>) =>
    c.job(name, {
      from: [area.linkName, kind.name],
      to: [area.linkName, kind.name],
      fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'BINARY_FILE', 'fromJobConfig.filterType': 'TIME', ...from }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
    });
  return { c, area, copy };
}

describe.each(kinds)('$name', (kind) => {
  it('startTime is inclusive and endTime exclusive, both read in FERRY_TIMEZONE (Asia/Shanghai, UTC+8)', async () => {
    const { c, area, copy } = await setUp(kind, 'Asia/Shanghai');
    const modified = {
      'in/before.bin': '2024-02-29T23:59:59Z',
      'in/at-start.bin': '2024-03-01T00:00:00Z',
      'in/sub/inside.bin': '2024-03-01T12:00:00Z',
      'in/at-end.bin': '2024-03-02T00:00:00Z',
    };
    await area.write(Object.fromEntries(Object.keys(modified).map((k) => [k, k])));
    for (const [k, at] of Object.entries(modified)) area.setModified(k, new Date(at));
    // 08:00 in Shanghai is 00:00 UTC.
    await copy('window', { 'fromJobConfig.startTime': '2024-03-01 08:00:00', 'fromJobConfig.endTime': '2024-03-02 08:00:00' });
    const s = await c.run('window');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(await area.tree('out')).sort()).toEqual(['at-start.bin', 'sub/inside.bin']);
  });

  it('a date macro in startTime selects the files modified since a day before the run', async () => {
    const { c, area, copy } = await setUp(kind);
    await area.write({ 'in/recent.bin': 'r', 'in/old.bin': 'o' });
    area.setModified('in/recent.bin', new Date(Date.now() - 2 * 3_600_000));
    area.setModified('in/old.bin', new Date(Date.now() - 3 * 86_400_000));
    await copy('macro', { 'fromJobConfig.startTime': '${dateformat(yyyy-MM-dd HH:mm:ss, -1, DAY)}' });
    const s = await c.run('macro');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(await area.tree('out'))).toEqual(['recent.bin']);
  });
});

describe('bad times', () => {
  it.each([
    [{ 'fromJobConfig.startTime': '2024-13-01 00:00:00' }, 'fromJobConfig.startTime must be a time written yyyy-MM-dd HH:mm:ss; got "2024-13-01 00:00:00"'],
    [{ 'fromJobConfig.endTime': '2024-03-01T00:00:00' }, 'fromJobConfig.endTime must be a time written yyyy-MM-dd HH:mm:ss'],
    [{}, 'fromJobConfig.filterType TIME needs fromJobConfig.startTime or fromJobConfig.endTime'],
    [{ 'fromJobConfig.startTime': '2024-03-02 00:00:00', 'fromJobConfig.endTime': '2024-03-01 00:00:00' }, 'must be before fromJobConfig.endTime'],
  ])('job create with %j is refused naming the input', async (from, message) => {
    const { c, area } = await setUp(kinds[0]!);
    const body = await c.refusedJob('bad', {
      from: [area.linkName, kinds[0]!.name],
      to: [area.linkName, kinds[0]!.name],
      fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'BINARY_FILE', 'fromJobConfig.filterType': 'TIME', ...from }),
      toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
    });
    expect(body.errCode).toBe('Cdm.0014');
    expect(body.externalMessage).toContain(message);
  });

  it('a macro that resolves to another format fails the run naming the input', async () => {
    const { c, area, copy } = await setUp(kinds[0]!);
    await area.write({ 'in/a.bin': 'a' });
    await copy('short', { 'fromJobConfig.startTime': '${dateformat(yyyy-MM-dd)}' });
    const s = await c.run('short');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toMatch(/fromJobConfig\.startTime must be a time written yyyy-MM-dd HH:mm:ss; got "\d{4}-\d\d-\d\d"/);
  });
});
