// Builds a file connector (OBS, NAS, FTP, SFTP) from its declared inputs and a way to
// open its store: sources, sinks, validation and link tests are shared by all of them.
import { LinkTestError } from '../../errors';
import type { InputMap } from '../../model/config-values';
import type { Connector } from '../connector';
import type { InputDecl } from '../inputs';
import { ALGORITHM, decryptingStore, parseDek } from './file-crypto';
import { checkFileDecryption, checkFileFrom, checkFileTo } from './file-inputs';
import { completeFileRun, openFileSink } from './file-sink';
import { plannedFiles } from './file-partition';
import { openFileSource } from './file-source';
import { isFerryInternal, type FileStore } from './file-store';

export interface FileConnectorSpec {
  readonly name: string;
  readonly linkInputs: readonly InputDecl[];
  readonly fromInputs: readonly InputDecl[];
  readonly toInputs: readonly InputDecl[];
  checkLink?(link: InputMap): void;
  /** Opens the store a job side works in (`job` holds that side's inputs, e.g. the bucket). */
  openStore(link: InputMap, job: InputMap): Promise<FileStore>;
  /** Opens the store for a link test, without a job (e.g. no bucket yet). */
  testStore(link: InputMap): Promise<void>;
  /** An object store: files outside a job (dirty data) need a bucket named for them. */
  readonly needsBucket?: boolean;
}

export function fileConnector(spec: FileConnectorSpec): Connector {
  return {
    name: spec.name,
    linkInputs: spec.linkInputs,
    fromInputs: spec.fromInputs,
    toInputs: spec.toInputs,
    checkLink: spec.checkLink,
    checkFrom(from) {
      checkFileFrom(from);
      checkFileDecryption(from);
    },
    checkTo: checkFileTo,
    async testLink(link) {
      try {
        await spec.testStore(link);
      } catch (e) {
        throw new LinkTestError('linkConfig', e instanceof Error ? e.message : String(e), { cause: e });
      }
    },
    async openSource(req) {
      const store = await spec.openStore(req.link, req.from);
      // The store's check and the listing go side by side (each a round trip before the first
      // byte); the check's error, which says what is wrong, comes first. A partition given its
      // files by planning neither lists nor checks again: a read's error names the file.
      const opened = openFileSource(readable(store, req.from), req.from, { timeZone: req.timeZone, dirtyData: req.dirtyData });
      opened.catch(() => undefined);
      try {
        if (!plannedFiles(req.from)) await store.check();
        return await opened;
      } catch (e) {
        await store.close();
        throw e;
      }
    },
    // Only text has records that can be malformed; a binary copy has none to set aside.
    readsDirtyData: (from) => from['fromJobConfig.inputFormat'] !== 'BINARY_FILE',
    files: {
      needsBucket: spec.needsBucket === true,
      // The store's bucket input is read under either side's name; the to-side's serves.
      open: (link, bucket) => spec.openStore(link, bucket === undefined ? {} : { 'toJobConfig.bucketName': bucket }),
    },
    async openSink(req) {
      const store = await spec.openStore(req.link, req.to);
      try {
        await store.check();
        return await openFileSink(store, req.to, req.run, req.schema);
      } catch (e) {
        await store.close();
        throw e;
      }
    },
    async complete(req) {
      const store = await spec.openStore(req.link, req.to);
      // recordMD5Bucket: the MD5 result goes to another bucket of the same link.
      const bucket = req.to['toJobConfig.recordMD5Bucket'];
      const md5Store = bucket ? await spec.openStore(req.link, { ...req.to, 'toJobConfig.bucketName': bucket }) : store;
      try {
        await completeFileRun(store, req.to, req.run, req.partitions, md5Store);
      } finally {
        await store.close();
        if (md5Store !== store) await md5Store.close();
      }
    },
  };
}

/** The store as the source reads it: decrypted when the job says its files are encrypted. */
function readable(store: FileStore, from: InputMap): FileStore {
  if (from['fromJobConfig.decryption'] !== ALGORITHM) return store;
  const md5Suffix = from['fromJobConfig.md5FileSuffix'];
  // MD5 siblings are plain text; what they are checked against is the decrypted content.
  const isPlain = (path: string) => isFerryInternal(path) || Boolean(md5Suffix && path.endsWith(md5Suffix));
  return decryptingStore(store, parseDek(from['fromJobConfig.dek'], 'fromJobConfig.dek'), 'fromJobConfig.dek', isPlain);
}
