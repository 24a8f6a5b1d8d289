// `ftp-connector`: files on an FTP server (passive mode, binary transfers), as source and destination.
import { fileConnector } from '../files/file-connector';
import { ftpFromInputs, ftpLinkInputs, ftpToInputs } from './ftp-inputs';
import { connectFtp, ftpLink, ftpStore } from './ftp-store';

export const ftpConnector = fileConnector({
  name: 'ftp-connector',
  linkInputs: ftpLinkInputs,
  fromInputs: ftpFromInputs,
  toInputs: ftpToInputs,
  openStore: async (link) => ftpStore(ftpLink(link)),
  testStore: async (link) => (await connectFtp(ftpLink(link))).close(),
});
