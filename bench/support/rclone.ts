// rclone, the tool users pick to copy files and objects, as a peer of the files bench:
// installed from Debian's package when missing, configured through environment variables
// only (no config file is read or written), run under /usr/bin/time -v.
import { ensureDebianPackage } from './debian-package';
import { runTimed, type TimedRun } from './timed-process';

export const ensureRclone = (log: (line: string) => void) => ensureDebianPackage('rclone', 'rclone', log);

/** A remote as rclone's `RCLONE_CONFIG_<NAME>_<OPTION>` variables. */
export function remoteEnv(name: string, options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [`RCLONE_CONFIG_${name.toUpperCase()}_${k.toUpperCase()}`, v]));
}

/** An S3-protocol remote on a plain-HTTP endpoint (path-style), whose buckets already exist. */
export const s3Remote = (name: string, endpoint: string, accessKey: string, secretKey: string) =>
  remoteEnv(name, {
    type: 's3',
    provider: 'Other',
    endpoint,
    access_key_id: accessKey,
    secret_access_key: secretKey,
    region: 'us-east-1',
    force_path_style: 'true',
    no_check_bucket: 'true',
  });

export interface RcloneRun extends TimedRun {
  /** From rclone's final stats: files transferred, and how many of them the server copied itself. */
  files: number;
  serverSideCopies: number;
}

/** `rclone copy <from> <to> [flags…]` with the remotes in `env`. */
export async function rcloneCopy(path: string, from: string, to: string, env: Record<string, string>, flags: string[] = []): Promise<RcloneRun> {
  const run = await runTimed(path, ['copy', from, to, '-v', '--stats', '0', ...flags], {
    ...process.env,
    RCLONE_CONFIG: '/dev/null',
    ...env,
  });
  const count = (label: string) => Number(new RegExp(`^${label}:\\s+(\\d+) / \\d+,`, "m").exec(run.output)?.[1] ?? 0);
  return { ...run, files: count('Transferred'), serverSideCopies: count('Server Side Copies') };
}
