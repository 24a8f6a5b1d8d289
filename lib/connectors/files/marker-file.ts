// useMarkerFile: a source directory is ready only once its producer has written the
// marker file (`markerFile`, e.g. `ok.txt`) into it. The read starts when the marker is in
// every input directory, waiting up to `waitTime` seconds for it; the marker itself is
// never migrated. Every opening of the source checks again (planning, each partition,
// each continuation), so the marker must stay until the run ends.
import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';
import { joinPath, normalizePath, type FileStore } from './file-store';

const POLL_MS = 500;

/** At job creation: a marker needs its name. */
export function checkMarkerFile(from: InputMap): void {
  if (from['fromJobConfig.useMarkerFile'] !== 'true') return;
  if (!from['fromJobConfig.markerFile']?.trim()) throw errors.invalidParameter('fromJobConfig.useMarkerFile true needs fromJobConfig.markerFile (e.g. ok.txt).');
}

/** The marker's path in each input directory; none when the job uses no marker. */
export function markerPaths(from: InputMap): string[] {
  if (from['fromJobConfig.useMarkerFile'] !== 'true') return [];
  const marker = from['fromJobConfig.markerFile']!;
  return from['fromJobConfig.inputDirectory']!
    .split(from['fromJobConfig.fileSeparator'] || '|')
    .map((root) => joinPath(normalizePath(root), marker));
}

/** Resolves once every marker exists; throws naming the first missing one when waitTime runs out. */
export async function awaitMarkers(store: FileStore, from: InputMap): Promise<void> {
  const paths = markerPaths(from);
  if (!paths.length) return;
  const waitMs = Number(from['fromJobConfig.waitTime'] || 0) * 1000;
  const deadline = Date.now() + waitMs;
  let pending = paths;
  for (;;) {
    const found = await Promise.all(pending.map((p) => store.stat(p)));
    pending = pending.filter((_p, i) => !found[i]);
    if (!pending.length) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw errors.extractFailed(
        `Marker file ${store.describe(pending[0]!)} did not appear within fromJobConfig.waitTime (${waitMs / 1000} s); nothing was read.`,
      );
    }
    await sleep(Math.min(POLL_MS, left));
  }
}
