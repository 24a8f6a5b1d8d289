// An FTP server as a FileStore, over one control connection (basic-ftp runs one command
// at a time per client, so every operation takes its turn, and a read holds the connection
// until its stream ends). Paths are absolute on the server. Staged files are hidden temp
// files beside their destination, built by appending parts and renamed into place; FTP
// cannot overwrite in the middle of a file, so a part written again is checked against
// what is there and, if it differs, the temp file is rebuilt up to the part (see writePart).
// Symbolic links in an input are followed (see listDir).
import { Client, FTPError, type FileInfo as FtpEntry } from 'basic-ftp';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';
import { baseName, dirName, isCheckpointFile, joinPath, putTempPathOf, tempPathOf, type FileInfo, type FileStore, type StagedFile } from '../files/file-store';

export interface FtpLink {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

export function ftpLink(link: InputMap): FtpLink {
  return {
    host: (link['linkConfig.server'] ?? '').trim(),
    port: Number(link['linkConfig.port'] || 21),
    user: link['linkConfig.username'] ?? '',
    password: link['linkConfig.password'] ?? '',
  };
}

const TIMEOUT_MS = 30_000;
/** "File unavailable": not found, or not allowed (FTP does not tell them apart). */
const isUnavailable = (e: unknown) => e instanceof FTPError && e.code === 550;

/** Connects and logs in; failures say whether the server was unreachable or refused the login. */
export async function connectFtp(link: FtpLink): Promise<Client> {
  const client = new Client(TIMEOUT_MS);
  const where = `FTP server ${link.host}:${link.port}`;
  try {
    await client.access({ host: link.host, port: link.port, user: link.user, password: link.password });
    return client;
  } catch (e) {
    client.close();
    if (e instanceof FTPError && e.code === 530) {
      throw errors.dbConnectFailed(`${where} refused the login of user ${link.user}: wrong username or password (${e.message}).`, e);
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw errors.dbConnectFailed(`Cannot connect to ${where}: ${code ? `${code}, ` : ''}${(e as Error).message}`, e);
  }
}

/** Where truncate rebuilds a temp file before it takes the temp file's name (a name that fits, however long the temp file's). */
const rebuiltPathOf = (temp: string) => tempPathOf(temp);

/** Passes the first `n` bytes of a stream and drops the rest. */
function firstBytes(n: number): Transform {
  let left = n;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const keep = chunk.subarray(0, Math.max(0, Math.min(left, chunk.length)));
      left -= keep.length;
      done(null, keep.length ? keep : undefined);
    },
  });
}

