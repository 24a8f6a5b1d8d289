// regexSeparator=true: each line of a text file is split by the capture groups of
// fromJobConfig.regex; a line the regex does not match is a malformed row.
import { afterEach, describe, expect, it } from 'vitest';
import { compileLineRegex, RegexLineParser } from '../../../lib/connectors/files/regex-format';
import { startApi, type Api } from '../../support/embedded';
import { cluster, counters } from './file-harness';
import { useStores } from './file-stores';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const kinds = useStores();
// Timestamp (one or two words), level, [thread], message.
const LOG = String.raw`^(\S+(?: \d\S*)?) (\w+) \[([^\]]*)\] ?(.*)$`;

async function setUp(kind: (typeof kinds)[number]) {
  api = await startApi();
  const c = await cluster(api);
  const area = await kind.area(c);
  const job = (name: string, from: Record<string, string>) => ({
    from: [area.linkName, kind.name] as [string, string],
    to: [area.linkName, kind.name] as [string, string],
    fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'CSV_FILE', 'fromJobConfig.regexSeparator': 'true', ...from }),
    toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.lineSeparator': '\\n', 'toJobConfig.firstRowAsHeader': 'true' }),
  });
  return { c, area, job };
}

describe.each(kinds)('$name', (kind) => {
  it('splits each line into the regex groups; the header line names the columns; blank lines are skipped', async () => {
    const { c, area, job } = await setUp(kind);
    await area.write({
      'in/app.log': [
        'when_ts level [thread] message',
        '2024-03-01 10:00:00 INFO [main] started, version 2',
        '',
        '2024-03-01 10:00:01 WARN [worker-1] disk "data" at 91%\r',
        '2024-03-01 10:00:02 DEBUG []',
      ].join('\n'),
    });
    await c.job('logs', job('logs', { 'fromJobConfig.regex': LOG, 'fromJobConfig.firstRowAsHeader': 'true' }));
    const s = await c.run('logs');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect((await area.read('out/logs_00000.csv')).toString('utf8')).toBe(
      [
        'when_ts,level,thread,message',
        '2024-03-01 10:00:00,INFO,main,"started, version 2"',
        '2024-03-01 10:00:01,WARN,worker-1,"disk ""data"" at 91%"',
        '2024-03-01 10:00:02,DEBUG,,',
        '',
      ].join('\n'),
    );
    expect(counters(s)).toMatchObject({ ROWS_READ: 3, ROWS_WRITTEN: 3 });
  });

  it('a line the regex does not match fails the run naming the file and line', async () => {
    const { c, area, job } = await setUp(kind);
    await area.write({ 'in/app.log': '2024-03-01 10:00:00 INFO [main] ok\n\nno brackets here\n' });
    await c.job('bad', job('bad', { 'fromJobConfig.regex': LOG }));
    const s = await c.run('bad');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Malformed CSV row in ${area.describe('in/app.log')} line 3: the line does not match fromJobConfig.regex`);
  });
});

describe('a bad regex is refused when the job is created', () => {
  it.each([
    [{ 'fromJobConfig.regex': '^(\\d+' }, 'fromJobConfig.regex is not a valid regular expression'],
    [{ 'fromJobConfig.regex': '^\\d+ \\w+$' }, 'fromJobConfig.regex has no capture group'],
    [{}, 'fromJobConfig.regexSeparator true needs fromJobConfig.regex'],
    [{ 'fromJobConfig.regex': '(.*)', 'fromJobConfig.inputFormat': 'JSON_FILE' }, 'fromJobConfig.regexSeparator applies to fromJobConfig.inputFormat CSV_FILE only'],
  ])('%j', async (from, message) => {
    const { c, job } = await setUp(kinds[0]!);
    const body = await c.refusedJob('bad', job('bad', from));
    expect(body.errCode).toBe('Cdm.0014');
    expect(body.externalMessage).toContain(message);
  });
});

describe('a regex matches characters, never halves of one', () => {
  const fieldsOf = (regex: string, text: string) => {
    const p = new RegexLineParser(compileLineRegex(regex), undefined, true);
    return [...p.push(text), ...p.end()].map((r) => r.error ?? r.fields);
  };

  it('. and {n} count characters as Java does: an emoji outside the BMP is one', () => {
    expect(fieldsOf('^(.{2})(.*)$', 'a😀b\n中😀x\n')).toEqual([
      ['a😀', 'b'],
      ['中😀', 'x'],
    ]);
    expect(fieldsOf('^([^,]),(.*)$', '😀,rest\n')).toEqual([['😀', 'rest']]);
  });

  it('a regex only valid by UTF-16 units (\\- outside a class) still reads, and a line it would split is malformed, not stored as U+FFFD', () => {
    expect(fieldsOf('^(\\w+)\\-(.*)$', 'ab-😀\n')).toEqual([['ab', '😀']]);
    expect(fieldsOf('^(.)(.*)\\-$', 'x😀-\n😀b-\n')).toEqual([['x', '😀'], 'fromJobConfig.regex splits a character of the line between groups']);
  });
});
