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

/** The secret inputs of a job between these connectors (e.g. the file key `toJobConfig.dek`). */
export function jobSecrets(fromConnector: string, toConnector: string): { from: Set<string>; to: Set<string> } {
  return { from: secretInputs(connectorFor(fromConnector).fromInputs), to: secretInputs(connectorFor(toConnector).toInputs) };
}
