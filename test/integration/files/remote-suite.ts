// One suite for the file-server connectors (ftp-connector, sftp-connector), run by each
// one's test file against its real server: binary trees both ways byte for byte, CSV to
// CSV, duplicates, writeToTempFile, a missing directory, and the staged-part contract.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileStore } from '../../../lib/connectors/files/file-store';
import { startApi, type Api } from '../../support/embedded';
import { bytes, cluster, counters, link, md5, treeMd5, writeTree } from './file-harness';

export interface RemoteServer {
  /** CDM connector name. */
  readonly connector: string;
  /** A link's inputs for the server's test user. */
  linkInputs(): Record<string, string>;
  /** The local directory behind server path `path(dir)`, for writing and checking files. */
  local(dir: string): string;
  /** How a job names the server directory behind `local(dir)`. */
  path(dir: string): string;
  /** How messages name that server path. */
  url(dir: string): string;
  /** Makes files the test wrote under `local` usable by the server's user. */
  own(): void;
  /** The connector's store, opened directly. */
  store(): FileStore;
}

const NAS = 'nas-connector';
let testNo = 0;

export function remoteFileSuite(server: () => RemoteServer): void {
  let api: Api | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  /** A cluster with a link `remote` to the server and `disk` to a fresh local directory; `dir` is this test's own directory on the server. */
  async function setUp() {
    const s = server();
    api = await startApi();
    const c = await cluster(api);
    const disk = mkdtempSync(join(tmpdir(), 'ferry-remote-nas-'));
    await c.links(link('remote', s.connector, s.linkInputs()), link('disk', NAS, { 'linkConfig.rootDirectory': disk }));
    const dir = `t${++testNo}-${process.pid}`;
    mkdirSync(s.local(dir), { recursive: true });
    s.own();
    return { s, c, disk, dir, remote: ['remote', s.connector] as [string, string], nas: ['disk', NAS] as [string, string] };
  }

  const binaryIn = (path: string, extra: Record<string, string> = {}) => ({
    'fromJobConfig.inputDirectory': path,
    'fromJobConfig.inputFormat': 'BINARY_FILE',
    ...extra,
  });
  const binaryOut = (path: string, extra: Record<string, string> = {}) => ({
    'toJobConfig.outputDirectory': path,
    'toJobConfig.outputFormat': 'BINARY_FILE',
    ...extra,
  });
  /** Visible files of a local directory (Ferry's hidden temp and checkpoint names start with a dot). */
  const visible = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : []);

  describe('binary copies', () => {
    it('copies a tree from the server and back byte for byte, a file larger than one part included', async () => {
      const { s, c, disk, dir, remote, nas } = await setUp();
      const files = {
        'a.bin': bytes(1000, 1),
        'empty.dat': Buffer.alloc(0),
        'sub/deeper/big.bin': bytes(9 * 1024 * 1024 + 17, 2),
        'sub/ünïcödé 😀.txt': Buffer.from('hello'),
      };
      writeTree(s.local(`${dir}/in`), files);
      s.own();
      await c.job('down', { from: remote, to: nas, fromInputs: binaryIn(s.path(`${dir}/in`)), toInputs: binaryOut('/down') });
      const down = await c.run('down');
      expect(down.status, down['error-summary']).toBe('SUCCEEDED');
      expect(treeMd5(join(disk, 'down'))).toEqual(treeMd5(s.local(`${dir}/in`)));
      const total = Object.values(files).reduce((n, b) => n + b.length, 0);
      expect(counters(down)).toMatchObject({ FILES_READ: 4, FILES_WRITTEN: 4, TOTAL_FILES: 4, TOTAL_SIZE: total, BYTES_WRITTEN: total });

      await c.job('up', { from: nas, to: remote, fromInputs: binaryIn('/down'), toInputs: binaryOut(s.path(`${dir}/up`)) });
      const up = await c.run('up');
      expect(up.status, up['error-summary']).toBe('SUCCEEDED');
      // No temp file or checkpoint left behind on the server.
      expect(treeMd5(s.local(`${dir}/up`))).toEqual(treeMd5(s.local(`${dir}/in`)));
    });

    it.each([
      ['REPLACE', 'new', { FILES_WRITTEN: 2, FILES_SKIPPED: 0 }],
      ['SKIP', 'old', { FILES_WRITTEN: 1, FILES_SKIPPED: 1 }],
    ])('duplicateFileOpType %s with a same-name, same-size file on the server', async (op, kept, expected) => {
      const { s, c, disk, dir, remote, nas } = await setUp();
      writeTree(join(disk, 'in'), { 'same.txt': 'new', 'fresh.txt': 'fresh' });
      writeTree(s.local(`${dir}/out`), { 'same.txt': 'old' });
      s.own();
      await c.job('dup', {
        from: nas,
        to: remote,
        fromInputs: binaryIn('/in'),
        toInputs: binaryOut(s.path(`${dir}/out`), { 'toJobConfig.duplicateFileOpType': op }),
      });
      const r = await c.run('dup');
      expect(r.status, r['error-summary']).toBe('SUCCEEDED');
      expect(readFileSync(s.local(`${dir}/out/same.txt`), 'utf8')).toBe(kept);
      expect(readFileSync(s.local(`${dir}/out/fresh.txt`), 'utf8')).toBe('fresh');
      expect(counters(r)).toMatchObject(expected);
    });

    it.each([
      ['true', []],
      ['false', ['a.bin']],
    ])('writeToTempFile=%s: a run failing after the first file was copied leaves %j visible on the server', async (temp, shown) => {
      const { s, c, disk, dir, remote, nas } = await setUp();
      // a.bin fills a whole chunk (8 MB), so it is written and checkpointed before b.bin fails its MD5 check.
      const a = bytes(8 * 1024 * 1024, 9);
      writeTree(join(disk, 'in'), { 'a.bin': a, 'a.bin.md5': md5(a), 'b.bin': 'bbb', 'b.bin.md5': '0'.repeat(32) });
      await c.job('tmp', {
        from: nas,
        to: remote,
        fromInputs: binaryIn('/in', { 'fromJobConfig.md5FileSuffix': '.md5' }),
        toInputs: binaryOut(s.path(`${dir}/out`), { 'toJobConfig.writeToTempFile': temp }),
      });
      const r = await c.run('tmp');
      expect(r.status).toBe('FAILED');
      expect(r['error-summary']).toContain('b.bin');
      expect(visible(s.local(`${dir}/out`))).toEqual(shown);
      // Nor is anything of the failed run's own left: no temp file, no checkpoint.
      expect(Object.keys(treeMd5(s.local(`${dir}/out`)))).toEqual(shown);
    });

    it('toJobConfig.validateMD5 is refused when the job is created: the server reports no MD5 to compare with', async () => {
      const { c, remote, nas } = await setUp();
      const err = await c.refusedJob('md5', { from: nas, to: remote, fromInputs: binaryIn('/in'), toInputs: binaryOut('/up', { 'toJobConfig.validateMD5': 'true' }) });
      expect(err.externalMessage).toContain('toJobConfig.validateMD5');
    });

    it.each(['true', 'false'])('files named as long as file systems allow (255 bytes) go to the server and back, writeToTempFile=%s', async (temp) => {
      const { s, c, disk, dir, remote, nas } = await setUp();
      const files = {
        [`${'L'.repeat(251)}.bin`]: bytes(3000, 12), // 255 bytes
        [`${'文'.repeat(83)}.txt`]: 'unicode', // 253 bytes
        [`sub/${'S'.repeat(250)}.big`]: bytes(9 * 1024 * 1024, 13), // more than a part: staged, not put whole
      };
      writeTree(join(disk, 'in'), files);
      await c.job('up', { from: nas, to: remote, fromInputs: binaryIn('/in'), toInputs: binaryOut(s.path(`${dir}/up`), { 'toJobConfig.writeToTempFile': temp }) });
      const up = await c.run('up');
      expect(up.status, up['error-summary']).toBe('SUCCEEDED');
      expect(treeMd5(s.local(`${dir}/up`))).toEqual(treeMd5(join(disk, 'in')));
      s.own();
      await c.job('down', { from: remote, to: nas, fromInputs: binaryIn(s.path(`${dir}/up`)), toInputs: binaryOut('/down', { 'toJobConfig.writeToTempFile': temp }) });
      const down = await c.run('down');
      expect(down.status, down['error-summary']).toBe('SUCCEEDED');
      expect(treeMd5(join(disk, 'down'))).toEqual(treeMd5(join(disk, 'in')));
    });

    it('a missing input directory fails the run naming it', async () => {
      const { s, c, dir, remote, nas } = await setUp();
      await c.job('none', { from: remote, to: nas, fromInputs: binaryIn(s.path(`${dir}/nowhere`)), toInputs: binaryOut('/x') });
      const r = await c.run('none');
      expect(r.status).toBe('FAILED');
      expect(r['error-summary']).toContain(`Input path ${s.url(`${dir}/nowhere`)} does not exist.`);
    });
  });

  describe('CSV files', () => {
    it('CSV files on the server become CSV files on the server: fields, quotes, NULLs and the header kept', async () => {
      const { s, c, dir, remote } = await setUp();
      writeTree(s.local(`${dir}/in`), {
        '1.csv': 'id;name;note\r\n1;"semi;colon";\r\n2;"say ""hi""";""\r\n',
        '2.csv': 'id;name;note\n3;"multi\nline";汉字 😀\n',
      });
      s.own();
      await c.job('csv', {
        from: remote,
        to: remote,
        fromInputs: {
          'fromJobConfig.inputDirectory': s.path(`${dir}/in`),
          'fromJobConfig.inputFormat': 'CSV_FILE',
          'fromJobConfig.fieldSeparator': ';',
          'fromJobConfig.quoteChar': 'true',
          'fromJobConfig.firstRowAsHeader': 'true',
        },
        toInputs: {
          'toJobConfig.outputDirectory': s.path(`${dir}/out`),
          'toJobConfig.outputFormat': 'CSV_FILE',
          'toJobConfig.quoteChar': 'true',
          'toJobConfig.firstRowAsHeader': 'true',
          'toJobConfig.lineSeparator': '\\n',
          'toJobConfig.filePrefix': 'people',
        },
      });
      const r = await c.run('csv');
      expect(r.status, r['error-summary']).toBe('SUCCEEDED');
      expect(visible(s.local(`${dir}/out`))).toEqual(['people_00000.csv']);
      expect(readFileSync(s.local(`${dir}/out/people_00000.csv`), 'utf8')).toBe(
        '"id","name","note"\n"1","semi;colon",\n"2","say ""hi""",""\n"3","multi\nline","汉字 😀"\n',
      );
      expect(counters(r)).toMatchObject({ ROWS_READ: 3, ROWS_WRITTEN: 3, FILES_READ: 2, FILES_WRITTEN: 1 });
    });
  });

  it.each([
    ['its size now', 0],
    ['a size it has outgrown', -300_000],
    ['a size it has shrunk from', 300_000],
  ])('a file read with %s as its listed size delivers every byte it holds, and only those', async (_n, delta) => {
    const s = server();
    const dir = `t${++testNo}-${process.pid}`;
    mkdirSync(s.local(dir), { recursive: true });
    const content = bytes(700_000, 7);
    writeFileSync(s.local(`${dir}/f.bin`), content);
    s.own();
    const store = s.store();
    try {
      const chunks: Buffer[] = [];
      for await (const c of await store.read(`${s.path(dir).slice(1)}/f.bin`, 1000, content.length + delta)) chunks.push(c as Buffer);
      expect(md5(Buffer.concat(chunks))).toBe(md5(content.subarray(1000)));
    } finally {
      await store.close();
    }
  });

  describe('staged files', () => {
    async function staged(parts: [index: number, data: string][]) {
      const s = server();
      const dir = `t${++testNo}-${process.pid}`;
      mkdirSync(s.local(dir), { recursive: true });
      s.own();
      const store = s.store();
      try {
        let file = await store.begin(`${s.path(dir).slice(1)}/f.txt`);
        const offsets = new Map<number, number>();
        let end = 0;
        for (const [index, data] of parts) {
          const offset = offsets.get(index) ?? end;
          offsets.set(index, offset);
          file = await store.writePart(file, index, offset, Buffer.from(data));
          end = offset + data.length;
        }
        expect(visible(s.local(dir))).toEqual([]);
        await store.commit(file);
        await store.commit(file); // idempotent
        return { content: readFileSync(s.local(`${dir}/f.txt`), 'utf8'), left: readdirSync(s.local(dir)) };
      } finally {
        await store.close();
      }
    }

    it.each([
      ['in order', [[0, 'aaa'], [1, 'bbbb'], [2, 'cc']], 'aaabbbbcc'],
      ['the last part again, same bytes', [[0, 'aaa'], [1, 'bbbb'], [1, 'bbbb']], 'aaabbbb'],
      ['a part again, other bytes, shorter', [[0, 'aaa'], [1, 'bbbb'], [1, 'xy']], 'aaaxy'],
      ['a part again, other bytes, longer', [[0, 'aaa'], [1, 'bbbb'], [1, 'xyzxyz']], 'aaaxyzxyz'],
      ['the first part again, then the rest', [[0, 'aaa'], [1, 'bbbb'], [0, 'AAA'], [1, 'BBBB']], 'AAABBBB'],
    ] as [string, [number, string][], string][])('a part written %s: the committed file is the last bytes of every part', async (_n, parts, expected) => {
      const { content, left } = await staged(parts);
      expect(content).toBe(expected);
      expect(left).toEqual(['f.txt']);
    });
  });
}
