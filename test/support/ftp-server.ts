// A real FTP server for tests: ftp-srv, in-process on a free loopback port, serving a
// throwaway directory to one user. Paths on the server are absolute under that directory.
import { lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystem, FtpSrv } from 'ftp-srv';
import { freePort } from './free-port';

export const FTP_USER = 'ferry';
export const FTP_PASSWORD = 'ftp-secret';

export interface TestFtp {
  readonly host: string;
  readonly port: number;
  /** The server's `/`: put test files under it. */
  readonly root: string;
  stop(): Promise<void>;
}

// ftp-srv logs every command through bunyan; tests want quiet.
const quiet = { child: () => quiet, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };

export interface FtpServerOptions {
  /** Commands the server answers 502 (not implemented), as servers without them do: `['MDTM']`. */
  readonly blacklist?: string[];
  /**
   * Lists symbolic links as links (`lrwxrwxrwx … name -> target`), as vsftpd and ProFTPD do;
   * ftp-srv lists what they lead to. Either way SIZE, CWD and RETR follow them.
   */
  readonly listsLinks?: boolean;
}

type Listed = Stats & { name: string; target?: string };

/** ftp-srv's file system, listing directories with lstat: a link shows as one, with its target. */
class LinkListingFileSystem extends FileSystem {
  override async list(path = '.') {
    const dir = (this as unknown as { _resolvePath(p: string): { fsPath: string } })._resolvePath(path).fsPath;
    return readdirSync(dir).map((name) => {
      const st = lstatSync(join(dir, name)) as Listed;
      st.name = name;
      if (st.isSymbolicLink()) st.target = readlinkSync(join(dir, name));
      return st;
    });
  }
}

/** `ls -l` lines as vsftpd writes them: a link's type is `l`, and its name is followed by ` -> target`. */
function lsLine(st: Listed): string {
  const type = st.isSymbolicLink() ? 'l' : st.isDirectory() ? 'd' : '-';
  const name = st.target === undefined ? st.name : `${st.name} -> ${st.target}`;
  const at = st.mtime.toISOString();
  return `${type}rwxr-xr-x 1 ftp ftp ${String(st.size).padStart(12)} ${MONTHS[st.mtime.getUTCMonth()]} ${at.slice(8, 10)} ${at.slice(11, 16)} ${name}`;
}
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export async function startFtpServer(opts: FtpServerOptions = {}): Promise<TestFtp> {
  const root = mkdtempSync(join(tmpdir(), 'ferry-ftp-'));
  const port = await freePort();
  const server = new FtpSrv({
    url: `ftp://127.0.0.1:${port}`,
    pasv_url: '127.0.0.1',
    anonymous: false,
    log: quiet,
    blacklist: opts.blacklist ?? [],
    ...(opts.listsLinks ? { file_format: (st: Stats) => lsLine(st as Listed) } : {}),
  });
  server.on('login', ({ connection, username, password }, resolve, reject) => {
    if (username === FTP_USER && password === FTP_PASSWORD) {
      resolve(opts.listsLinks ? { root, fs: new LinkListingFileSystem(connection, { root, cwd: '/' }) } : { root });
    } else reject(new Error('Invalid username or password'));
  });
  await server.listen();
  return {
    host: '127.0.0.1',
    port,
    root,
    async stop() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
