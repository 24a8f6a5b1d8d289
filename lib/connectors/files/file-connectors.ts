// The file connectors, for the registry: object stores and mounted file systems.
import type { Connector } from '../connector';
import { nasConnector } from '../nas/nas-connector';

export const fileConnectors: readonly Connector[] = [nasConnector];
