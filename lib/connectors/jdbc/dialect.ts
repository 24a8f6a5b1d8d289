// One relational engine behind `generic-jdbc-connector`, chosen by `linkConfig.databaseType`.
import type { InputMap } from '../../model/config-values';
import type { SinkRequest, SourceRequest } from '../connector';
import type { Sink, Source } from '../../engine/types';
import type { StageCommit } from './stage';

export interface JdbcDialect {
  /** The `linkConfig.databaseType` values this dialect serves. */
  readonly databaseTypes: readonly string[];
  /** Link rules beyond the declared inputs (e.g. a server engine needs a host). */
  checkLink?(link: InputMap): void;
  /** The identifier quoted for this engine's SQL (`"x"`, `` `x` ``). */
  quoteIdent(name: string): string;
  /** useStageTable's end: the target takes over the stage (lib/connectors/jdbc/stage.ts). */
  commitStage?(link: InputMap, c: StageCommit): Promise<void>;
  dropTable?(link: InputMap, schemaName: string | undefined, table: string): Promise<void>;
  /** The end of a successful run (Connector.complete): what a table the run created still owes, e.g. its primary key. */
  completeTable?(link: InputMap, to: InputMap): Promise<void>;
  /** Connects and disconnects; throws (any error) when the server cannot be reached or refuses the login. */
  testConnection?(link: InputMap): Promise<void>;
  openSource(req: SourceRequest): Promise<Source>;
  openSink(req: SinkRequest): Promise<Sink>;
}

/** `a&b&c` → ['a','b','c'] (CDM's column-list separator); empty → undefined. */
export function splitColumnList(list: string | undefined): string[] | undefined {
  const cols = (list ?? '').split('&').map((c) => c.trim()).filter(Boolean);
  return cols.length ? cols : undefined;
}
