// The inputs of `ftp-connector` links and jobs, as CDM names them (shared/reference/cdm-api.md
// §3.4): the server, its port and a login (the password sealed at rest, masked on read);
// the job inputs are the shared file inputs, with paths absolute on the server.
import { fileDecryptionInputs, fileFromInputs, fileToInputsWithoutMd5Check } from '../files/file-inputs';
import { input } from '../inputs';

export const ftpLinkInputs = [
  input.string('linkConfig.server', { mandatory: true, endpoint: true, description: 'FTP server host name or IP address.' }),
  // No declared default: linkConfig.port is shared with other connectors' docs; 21 applies in ftp-store.ts.
  input.integer('linkConfig.port', { min: 1, max: 65535, endpoint: true, description: 'Default 21.' }),
  input.string('linkConfig.username', { mandatory: true }),
  input.string('linkConfig.password', { secret: true }),
] as const;

// Files a job encrypted onto this server (toJobConfig.encryption) are read back decrypted.
export const ftpFromInputs = [...fileFromInputs, ...fileDecryptionInputs];
export const ftpToInputs = fileToInputsWithoutMd5Check;
