// `nas-connector`: a mounted file system path; the embedded default for file jobs.
import { fileConnector } from '../files/file-connector';
import { nasFromInputs, nasLinkInputs, nasToInputs } from './nas-inputs';
import { nasStore } from './nas-store';

export const nasConnector = fileConnector({
  name: 'nas-connector',
  linkInputs: nasLinkInputs,
  fromInputs: nasFromInputs,
  toInputs: nasToInputs,
  openStore: async (link) => nasStore(link['linkConfig.rootDirectory'] ?? '/'),
  testStore: (link) => nasStore(link['linkConfig.rootDirectory'] ?? '/').check(),
});
