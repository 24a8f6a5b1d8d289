// An SFTP server (SSH) as a FileStore, over one SSH connection and its SFTP channel
// (requests are multiplexed, so operations may overlap). Paths are absolute on the
// server. Staged files are hidden temp files beside their destination, written at part
// offsets (cut to the part's end, so a part written again replaces, never adds) and
// renamed over the destination with posix-rename@openssh.com where the server has it.
// Symbolic links in an input are followed (see walk).
import { createHash } from 'node:crypto';
import { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { Client, type SFTPWrapper, type Stats } from 'ssh2';
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';
import { dirName, isCheckpointFile, joinPath, putTempPathOf, tempPathOf, type FileInfo, type FileStore, type StagedFile } from '../files/file-store';

export interface SftpLink {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password?: string;
  readonly privateKey?: string;
  readonly passphrase?: string;
  /** `SHA256:…` as `ssh-keygen -lf` prints it; when set, any other host key is refused. */
  readonly hostKeyFingerprint?: string;
}

export function sftpLink(link: InputMap): SftpLink {
  return {
    host: (link['linkConfig.server'] ?? '').trim(),
    port: Number(link['linkConfig.port'] || 22),
    username: link['linkConfig.username'] ?? '',
    password: link['linkConfig.password'] || undefined,
    privateKey: link['linkConfig.privateKey'] || undefined,
    passphrase: link['linkConfig.passphrase'] || undefined,
    hostKeyFingerprint: link['linkConfig.hostKeyFingerprint']?.trim() || undefined,
  };
}

export interface SftpSession {
  readonly sftp: SFTPWrapper;
  close(): void;
}

/**
 * ssh2 writes every packet to the socket as it makes it (a request, a close, a window adjust),
 * and each write is a system call that on loopback also wakes the server: packets made in the
 * same tick go out in one write instead, as Node's HTTP does (cork, uncork on the next tick).
 * ssh2 keeps its socket in a private field; without one, writes go one by one as before.
 */
function coalesceWrites(sock: unknown): void {
  if (!(sock instanceof Socket)) return;
  const write = sock.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  sock.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
}

const READY_TIMEOUT_MS = 20_000;
/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7). */
const NO_SUCH_FILE = 2;
const isMissing = (e: unknown) => (e as { code?: unknown })?.code === NO_SUCH_FILE;

