// The file connectors, for the registry: object stores, mounted file systems and file servers.
import type { Connector } from '../connector';
import { ftpConnector } from '../ftp/ftp-connector';
import { nasConnector } from '../nas/nas-connector';
import { obsConnector, thirdpartyObsConnector } from '../obs/obs-connector';
import { sftpConnector } from '../sftp/sftp-connector';

export const fileConnectors: readonly Connector[] = [nasConnector, obsConnector, thirdpartyObsConnector, ftpConnector, sftpConnector];
