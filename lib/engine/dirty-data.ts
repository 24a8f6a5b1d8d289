// throttlingConfig.recordDirtyData: records a run cannot use (a source's malformed rows;
// later, say, a relational sink's conflicting rows) go to files on a file link instead of
// failing the run, as JSON lines naming where each came from and why, up to
// maxErrorRecords per partition (CDM's "per shard"); one more fails the run (Cdm.0936).
//
// Exactly once without bookkeeping of its own: the dirty records of one chunk go to one
// file named after the run, the partition and the position the chunk starts at, and are
// written before the chunk's checkpoint commits. A retried chunk starts at the same
// position, so it rewrites that file instead of adding one; the running count travels in
// the source's position, so a resume never counts a record twice.
import { createHash } from 'node:crypto';
import type { Connector } from '../connectors/connector';
import { joinPath, normalizePath, type FileStore } from '../connectors/files/file-store';
import { connectorFor } from '../connectors/registry';
import { errors } from '../errors';
import { resolveLink } from '../links/links';
import type { InputMap } from '../model/config-values';
import type { Runtime } from '../runtime';
import type { DirtyRecord, Position, RecordBatch, RunKey, Source } from './types';

const RECORD = 'throttlingConfig.recordDirtyData';
const LINK = 'throttlingConfig.writeToLink';
const BUCKET = 'throttlingConfig.obsBucket';
const DIRECTORY = 'throttlingConfig.dirtyDataDirectory';
const MAX = 'throttlingConfig.maxErrorRecords';

/** CDM leaves the default undocumented; a cap keeps a wholly unreadable source from "succeeding". */
export const DEFAULT_MAX_ERROR_RECORDS = 10_000;

export interface DirtyDataSettings {
  /** The file link that receives the dirty data. */
  readonly link: string;
  readonly bucket?: string;
  /** Store path of the directory (normalised). */
  readonly directory: string;
  /** Per partition: one more dirty record than this fails the run. */
  readonly maxErrorRecords: number;
}

/** The job's dirty-data settings, or undefined when it does not record dirty data; names a missing input. */
export function dirtyDataSettings(driver: InputMap): DirtyDataSettings | undefined {
  if (driver[RECORD] !== 'true') return undefined;
  const need = (name: string, what: string) => {
    const v = driver[name]?.trim();
    if (!v) throw errors.invalidParameter(`${RECORD} true needs ${name}: ${what}.`);
    return v;
  };
  const link = need(LINK, 'the name of the file link (NAS, OBS, FTP, SFTP) that receives dirty data');
  const directory = normalizePath(need(DIRECTORY, 'the directory on that link for the dirty-data files'));
  if (directory.split('/').includes('..')) throw errors.invalidParameter(`${DIRECTORY} may not contain "..".`);
  const max = driver[MAX];
  return {
    link,
    bucket: driver[BUCKET]?.trim() || undefined,
    directory,
    maxErrorRecords: max === undefined || max === '' ? DEFAULT_MAX_ERROR_RECORDS : Number(max),
  };
}

/**
 * At job create and update: the settings are whole, the link exists in the cluster and is a
 * file link (with a bucket when it is an object store), and the job's source can set
 * malformed records aside at all — otherwise the setting would be silently ignored.
 */
export async function checkDirtyData(rt: Runtime, project: string, cluster: string, driver: InputMap, from: Connector, fromValues: InputMap): Promise<void> {
  const settings = dirtyDataSettings(driver);
  if (!settings) return;
  if (!from.readsDirtyData?.(fromValues)) {
    throw errors.invalidParameter(
      `${RECORD} true applies to file sources read as CSV_FILE or JSON_FILE, whose malformed records become dirty data; ` +
        `this job reads ${from.name}${fromValues['fromJobConfig.inputFormat'] ? ` as ${fromValues['fromJobConfig.inputFormat']}` : ''}.`,
    );
  }
  const link = await rt.store.links.get(project, cluster, settings.link);
  if (!link) throw errors.invalidParameter(`${LINK} names link ${settings.link}, which does not exist in this cluster.`);
  const files = connectorFor(link.connector).files;
  if (!files) throw errors.invalidParameter(`${LINK} names link ${settings.link}, a ${link.connector} link; dirty data is written to a file link (NAS, OBS, FTP, SFTP).`);
  if (files.needsBucket && !settings.bucket) throw errors.invalidParameter(`${LINK} names ${link.connector} link ${settings.link}, which needs ${BUCKET}: the bucket for dirty data.`);
}

/**
 * The run's source with its malformed records written to the dirty-data link, chunk by
 * chunk, as it yields them (so before the engine commits the chunk). Past the limit the
 * read fails with Cdm.0936 after that chunk's file is written, before the chunk commits.
 */
export function withDirtyData(rt: Runtime, run: RunKey, settings: DirtyDataSettings, source: Source): Source {
  let store: Promise<FileStore> | undefined;
  const open = async () => {
    const link = await resolveLink(rt, run.project, run.cluster, settings.link);
    const files = connectorFor(link.connector).files;
    if (!files) throw errors.invalidParameter(`${LINK} names link ${settings.link}, which is not a file link.`);
    const s = await files.open(link.inputs, settings.bucket);
    await s.prepareDirectory(runDirectory(settings, run));
    return s;
  };
  return {
    ...source,
    async *read(from, chunkRows, opts) {
      let start: Position | undefined = from;
      for await (const batch of source.read(from, chunkRows, opts)) {
        if (batch.dirty?.length) {
          store ??= open();
          await write(await store, settings, run, start, batch.dirty);
          checkLimit(settings, batch);
        }
        start = batch.position;
        yield batch;
      }
    },
    async close() {
      try {
        await source.close();
      } finally {
        // A store that failed to open has nothing to close.
        await store?.then((s) => s.close(), () => undefined);
      }
    },
  };
}

/** One run's dirty data: `<dirtyDataDirectory>/<job>/<submission id>/`. */
export function runDirectory(settings: DirtyDataSettings, run: RunKey): string {
  return joinPath(settings.directory, run.job, String(run.submissionId));
}

/** The file of the chunk starting at `start`: the same name every time that chunk is read. */
function chunkFile(settings: DirtyDataSettings, run: RunKey, start: Position | undefined): string {
  const at = createHash('sha256').update(JSON.stringify(start ?? {})).digest('hex').slice(0, 16);
  return joinPath(runDirectory(settings, run), `part-${run.partition}-${at}.jsonl`);
}

async function write(store: FileStore, settings: DirtyDataSettings, run: RunKey, start: Position | undefined, records: readonly DirtyRecord[]): Promise<void> {
  const text = records.map((r) => JSON.stringify({ source: r.source, line: r.line, reason: r.reason, raw: r.raw }) + '\n').join('');
  const path = chunkFile(settings, run, start);
  try {
    await store.put(path, Buffer.from(text, 'utf8'));
  } catch (e) {
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.writeFailed(`Writing dirty data to ${store.describe(path)} failed: ${(e as Error).message}`, e);
  }
}

function checkLimit(settings: DirtyDataSettings, batch: RecordBatch): void {
  const total = batch.dirtyTotal ?? 0;
  if (total <= settings.maxErrorRecords) return;
  const last = batch.dirty!.at(-1)!;
  throw errors.dirtyDataLimit(
    `Dirty-data limit reached (${total} > maxErrorRecords ${settings.maxErrorRecords}): the last malformed record is ` +
      `${last.source}${last.line === undefined ? '' : ` line ${last.line}`} (${last.reason}).`,
  );
}
