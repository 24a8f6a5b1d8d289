// duplicateFileOpType for CSV_FILE/JSON_FILE output, whose files are named by filePrefix and
// numbered: as for a binary copy, CDM's duplicate is a file of the same name and size at the
// destination. SKIP keeps it and drops the run's file, ABANDON fails the run, REPLACE writes.
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { cluster, counters } from './file-harness';
import { useStores, type StoreKind } from './file-stores';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});
const kinds = useStores();

const OUTPUT = '1,one\n2,two\n';
const SAME_SIZE = '9,nin\n9,nin\n';

async function runWith(kind: StoreKind, op: string, existing: string) {
  api = await startApi();
  const c = await cluster(api);
  const area = await kind.area(c);
  await area.write({ 'in/a.csv': OUTPUT, 'out/part_00000.csv': existing });
  await c.job('dup', {
    from: [area.linkName, kind.name],
    to: [area.linkName, kind.name],
    fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'CSV_FILE' }),
    toInputs: area.to('/out', {
      'toJobConfig.outputFormat': 'CSV_FILE',
      'toJobConfig.lineSeparator': '\\n',
      'toJobConfig.filePrefix': 'part',
      'toJobConfig.duplicateFileOpType': op,
    }),
  });
  const s = await c.run('dup');
  return { s, out: (await area.read('out/part_00000.csv')).toString(), left: Object.keys(await area.tree('out')) };
}

describe.each(kinds)('$name', (kind) => {
  it('SKIP keeps a same-name, same-size file and counts the run\'s file skipped', async () => {
    const { s, out, left } = await runWith(kind, 'SKIP', SAME_SIZE);
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(out).toBe(SAME_SIZE);
    expect(left).toEqual(['part_00000.csv']);
    expect(counters(s)).toMatchObject({ FILES_SKIPPED: 1, FILES_WRITTEN: 0, BYTES_WRITTEN: 0, ROWS_READ: 2 });
  });

  it('SKIP writes over a same-name file of another size: it is not a duplicate', async () => {
    const { s, out } = await runWith(kind, 'SKIP', 'old\n');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(out).toBe(OUTPUT);
    expect(counters(s)).toMatchObject({ FILES_SKIPPED: 0, FILES_WRITTEN: 1, BYTES_WRITTEN: OUTPUT.length });
  });

  it('ABANDON fails the run naming the file, which is kept, and leaves nothing of the run', async () => {
    const { s, out, left } = await runWith(kind, 'ABANDON', SAME_SIZE);
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('part_00000.csv already exists with the same size; toJobConfig.duplicateFileOpType is ABANDON.');
    expect(out).toBe(SAME_SIZE);
    expect(left).toEqual(['part_00000.csv']);
  });

  it('REPLACE writes over a same-name, same-size file', async () => {
    const { s, out } = await runWith(kind, 'REPLACE', SAME_SIZE);
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(out).toBe(OUTPUT);
  });
});
