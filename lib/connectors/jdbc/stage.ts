// toJobConfig.useStageTable ("transaction mode"): a run writes into a stage table beside
// the target, and only when every slice is copied (and verified, if asked) does the
// target take the rows over, in one transaction where the engine allows it. A run that
// fails or stops before that leaves the target exactly as it was; its stage is dropped.
//
// The stage is made the way the target would be (from the source schema, keeping the
// primary key; PostgreSQL adds it at the takeover), so a target that does not exist yet
// becomes the stage renamed.
import { createHash } from 'node:crypto';
import { errors } from '../../errors';
import type { RunKey } from '../../engine/types';
import type { InputMap } from '../../model/config-values';
import type { StagePlan } from '../connector';
import type { JdbcDialect } from './dialect';
import { clearOf, type Clear } from './prepare';


export interface StageCommit {
  schemaName?: string;
  target: string;
  stage: string;
  preparation: string;
  clear: Clear;
}

export function stagePlan(dialect: JdbcDialect, to: InputMap, run: RunKey): StagePlan | undefined {
  if (to['toJobConfig.useStageTable'] !== 'true') return undefined;
  if (!dialect.commitStage || !dialect.dropTable) {
    throw errors.invalidParameter(`toJobConfig.useStageTable is not supported for databaseType ${dialect.databaseTypes.join('/')} yet.`);
  }
  // One stage per run (not per partition), named from the run so every slice finds it.
  const digest = createHash('sha1').update(`${run.project}/${run.cluster}/${run.job}/${run.submissionId}`).digest('hex');
  const stage = `ferry_stage_${digest.slice(0, 24)}`;
  const schemaName = to['toJobConfig.schemaName'] || undefined;
  return {
    to: {
      ...to,
      'toJobConfig.tableName': stage,
      'toJobConfig.tablePreparation': 'DROP_AND_CREATE',
      'toJobConfig.beforeImportType': 'none',
      'toJobConfig.shouldClearTable': 'false',
      'toJobConfig.onConflict': 'INSERT',
      'toJobConfig.useStageTable': 'false',
    },
    commit: (link) =>
      dialect.commitStage!(link, {
        schemaName,
        target: to['toJobConfig.tableName']!,
        stage,
        preparation: to['toJobConfig.tablePreparation'] ?? 'DO_NOTHING',
        clear: clearOf(to),
      }),
    discard: (link) => dialect.dropTable!(link, schemaName, stage),
  };
}

/** Job-time rule: the commit appends the stage's rows; a conflict mode would need per-engine merges. */
export function checkStage(to: InputMap): void {
  const conflict = to['toJobConfig.onConflict'] ?? 'INSERT';
  if (to['toJobConfig.useStageTable'] === 'true' && conflict !== 'INSERT' && conflict !== 'EXCEPTION') {
    throw errors.invalidParameter(`toJobConfig.onConflict ${conflict} cannot be combined with toJobConfig.useStageTable; use INSERT.`);
  }
}