const fingerprint = (key: Buffer) => `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

/** Connects, authenticates and opens the SFTP channel; failures say which step went wrong. */
export async function connectSftp(link: SftpLink): Promise<SftpSession> {
  const where = `SFTP server ${link.host}:${link.port}`;
  if (!link.password && !link.privateKey) {
    throw errors.dbConnectFailed(`${where}: the link needs linkConfig.password or linkConfig.privateKey.`);
  }
  const client = new Client();
  let seenKey: string | undefined;
  try {
    await new Promise<void>((ok, fail) => {
      client.once('ready', ok).once('error', fail);
      client.connect({
        host: link.host,
        port: link.port,
        username: link.username,
        password: link.password,
        privateKey: link.privateKey,
        passphrase: link.passphrase,
        readyTimeout: READY_TIMEOUT_MS,
        hostVerifier: (key: Buffer) => {
          seenKey = fingerprint(key);
          return !link.hostKeyFingerprint || link.hostKeyFingerprint === seenKey;
        },
      });
    });
    const sftp = await new Promise<SFTPWrapper>((ok, fail) => client.sftp((e, s) => (e ? fail(e) : ok(s))));
    // A dropped connection after this point fails the operation in flight, not the process.
    client.on('error', () => undefined);
    // Without it Nagle holds each small read request until the last one's ACK, which the server
    // delays: reading 1 MiB files one after another took 51 ms a file, 20 ms with it.
    client.setNoDelay(true);
    coalesceWrites((client as unknown as { _sock?: unknown })._sock);
    return { sftp, close: () => client.end() };
  } catch (e) {
    // ssh2 may still report the connection's end (a handshake that timed out, then the far end
    // closing): with no listener that error would be uncaught and end the process.
    client.on('error', () => undefined);
    client.destroy();
    const level = (e as { level?: string }).level;
    const msg = (e as Error).message;
    if (link.hostKeyFingerprint && seenKey && seenKey !== link.hostKeyFingerprint) {
      throw errors.dbConnectFailed(`${where} presented host key ${seenKey}, not linkConfig.hostKeyFingerprint ${link.hostKeyFingerprint}.`, e);
    }
    if (level === 'client-authentication') {
      throw errors.dbConnectFailed(`${where} refused the login of user ${link.username}: wrong username, password or key (${msg}).`, e);
    }
    // ssh2 says "Cannot parse privateKey: …", "Encrypted private key detected, but no passphrase given", …
    if (/private ?key|passphrase/i.test(msg)) throw errors.dbConnectFailed(`${where}: linkConfig.privateKey cannot be used: ${msg}`, e);
    const code = (e as NodeJS.ErrnoException).code;
    throw errors.dbConnectFailed(`Cannot connect to ${where}: ${code && !msg.includes(code) ? `${code}, ` : ''}${msg}`, e);
  }
}

/** ssh2's callback API as promises. */
function call<T>(fn: (cb: (e: Error | null | undefined, v: T) => void) => void): Promise<T> {
  return new Promise((ok, fail) => fn((e, v) => (e ? fail(e) : ok(v))));
}

/** Bytes per write request (every server takes 32 KiB) and requests kept in flight. */
const WRITE_BYTES = 32 * 1024;
const WRITES_IN_FLIGHT = 16;
/**
 * Bytes per read request (OpenSSH's sftp-server answers up to 255 KiB; ssh2 splits a request a
 * server limits further) and requests kept in flight: 1 MiB per file being read. Every request
 * is a packet and a socket write on both sides, so few large ones cost least.
 */
const READ_BYTES = 252 * 1024;
const READS_IN_FLIGHT = 4;

/** Files up to this many bytes (from where reading starts) are read at once, into one buffer. */
const WHOLE_READ_BYTES = 2 * 1024 * 1024;

/**
 * The open file `handle` from `start` to its end as a stream, with READS_IN_FLIGHT requests
 * outstanding, delivered in order; the handle is closed when the stream ends or is destroyed.
 * Requests stop one byte past `listed` (the size it was listed with): a request answered in
 * full there says the file grew, and reading goes on to its end (the reader sees it is longer);
 * requests beyond a file's end would each cost a packet and a buffer for nothing. A small file
 * comes whole, as one chunk: all its requests at once, into one buffer the reader can keep.
 */
function readFrom(s: SFTPWrapper, handle: Buffer, start: number, listed = Infinity): Readable {
  /** Reads up to `len` bytes at `at` into `buf` at `off`: short only at the file's end. */
  const readInto = async (buf: Buffer, off: number, at: number, len: number): Promise<number> => {
    let got = 0;
    while (got < len) {
      const n = await call<number>((cb) => s.read(handle, buf, off + got, len - got, at + got, (e, bytes) => cb(e, bytes)));
      if (!n) break;
      got += n;
    }
    return got;
  };
  const readAt = async (at: number, len: number): Promise<Buffer> => {
    const buf = Buffer.allocUnsafe(len);
    const got = await readInto(buf, 0, at, len);
    return got === len ? buf : buf.subarray(0, got);
  };
  /** From `next` to one byte past `listed`, all at once: the bytes there are, up to that byte. */
  const readWhole = async (): Promise<Buffer> => {
    const buf = Buffer.allocUnsafe(listed - next + 1);
    const parts: Promise<number>[] = [];
    for (let off = 0; off < buf.length; off += READ_BYTES) parts.push(readInto(buf, off, next + off, Math.min(READ_BYTES, buf.length - off)));
    const got = await Promise.all(parts);
    // A short part is the file's end: nothing after it counts.
    const short = got.findIndex((n, i) => n < Math.min(READ_BYTES, buf.length - i * READ_BYTES));
    return short < 0 ? buf : buf.subarray(0, short * READ_BYTES + got[short]!);
  };
  const inFlight: { len: number; probe: boolean; data: Promise<Buffer> }[] = [];
  let next = start;
  listed = Math.max(listed, start);
  let whole = listed - start < WHOLE_READ_BYTES;
  let ended = false;
  let closed = false;
  const closeHandle = (cb: (e?: Error | null) => void) => {
    if (closed) return cb();
    closed = true;
    s.close(handle, () => cb());
  };
  /** A read of `len` bytes that asked past `listed` (`probe`) has delivered `data`. */
  const got = (stream: Readable, data: Buffer, len: number, probe: boolean) => {
    // Answered in full past where it was listed: it grew since, read on to its end.
    if (probe && data.length === len) listed = Infinity;
    // A short read is the file's end: nothing after it is delivered.
    if (data.length < len) {
      ended = true;
      inFlight.length = 0;
    }
    if (data.length) stream.push(data);
    if (ended) stream.push(null);
  };
  return new Readable({
    highWaterMark: READ_BYTES,
    read() {
      if (whole) {
        whole = false;
        const len = listed - next + 1;
        const read = readWhole();
        next += len;
        read.then(
          (data) => got(this, data, len, true),
          (e: Error) => this.destroy(e),
        );
        return;
      }
      while (!ended && inFlight.length < READS_IN_FLIGHT && next <= listed) {
        const len = Math.min(READ_BYTES, listed - next + 1);
        const r = readAt(next, len);
        r.catch(() => undefined); // seen in order below; one the stream no longer waits for must not go unhandled
        inFlight.push({ len, probe: next + len > listed, data: r });
        next += len;
      }
      const { len, probe, data: read } = inFlight.shift()!;
      read.then(
        (data) => got(this, data, len, probe),
        (e: Error) => this.destroy(e),
      );
    },
    destroy(e, cb) {
      closeHandle(() => cb(e));
    },
  }).once('end', () => closeHandle(() => undefined));
}

export function sftpStore(link: SftpLink): FileStore {
  const base = `sftp://${link.host}:${link.port}`;
  const full = (p: string) => `/${p}`;
  const show = (p: string) => `${base}/${p}`;

  let session: Promise<SftpSession> | undefined;
  /** The live session, reconnecting after the server or the network dropped the last one. */
  const open = () =>
    (session ??= connectSftp(link).then(
      (live) => {
        const current = session;
        live.sftp.once('close', () => session === current && (session = undefined));
        return live;
      },
      (e) => ((session = undefined), Promise.reject(e)),
    ));
  const sftp = async () => (await open()).sftp;

  const statOf = async (p: string): Promise<Stats | undefined> => {
    const s = await sftp();
    return call<Stats>((cb) => s.stat(full(p), cb)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
  };
  const info = (path: string, st: Stats): FileInfo => ({ path, size: st.size, mtime: st.mtime * 1000 });
  /** ssh2's errors say what the server refused ("Permission denied"), never on which path: a write's error names it. */
  const naming = (p: string) => (e: Error): never => {
    e.message = `${show(p)}: ${e.message}`;
    throw e;
  };

  async function mkdirs(dir: string): Promise<void> {
    const s = await sftp();
    let path = '';
    for (const part of dir.split('/').filter(Boolean)) {
      path = joinPath(path, part);
      const st = await statOf(path);
      if (st?.isDirectory()) continue;
      await call<void>((cb) => s.mkdir(full(path), cb)).catch(async (e) => {
        if (!(await statOf(path))?.isDirectory()) naming(path)(e); // made by someone else meanwhile is fine
      });
    }
  }

  /** Renames over an existing file: atomically with posix-rename, else by removing it first. */
  async function replace(from: string, to: string): Promise<void> {
    const s = await sftp();
    try {
      await call<void>((cb) => s.ext_openssh_rename(full(from), full(to), cb));
      return;
    } catch (e) {
      if (!/not support/i.test((e as Error).message)) naming(to)(e as Error);
    }
    await call<void>((cb) => s.unlink(full(to), cb)).catch((e) => (isMissing(e) ? undefined : naming(to)(e)));
    await call<void>((cb) => s.rename(full(from), full(to), cb)).catch(naming(to));
  }

  /** Writes `data` at `position` with several requests in flight, then cuts the file at its end. */
  async function writeAt(path: string, position: number, data: Buffer, flags: 'r+' | 'w'): Promise<void> {
    const s = await sftp();
    const handle = await call<Buffer>((cb) => s.open(full(path), flags, cb)).catch(naming(path));
    try {
      let next = 0;
      const worker = async () => {
        while (next < data.length) {
          const at = next;
          next += WRITE_BYTES;
          await call<void>((cb) => s.write(handle, data, at, Math.min(WRITE_BYTES, data.length - at), position + at, cb));
        }
      };
      await Promise.all(Array.from({ length: WRITES_IN_FLIGHT }, worker));
      // A file opened with 'w' started empty: only a rewritten one may reach past the part.
      if (flags === 'r+') {
        const end = position + data.length;
        const st = await call<Stats>((cb) => s.fstat(handle, cb));
        if (st.size > end) await call<void>((cb) => s.fsetstat(handle, { size: end } as never, cb));
      }
    } finally {
      await call<void>((cb) => s.close(handle, cb));
    }
  }

  /**
   * Writes a new file whole. Its directory is made only when the server says it is missing:
   * most files go where others already went, and asking first costs a round trip per level.
   */
  async function create(path: string, data: Buffer): Promise<void> {
    await writeAt(path, 0, data, 'w').catch(async (e) => {
      if (!isMissing(e)) throw e;
      await mkdirs(dirName(path));
      await writeAt(path, 0, data, 'w');
    });
  }

  /**
   * Links are followed, as on NAS (nas-store.ts; CDM has no option to keep them, nor a place for a
   * notice that one was passed over): readdir reports a link itself, so it is stat'ed through. A
   * link leading nowhere fails the run naming it. `real` holds the real paths of `dir` and the
   * directories above it: one seen again is a loop, not followed (its files are listed already).
   */
  async function* walk(dir: string, real: readonly string[]): AsyncGenerator<FileInfo> {
    const s = await sftp();
    const entries = await call<{ filename: string; attrs: Stats }[]>((cb) => s.readdir(full(dir), cb));
    for (const e of entries) {
      if (e.filename === '.' || e.filename === '..') continue;
      const path = joinPath(dir, e.filename);
      if (e.attrs.isDirectory()) {
        const r = `${real[real.length - 1]!.replace(/\/$/, '')}/${e.filename}`; // the server's root is `/`
        if (!real.includes(r)) yield* walk(path, [...real, r]);
      } else if (e.attrs.isFile()) yield info(path, e.attrs);
      else if (e.attrs.isSymbolicLink()) {
        const st = await call<Stats>((cb) => s.stat(full(path), cb)).catch(async (err: Error) => {
          const target = await call<string>((cb) => s.readlink(full(path), cb)).catch(() => '?');
          throw errors.extractFailed(`Input ${show(path)} is a symbolic link to ${target}, which cannot be read (${err.message}).`, err);
        });
        if (st.isDirectory()) {
          const r = await realPath(path);
          if (!real.includes(r)) yield* walk(path, [...real, r]);
        } else if (st.isFile()) yield info(path, st);
      }
      // Sockets, FIFOs and devices (linked or not) hold no bytes to copy.
    }
  }
  const realPath = async (p: string) => {
    const s = await sftp();
    return call<string>((cb) => s.realpath(full(p), cb));
  };

  return {
    label: `SFTP server ${link.host}:${link.port}`,
    describe: show,
    minPartBytes: 0,
    readsOverlap: true,
    async check() {
      await open();
    },
    async *list(path) {
      const st = await statOf(path);
      if (!st) throw errors.extractFailed(`Input path ${show(path)} does not exist.`);
      if (st.isDirectory()) yield* walk(path, [await realPath(path)]);
      else yield info(path, st);
    },
    async stat(path) {
      const st = await statOf(path);
      return st?.isFile() ? info(path, st) : undefined;
    },
    async read(path, start, listed): Promise<Readable> {
      const live = await open();
      // Opened here: a missing file or a refused permission fails the read, not mid-iteration.
      const handle = await call<Buffer>((cb) => live.sftp.open(full(path), 'r', cb));
      return readFrom(live.sftp, handle, start, listed);
    },
    async get(path) {
      const s = await sftp();
      return call<Buffer>((cb) => s.readFile(full(path), cb)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
    },
    async put(path, data) {
      // Write then rename: a checkpoint is never seen half-written.
      const tmp = putTempPathOf(path);
      await create(tmp, data);
      await replace(tmp, path);
    },
    async delete(path) {
      const s = await sftp();
      const unlink = (p: string) => call<void>((cb) => s.unlink(full(p), cb)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
      // With what a put of it cut off by a kill left.
      await Promise.all([unlink(path), unlink(putTempPathOf(path))]);
      // The checkpoint directory goes with its last file (rmdir refuses while others' runs use it).
      if (isCheckpointFile(path)) await call<void>((cb) => s.rmdir(full(dirName(path)), cb)).catch(() => undefined);
    },
    async prepareDirectory(dir) {
      await mkdirs(dir);
    },
    async begin(path, owner): Promise<StagedFile> {
      const temp = tempPathOf(path, owner);
      await create(temp, Buffer.alloc(0));
      return { path, state: { temp } };
    },
    async writePart(file, _index, offset, data) {
      await writeAt(file.state.temp as string, offset, data, 'r+');
      return file;
    },
    async commit(file) {
      const temp = file.state.temp as string;
      // Renamed already by an invocation that crashed before it could record that.
      if (!(await statOf(temp)) && (await statOf(file.path))) return;
      await replace(temp, file.path);
    },
    async abort(file) {
      const s = await sftp();
      await call<void>((cb) => s.unlink(full(file.state.temp as string), cb)).catch(() => undefined);
    },
    async close() {
      const open = session;
      session = undefined;
      (await open?.catch(() => undefined))?.close();
    },
  };
}
