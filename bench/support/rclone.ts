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

/** The environment rclone runs in: these remotes' variables, no config file. */
export function rcloneEnv(remotes: Record<string, string>): NodeJS.ProcessEnv {
  // rclone's AWS SDK refuses AWS_CA_BUNDLE with its own HTTP transport ("unsupported
  // transport"); the bench's endpoints are plain HTTP and need no CA bundle.
  const { AWS_CA_BUNDLE: _ignored, ...inherited } = process.env;
  return { ...inherited, RCLONE_CONFIG: '/dev/null', ...remotes };
}

export interface RcloneRun extends TimedRun {
  /** Files copied, and how many of them the server copied itself. */
  files: number;
  serverSideCopies: number;
}

/** `rclone copy <from> <to> [flags…]` with the remotes in `env`. */
export async function rcloneCopy(path: string, from: string, to: string, env: Record<string, string>, flags: string[] = []): Promise<RcloneRun> {
  const run = await runTimed(path, ['copy', from, to, '-v', '--stats', '0', ...flags], rcloneEnv(env));
  // -v logs every file: `INFO  : a.bin: Copied (new)`, or `Copied (server-side copy)`.
  const copied = run.output.split('\n').filter((l) => / INFO {2}: .*: Copied \(/.test(l));
  return { ...run, files: copied.length, serverSideCopies: copied.filter((l) => l.endsWith('Copied (server-side copy)')).length };
}
