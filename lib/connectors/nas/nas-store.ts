// A mounted file system (NAS, SFS, a local disk) as a FileStore: paths resolve under the
// link's root directory and may not climb out of it; staged files are hidden temp files
// beside their destination, written at part offsets and renamed into place. Symbolic links
// in an input are followed (see walk).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, opendir, readFile, readlink, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { errors } from '../../errors';
import { dirName, isCheckpointFile, joinPath, putTempPathOf, tempPathOf, type FileInfo, type FileStore, type StagedFile } from '../files/file-store';

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

export function nasStore(rootDirectory: string): FileStore {
  const root = resolve(rootDirectory || '/');
  const full = (p: string) => {
    if (p.split('/').includes('..')) throw errors.invalidParameter(`Path ${p} may not contain "..".`);
    return join(root, ...p.split('/').filter(Boolean));
  };
  const show = (p: string) => full(p);

  /**
   * Links are followed, as `cp -rL` or `rsync -L` would (CDM has no option to keep them, nor a place
   * for a notice that one was passed over): a linked file is listed under the link's name with
   * its target's size and time, a linked directory is walked. A link leading nowhere fails the
   * run naming it, as an unreadable file does. `real` holds the real paths of `dir` and the
   * directories above it: one seen again is a loop (a link to an ancestor), not followed, since
   * its files are already listed under that ancestor's path.
   */
  async function* walk(dir: string, rel: string, real: readonly string[]): AsyncGenerator<FileInfo> {
    for await (const entry of await opendir(dir)) {
      const path = joinPath(rel, entry.name);
      const at = join(dir, entry.name);
      if (entry.isDirectory()) {
        const r = join(real[real.length - 1]!, entry.name);
        if (!real.includes(r)) yield* walk(at, path, [...real, r]);
      } else if (entry.isFile()) {
        const s = await stat(at);
        yield { path, size: s.size, mtime: s.mtimeMs };
      } else if (entry.isSymbolicLink()) {
        const s = await stat(at).catch(async (e: NodeJS.ErrnoException) => {
          const target = await readlink(at).catch(() => '?');
          throw errors.extractFailed(`Input ${show(path)} is a symbolic link to ${target}, which cannot be read (${e.code ?? e.message}).`, e);
        });
        if (s.isDirectory()) {
          const r = await realpath(at);
          if (!real.includes(r)) yield* walk(at, path, [...real, r]);
        } else if (s.isFile()) yield { path, size: s.size, mtime: s.mtimeMs };
      }
      // Sockets, FIFOs and devices (linked or not) hold no bytes to copy; reading a FIFO would wait for a writer.
    }
  }

  return {
    label: `directory ${root}`,
    describe: show,
    minPartBytes: 0,
    statsAsListed: true,
    async check() {
      const s = await stat(root).catch(() => undefined);
      if (!s?.isDirectory()) throw errors.extractFailed(`The link's root directory ${root} does not exist or is not a directory.`);
    },
    async *list(path) {
      const s = await stat(full(path)).catch((e) => {
        if (isMissing(e)) throw errors.extractFailed(`Input path ${show(path)} does not exist.`);
        throw e;
      });
      if (s.isDirectory()) yield* walk(full(path), path, [await realpath(full(path))]);
      else yield { path, size: s.size, mtime: s.mtimeMs };
    },
    async stat(path) {
      const s = await stat(full(path)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
      return s?.isFile() ? { path, size: s.size, mtime: s.mtimeMs } : undefined;
    },
    async read(path, start): Promise<Readable> {
      const stream = createReadStream(full(path), { start });
      // Surface open errors (missing file, permissions) here rather than mid-iteration.
      await new Promise<void>((ok, fail) => stream.once('open', () => ok()).once('error', fail));
      return stream;
    },
    async get(path) {
      return readFile(full(path)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
    },
    async put(path, data) {
      // Write then rename: a checkpoint is never seen half-written.
      const target = full(path);
      await mkdir(dirname(target), { recursive: true });
      const tmp = full(putTempPathOf(path));
      await writeFile(tmp, data);
      await rename(tmp, target);
    },
    async delete(path) {
      // With what a put of it cut off by a kill left.
      await Promise.all([rm(full(path), { force: true }), rm(full(putTempPathOf(path)), { force: true })]);
      // The checkpoint directory goes with its last file (rmdir refuses while others' runs use it).
      if (isCheckpointFile(path)) await rmdir(full(dirName(path))).catch(() => undefined);
    },
    async prepareDirectory(dir) {
      await mkdir(full(dir), { recursive: true });
    },
    async begin(path, owner): Promise<StagedFile> {
      const temp = tempPathOf(path, owner);
      await mkdir(dirname(full(temp)), { recursive: true });
      await writeFile(full(temp), Buffer.alloc(0));
      return { path, state: { temp } };
    },
    async writePart(file, _index, offset, data) {
      const handle = await open(full(file.state.temp as string), 'r+');
      try {
        await handle.write(data, 0, data.length, offset);
      } finally {
        await handle.close();
      }
      return file;
    },
    async commit(file) {
      try {
        await rename(full(file.state.temp as string), full(file.path));
      } catch (e) {
        // Already renamed by an invocation that crashed before it could record that.
        if (isMissing(e) && (await stat(full(file.path)).catch(() => undefined))) return;
        throw e;
      }
    },
    async abort(file) {
      await rm(full(file.state.temp as string), { force: true });
    },
    async reportedMd5(path) {
      const hash = createHash('md5');
      try {
        for await (const chunk of createReadStream(full(path))) hash.update(chunk as Buffer);
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
      return hash.digest('hex');
    },
    async close() {},
  };
}
