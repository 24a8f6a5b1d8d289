// Every connector Ferry knows, by CDM `connector-name`.
import { errors } from '../errors';
import type { Connector } from './connector';
import { secretInputs } from './inputs';
import { fileConnectors } from './files/file-connectors';
import { jdbcConnector } from './jdbc/jdbc-connector';

const connectors: ReadonlyMap<string, Connector> = new Map([jdbcConnector, ...fileConnectors].map((c) => [c.name, c]));

export function connectorFor(name: string): Connector {
  const c = connectors.get(name);
  if (!c) throw errors.connectorNotFound(name);
  return c;
}

export function allConnectors(): Connector[] {
  return [...connectors.values()];
}

export function linkSecrets(connector: string): Set<string> {
  return secretInputs(connectorFor(connector).linkInputs);
}
