// A real FTP server for tests: ftp-srv, in-process on a free loopback port, serving a
// throwaway directory to one user. Paths on the server are absolute under that directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtpSrv } from 'ftp-srv';
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
}

export async function startFtpServer(opts: FtpServerOptions = {}): Promise<TestFtp> {
  const root = mkdtempSync(join(tmpdir(), 'ferry-ftp-'));
  const port = await freePort();
  const server = new FtpSrv({ url: `ftp://127.0.0.1:${port}`, pasv_url: '127.0.0.1', anonymous: false, log: quiet, blacklist: opts.blacklist ?? [] });
  server.on('login', ({ username, password }, resolve, reject) => {
    if (username === FTP_USER && password === FTP_PASSWORD) resolve({ root });
    else reject(new Error('Invalid username or password'));
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
