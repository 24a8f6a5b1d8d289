// The inputs of `nas-connector` links and jobs. CDM names the connector (NAS/SFS) but
// documents no link inputs; Ferry's one link input is the mounted directory the job
// paths live under (`linkConfig.rootDirectory`), and the job inputs are the shared file
// inputs (shared/reference/cdm-api.md §2.5).
import { fileDecryptionInputs, fileFromInputs, fileToInputs } from '../files/file-inputs';
import { input } from '../inputs';

export const nasLinkInputs = [
  input.string('linkConfig.rootDirectory', {
    default: '/',
    description: 'Mounted directory (NAS, SFS, a local disk) that job paths are resolved under.',
  }),
] as const;

export const nasFromInputs = [...fileFromInputs, ...fileDecryptionInputs];
export const nasToInputs = fileToInputs;
