// Two runs staging a file of the same name in one directory (the job started again while a
// stopped run's slice is still writing, or two jobs with one filePrefix): each stages apart,
// so one's discard or commit never removes or mixes into the other's. Real NAS directory.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openFileSink } from '../../../lib/connectors/files/file-sink';
import { nasStore } from '../../../lib/connectors/nas/nas-store';
import type { Checkpoint, RunKey, TableSchema } from '../../../lib/engine/types';

const root = mkdtempSync(join(tmpdir(), 'ferry-owners-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SCHEMA: TableSchema = { engine: 'test', columns: [{ name: 'line', type: 'string', nullable: false }], primaryKey: [] };
const TO = {
  'toJobConfig.outputDirectory': '/out',
  'toJobConfig.outputFormat': 'CSV_FILE',
  'toJobConfig.lineSeparator': '\\n',
  'toJobConfig.filePrefix': 'rows',
  'toJobConfig.writeToTempFile': 'true',
};
const run = (submissionId: number): RunKey => ({ project: 'p', cluster: 'c', job: 'j', submissionId, partition: 0 });
const cp = (n: number): Checkpoint => ({ position: { n }, rowsRead: n, rowsWritten: n, bytesRead: 0 });

it('a stopped run discarding its staged file leaves the next run’s staging of the same name whole', async () => {
  const store = nasStore(root);
  const old = await openFileSink(store, TO, run(1), SCHEMA);
  const next = await openFileSink(store, TO, run(2), SCHEMA);
  await old.write({ rows: [['old 1']], position: { n: 1 }, bytes: 0 }, cp(1));
  await next.write({ rows: [['new 1']], position: { n: 1 }, bytes: 0 }, cp(1));
  await old.write({ rows: [['old 2']], position: { n: 2 }, bytes: 0 }, cp(2));
  // The stopped run learns of its stop and takes back what it staged; the new one goes on.
  await old.discard!();
  await old.close();
  await next.write({ rows: [['new 2']], position: { n: 2 }, bytes: 0 }, cp(2));
  await next.seal!();
  await next.finish();
  await next.close();
  expect(readdirSync(join(root, 'out'))).toEqual(['rows_00000.csv']);
  expect(readFileSync(join(root, 'out', 'rows_00000.csv'), 'utf8')).toBe('new 1\nnew 2\n');
});
