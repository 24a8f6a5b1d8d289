// Builds a file connector (OBS, NAS, FTP, SFTP) from its declared inputs and a way to
// open its store: sources, sinks, validation and link tests are shared by all of them.
import { LinkTestError } from '../../errors';
import type { InputMap } from '../../model/config-values';
import type { Connector } from '../connector';
import type { InputDecl } from '../inputs';
import { checkFileFrom, checkFileTo } from './file-inputs';
import { openFileSink } from './file-sink';
import { partitionFiles } from './file-partition';
import { selectFiles } from './file-select';
import { openFileSource } from './file-source';
import type { FileStore } from './file-store';

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
    checkFrom: checkFileFrom,
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
      try {
        await store.check();
        return await openFileSource(store, req.from, { timeZone: req.timeZone, dirtyData: req.dirtyData });
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
    async partition(req, n) {
      const store = await spec.openStore(req.link, req.from);
      try {
        return partitionFiles(req.from, await selectFiles(store, req.from, { timeZone: req.timeZone }), n);
      } finally {
        await store.close();
      }
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
  };
}