/** Whether a link in `dir` to `target` (as the listing gives it) leads to `dir` itself or a directory above it. */
function isAncestorLink(dir: string, target: string): boolean {
  const parts: string[] = target.startsWith('/') ? [] : dir.split('/').filter(Boolean);
  for (const part of target.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  const to = parts.join('/');
  return to === '' || dir === to || dir.startsWith(`${to}/`);
}

export function ftpStore(link: FtpLink): FileStore {
  const base = `ftp://${link.host}:${link.port}`;
  const full = (p: string) => `/${p}`;
  const show = (p: string) => `${base}/${p}`;

  let client: Client | undefined;
  let turn: Promise<unknown> = Promise.resolve();
  /** Runs `fn` when the connection is free (connecting first if needed). */
  function exclusive<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const run = turn.then(async () => {
      if (!client || client.closed) client = await connectFtp(link);
      return fn(client);
    });
    turn = run.catch(() => undefined);
    return run;
  }

  /** The file's size, or undefined when there is none. */
  async function size(c: Client, p: string): Promise<number | undefined> {
    const answer = await c.send(`SIZE ${full(p)}`).catch((e) => (isUnavailable(e) ? undefined : Promise.reject(e)));
    if (!answer) return undefined;
    const n = /^213\s+(\d+)\s*$/.exec(answer.message)?.[1];
    if (n !== undefined) return Number(n);
    // A SIZE answer without a number (ftp-srv's for an empty file): the listing has it.
    const entry = (await c.list(full(dirName(p)))).find((e) => e.name === baseName(p));
    return entry?.isFile ? entry.size : undefined;
  }
  // A server without MDTM (or refusing it for a file) gives no time: NaN, never a made-up one (see FileInfo.mtime).
  const mtime = (c: Client, p: string) => c.lastMod(full(p)).then((d) => d.getTime(), () => NaN);

  async function download(c: Client, p: string, start = 0): Promise<Buffer> {
    const parts: Buffer[] = [];
    await c.downloadTo(new Writable({ write: (chunk: Buffer, _e, done) => (parts.push(chunk), done()) }), full(p), start);
    return Buffer.concat(parts);
  }

  /** Directories this store made or found, so a checkpoint save does not ask again. */
  const made = new Set<string>();
  /** Makes `dir` and its parents (MKD answers an error for ones that exist). */
  async function mkdirs(c: Client, dir: string): Promise<void> {
    let path = '';
    for (const part of dir.split('/').filter(Boolean)) {
      path = joinPath(path, part);
      if (made.has(path)) continue;
      await c.send(`MKD ${full(path)}`).catch(() => undefined);
      made.add(path);
    }
  }

  /** Renames over an existing file; servers that refuse to replace get it deleted first. */
  async function replace(c: Client, from: string, to: string): Promise<void> {
    try {
      await c.rename(full(from), full(to));
    } catch (e) {
      if (!isUnavailable(e) || (await size(c, to)) === undefined) throw e;
      await c.remove(full(to));
      await c.rename(full(from), full(to));
    }
  }

  async function write(c: Client, p: string, data: Buffer, append = false): Promise<void> {
    const source = Readable.from([data]);
    if (append) await c.appendFrom(source, full(p));
    else await c.uploadFrom(source, full(p));
  }

  /**
   * Replaces `temp` by its first `n` bytes: streamed through a second connection into a
   * sibling, which then takes its name (FTP can neither truncate nor write in place).
   */
  async function truncate(c: Client, temp: string, n: number): Promise<void> {
    const rebuilt = rebuiltPathOf(temp);
    const second = await connectFtp(link);
    try {
      const cut = firstBytes(n);
      // Both transfers end either way (a failed download still ends `cut`): wait for both.
      const [down, up] = await Promise.allSettled([second.downloadTo(cut, full(temp)), c.uploadFrom(cut, full(rebuilt))]);
      if (down.status === 'rejected') throw down.reason;
      if (up.status === 'rejected') throw up.reason;
    } finally {
      second.close();
    }
    if ((await size(c, rebuilt)) !== n) throw errors.writeFailed(`Rebuilding ${show(temp)} to its first ${n} bytes failed.`);
    await replace(c, rebuilt, temp);
  }

  /** A directory is what the server lets us change into. */
  const isDir = (c: Client, p: string) => c.cd(full(p)).then(() => true, (e) => (isUnavailable(e) ? false : Promise.reject(e)));

  /**
   * Links a server lists as links (vsftpd, ProFTPD; others list what they lead to) are followed,
   * as on NAS and SFTP (CDM has no option to keep them, nor a place for a notice that one was
   * passed over). A link leading nowhere fails the run naming it. A link to the directory being
   * listed or one above it is a loop, not followed (its files are listed already); FTP tells no
   * real paths, so a loop through other links ends when the server refuses a path that long.
   */
  async function listDir(c: Client, dir: string): Promise<{ files: FileInfo[]; dirs: string[] }> {
    const entries: FtpEntry[] = await c.list(full(dir));
    const files: FileInfo[] = [];
    const dirs: string[] = [];
    const file = async (path: string, size: number, entry?: FtpEntry) =>
      // Without MLSD the listing's dates are coarse: ask for the exact time (MDTM).
      files.push({ path, size, mtime: entry?.modifiedAt?.getTime() ?? (await mtime(c, path)) });
    for (const e of entries) {
      if (e.name === '.' || e.name === '..') continue;
      const path = joinPath(dir, e.name);
      if (e.isDirectory) dirs.push(path);
      else if (e.isFile) await file(path, e.size, e);
      else if (e.isSymbolicLink) {
        if (await isDir(c, path)) {
          if (!e.link || !isAncestorLink(dir, e.link)) dirs.push(path);
          continue;
        }
        const n = await size(c, path);
        if (n === undefined) throw errors.extractFailed(`Input ${show(path)} is a symbolic link to ${e.link || '?'}, which cannot be read.`);
        await file(path, n);
      }
    }
    return { files, dirs };
  }

  return {
    label: `FTP server ${link.host}:${link.port}`,
    describe: show,
    minPartBytes: 0,
    async check() {
      await exclusive(async () => undefined);
    },
    async *list(path) {
      // A directory is what the server lets us change into; else a file has a size.
      const kind = await exclusive(async (c) => {
        if (path === '') return 'dir';
        if (await isDir(c, path)) return 'dir';
        const n = await size(c, path);
        return n === undefined ? undefined : { path, size: n, mtime: await mtime(c, path) };
      });
      if (!kind) throw errors.extractFailed(`Input path ${show(path)} does not exist.`);
      if (kind !== 'dir') {
        yield kind;
        return;
      }
      // One listing per turn, never across a yield: the caller may use the store in between.
      const pending = [path];
      while (pending.length) {
        const { files, dirs } = await exclusive((c) => listDir(c, pending.pop()!));
        yield* files;
        pending.push(...dirs);
      }
    },
    async stat(path) {
      return exclusive(async (c) => {
        const n = await size(c, path);
        return n === undefined ? undefined : { path, size: n, mtime: await mtime(c, path) };
      });
    },
    async read(path, start) {
      const out = new PassThrough();
      const opened = new Promise<void>((ok, fail) => {
        void exclusive(async (c) => {
          if ((await size(c, path)) === undefined) throw errors.extractFailed(`${show(path)} does not exist.`);
          ok();
          // A reader that stops early leaves the transfer mid-way: only closing the
          // connection ends it (the next operation reconnects). Once the transfer has ended
          // (a small file sits whole in the stream's buffer) the connection is the next
          // operation's: closing it then would cut that one off.
          let transferring = true;
          out.once('close', () => transferring && c.close());
          await c.downloadTo(out, full(path), start).catch((e: Error) => out.destroyed || out.destroy(e));
          transferring = false;
        }).catch(fail);
      });
      await opened;
      return out;
    },
    async get(path) {
      // Ask first: servers answer RETR of a missing file in different ways (550, 551, a reset data connection).
      return exclusive(async (c) => ((await size(c, path)) === undefined ? undefined : download(c, path)));
    },
    async put(path, data) {
      // Write then rename: a checkpoint is never seen half-written.
      await exclusive(async (c) => {
        const tmp = putTempPathOf(path);
        await mkdirs(c, dirName(path));
        await write(c, tmp, data);
        await replace(c, tmp, path);
      });
    },
    async delete(path) {
      await exclusive(async (c) => {
        await c.remove(full(path), true);
        // With what a put of it cut off by a kill left.
        await c.remove(full(putTempPathOf(path)), true);
        // The checkpoint directory goes with its last file (RMD refuses while others' runs use it).
        if (isCheckpointFile(path)) {
          made.delete(dirName(path));
          await c.send(`RMD ${full(dirName(path))}`).catch(() => undefined);
        }
      });
    },
    async prepareDirectory(dir) {
      await exclusive((c) => mkdirs(c, dir));
    },
    async begin(path, owner): Promise<StagedFile> {
      const temp = tempPathOf(path, owner);
      await exclusive(async (c) => {
        await mkdirs(c, dirName(temp));
        await write(c, temp, Buffer.alloc(0));
      });
      return { path, state: { temp } };
    },
    /**
     * Appends the part when the temp file ends where it starts. A part written before (a
     * retried chunk) is kept when the bytes there are its own, completed when only its
     * start made it; anything else is cut off first, so the part replaces, never adds.
     */
    async writePart(file, index, offset, data) {
      const temp = file.state.temp as string;
      await exclusive(async (c) => {
        const have = await size(c, temp);
        if (have === undefined || have < offset) {
          throw errors.writeFailed(
            `${show(temp)} holds ${have ?? 'no'} bytes, but part ${index} starts at byte ${offset}: an earlier part is missing.`,
          );
        }
        if (offset === 0) return write(c, temp, data);
        if (have > offset) {
          const written = have <= offset + data.length ? await download(c, temp, offset) : undefined;
          if (written?.equals(data.subarray(0, written.length))) {
            if (written.length < data.length) await write(c, temp, data.subarray(written.length), true);
            return;
          }
          await truncate(c, temp, offset);
        }
        await write(c, temp, data, true);
      });
      return file;
    },
    async commit(file) {
      const temp = file.state.temp as string;
      await exclusive(async (c) => {
        // Renamed already by an invocation that crashed before it could record that.
        if ((await size(c, temp)) === undefined && (await size(c, file.path)) !== undefined) return;
        await replace(c, temp, file.path);
      });
    },
    async abort(file) {
      const temp = file.state.temp as string;
      await exclusive(async (c) => {
        await c.remove(full(temp), true);
        await c.remove(full(rebuiltPathOf(temp)), true);
      }).catch(() => undefined);
    },
    async close() {
      await turn;
      client?.close();
    },
  };
}
