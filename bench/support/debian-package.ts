// The peers a bench measures Ferry against are Debian packages (pgloader, rclone): found on
// the PATH, or installed with apt-get when missing, or the reason they cannot run.
import { spawnSync } from 'node:child_process';

export const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;

/** `command`'s path, installing Debian's `pkg` when it is missing; otherwise why it cannot run. */
export function ensureDebianPackage(command: string, pkg: string, log: (line: string) => void): { path: string } | { missing: string } {
  const found = which(command);
  if (found) return { path: found };
  if (!which('apt-get')) return { missing: `${command} is not installed and there is no apt-get to install it` };
  log(`${command} is missing: apt-get install -y ${pkg} …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = spawnSync('apt-get', ['install', '-y', pkg], { encoding: 'utf8', env });
  if (install.status !== 0) {
    // A fresh machine may have no package lists yet.
    spawnSync('apt-get', ['update'], { encoding: 'utf8', env });
    install = spawnSync('apt-get', ['install', '-y', pkg], { encoding: 'utf8', env });
  }
  const path = which(command);
  if (path) return { path };
  const why = (install.stderr || install.stdout || install.error?.message || '').trim().split('\n').slice(-3).join(' / ');
  return { missing: `apt-get install -y ${pkg} failed (exit ${install.status}): ${why}` };
}
