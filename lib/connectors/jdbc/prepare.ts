// What a destination table gets before a run, the same on every engine:
// tablePreparation (DO_NOTHING, CREATE_WHEN_NOT_EXIST, DROP_AND_CREATE), then the
// clearing beforeImportType / shouldClearTable ask for. Each sink supplies the SQL.
import { errors } from '../../errors';
import type { InputMap } from '../../model/config-values';

/** What is removed from the target before the rows arrive. */
export type Clear = { kind: 'none' } | { kind: 'all' } | { kind: 'where'; where: string };

export function clearOf(to: InputMap): Clear {
  const before = to['toJobConfig.beforeImportType'];
  if (before === 'shouldClearTable' || to['toJobConfig.shouldClearTable'] === 'true') return { kind: 'all' };
  if (before === 'whereClause') return { kind: 'where', where: to['toJobConfig.whereClause']! };
  return { kind: 'none' };
}

export interface TableOps {
  exists(): Promise<boolean>;
  drop(): Promise<void>;
  create(): Promise<void>;
  clear(c: Exclude<Clear, { kind: 'none' }>): Promise<void>;
}

/**
 * Prepares the target; `name` is `schema.table` for messages, `describe` the engine's own
 * words for a failure. A CdmError passes through; anything else names the step that failed.
 */
export async function prepareTarget(to: InputMap, ops: TableOps, name: string, describe: (e: unknown) => string): Promise<void> {
  const preparation = to['toJobConfig.tablePreparation'];
  try {
    if (preparation === 'DROP_AND_CREATE') {
      await ops.drop();
      await ops.create();
    } else if (!(await ops.exists())) {
      if (preparation !== 'CREATE_WHEN_NOT_EXIST') {
        throw errors.tableUnavailable(
          `Destination table ${name} does not exist; create it or set toJobConfig.tablePreparation to CREATE_WHEN_NOT_EXIST.`,
        );
      }
      await ops.create();
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.tableCreationFailed(`Preparing ${name} failed: ${describe(e)}`, e);
  }
  const clear = clearOf(to);
  if (clear.kind === 'none') return;
  try {
    await ops.clear(clear);
  } catch (e) {
    throw errors.sqlFailed(`Clearing ${name} before the import failed: ${describe(e)}`, e);
  }
}
