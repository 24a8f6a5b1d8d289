// File jobs between directories of the local file system (nas-connector), driven
// through the CDM API on the embedded runtime.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../support/embedded';
import { bytes, cluster, counters, link, md5, treeMd5, writeTree } from './file-harness';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const NAS = 'nas-connector';

async function setUp() {
  api = await startApi();
  const root = mkdtempSync(join(tmpdir(), 'ferry-nas-'));
  const c = await cluster(api);
  await c.links(link('disk', NAS, { 'linkConfig.rootDirectory': root }));
  return { c, root, src: join(root, 'in'), dst: join(root, 'out') };
}

const binaryJob = (extra: { from?: Record<string, string>; to?: Record<string, string> } = {}) => ({
  from: ['disk', NAS] as [string, string],
  to: ['disk', NAS] as [string, string],
  fromInputs: { 'fromJobConfig.inputDirectory': '/in', 'fromJobConfig.inputFormat': 'BINARY_FILE', ...extra.from },
  toInputs: { 'toJobConfig.outputDirectory': '/out', 'toJobConfig.outputFormat': 'BINARY_FILE', ...extra.to },
});

describe('binary copies between directories', () => {
  it('copies a tree byte for byte, empty and multi-piece files included, with exact file counters', async () => {
    const { c, src, dst } = await setUp();
    const files = {
      'a.bin': bytes(1000, 1),
      'empty.dat': Buffer.alloc(0),
      'sub/deeper/big.bin': bytes(9 * 1024 * 1024 + 17, 2),
      'sub/ünïcödé 😀.txt': Buffer.from('hello'),
    };
    writeTree(src, files);
    await c.job('copy', binaryJob());
    const s = await c.run('copy');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(treeMd5(dst)).toEqual(treeMd5(src));
    const total = Object.values(files).reduce((n, b) => n + b.length, 0);
    expect(counters(s)).toMatchObject({
      FILES_READ: 4,
      FILES_WRITTEN: 4,
      FILES_SKIPPED: 0,
      TOTAL_FILES: 4,
      TOTAL_SIZE: total,
      BYTES_READ: total,
      BYTES_WRITTEN: total,
      ROWS_READ: -1,
      ROWS_WRITTEN: -1,
    });
  });
});
