// A real SFTP server for tests and benchmarks: Debian's OpenSSH sshd (installed with
// apt-get when missing; needs root), on a free loopback port, with its own config, host
// key and a throwaway local user (random name and password, removed on stop) whose files
// live under a temp root directory. Paths on this server are absolute, as on any SFTP server.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const SSHD = '/usr/sbin/sshd';

export interface TestSftp {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** An OpenSSH private key (no passphrase) the server also accepts for `username`. */
  readonly privateKey: string;
  /** A directory the user owns: put test files under it (and call `own()` after writing them). */
  readonly root: string;
  /** Hands everything under `root` to the SFTP user (files written by the test process belong to root). */
  own(): void;
  stop(): Promise<void>;
}

/** Installs OpenSSH's server when this machine has none (a fresh CI machine). */
export function ensureSshd(): void {
  if (existsSync(SSHD)) return;
  if (process.getuid?.() !== 0) throw new Error(`${SSHD} is missing; install openssh-server (needs root).`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another process may be installing at the same moment: wait for dpkg's lock.
  const install = () =>
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', 'openssh-server'], { env, stdio: 'pipe' });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { env, stdio: 'pipe' });
    install();
  }
}

/** Resolves once something on `port` greets with an SSH banner. */
async function sshBanner(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('data', (d) => {
      socket.destroy();
      ok(d.toString().startsWith('SSH-'));
    });
    socket.once('error', () => ok(false));
    socket.once('timeout', () => {
      socket.destroy();
      ok(false);
    });
  });
}

export async function startSftpServer(): Promise<TestSftp> {
  ensureSshd();
  const dir = mkdtempSync(join(tmpdir(), 'ferry-sshd-'));
  const root = mkdtempSync(join(tmpdir(), 'ferry-sftp-'));
  const username = `ferry${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  execFileSync('useradd', ['--no-create-home', '--home-dir', root, '--shell', '/usr/sbin/nologin', username], { stdio: 'pipe' });
  execFileSync('chpasswd', { input: `${username}:${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
  const { uid, gid } = userIds(username);
  chownSync(root, uid, gid);

  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'user_key')]);
  // sshd reads authorized keys as the user: the path must be open to it.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'keys'), { mode: 0o755 });
  writeFileSync(join(dir, 'keys', username), readFileSync(join(dir, 'user_key.pub')), { mode: 0o644 });
  // sshd's privilege separation directory (a fresh install may not have it yet).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'keys', '%u')}`,
      // The temp directories sit under world-writable /tmp, which StrictModes would refuse.
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin no',
      `AllowUsers ${username}`,
      'Subsystem sftp internal-sftp',
      'ForceCommand internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  chmodSync(config, 0o600);

  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));

  const cleanUp = () => {
    try {
      execFileSync('userdel', ['--force', username], { stdio: 'pipe' });
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  };

  for (let i = 0; !(await sshBanner(port)); i++) {
    if (exited || i >= 100) {
      child.kill();
      cleanUp();
      throw new Error(`sshd did not start on port ${port}: ${stderr.trim() || 'no answer'}`);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }

  return {
    host: '127.0.0.1',
    port,
    username,
    password,
    privateKey: readFileSync(join(dir, 'user_key'), 'utf8'),
    root,
    own() {
      const walk = (p: string) => {
        chownSync(p, uid, gid);
        for (const e of readdirSync(p, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(p, e.name));
          else lchownSync(join(p, e.name), uid, gid); // a symbolic link itself, never its target (it may lead nowhere)
        }
      };
      walk(root);
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((ok) => child.once('exit', ok));
        child.kill();
        await gone;
      }
      cleanUp();
    },
  };
}

function userIds(username: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, username]).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}
