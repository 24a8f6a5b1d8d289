// The inputs of `sftp-connector` links and jobs, as CDM names them (shared/reference/cdm-api.md
// §3.4): the server, its port and a login, plus Ferry's key login and host key pinning
// (password, private key and passphrase sealed at rest, masked on read); the job inputs
// are the shared file inputs, with paths absolute on the server.
import { fileDecryptionInputs, fileFromInputs, fileToInputsWithoutMd5Check } from '../files/file-inputs';
import { input } from '../inputs';

export const sftpLinkInputs = [
  input.string('linkConfig.server', { mandatory: true, endpoint: true, description: 'SFTP (SSH) server host name or IP address.' }),
  // No declared default: linkConfig.port is shared with other connectors' docs; 22 applies in sftp-store.ts.
  input.integer('linkConfig.port', { min: 1, max: 65535, endpoint: true, description: 'Default 22.' }),
  input.string('linkConfig.username', { mandatory: true }),
  input.string('linkConfig.password', { secret: true, description: 'Password login; or use linkConfig.privateKey.' }),
  input.string('linkConfig.privateKey', { secret: true, description: 'Key login: an OpenSSH or PEM private key.' }),
  input.string('linkConfig.passphrase', { secret: true, description: 'Passphrase of an encrypted linkConfig.privateKey.' }),
  input.string('linkConfig.hostKeyFingerprint', {
    description: 'SHA256:… as ssh-keygen -lf prints it: any other server host key is refused.',
  }),
] as const;

// Files a job encrypted onto this server (toJobConfig.encryption) are read back decrypted.
export const sftpFromInputs = [...fileFromInputs, ...fileDecryptionInputs];
export const sftpToInputs = fileToInputsWithoutMd5Check;
