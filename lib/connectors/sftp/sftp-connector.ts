// `sftp-connector`: files on an SFTP (SSH) server, as source and destination.
import { fileConnector } from '../files/file-connector';
import { sftpFromInputs, sftpLinkInputs, sftpToInputs } from './sftp-inputs';
import { connectSftp, sftpLink, sftpStore } from './sftp-store';

export const sftpConnector = fileConnector({
  name: 'sftp-connector',
  linkInputs: sftpLinkInputs,
  fromInputs: sftpFromInputs,
  toInputs: sftpToInputs,
  openStore: async (link) => sftpStore(sftpLink(link)),
  testStore: async (link) => (await connectSftp(sftpLink(link))).close(),
});
