// The file connectors, for the registry: object stores and mounted file systems.
import type { Connector } from '../connector';
import { nasConnector } from '../nas/nas-connector';
import { obsConnector, thirdpartyObsConnector } from '../obs/obs-connector';

export const fileConnectors: readonly Connector[] = [nasConnector, obsConnector, thirdpartyObsConnector];
