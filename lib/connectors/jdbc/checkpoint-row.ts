// The `__ferry_checkpoint` row every relational sink keeps beside its data, read back as
// the engine's Checkpoint (the columns come back as text or bigint depending on the driver).
import type { Checkpoint } from '../../engine/types';

export type CheckpointRow = readonly [seq: unknown, position: unknown, rowsRead: unknown, rowsWritten: unknown, bytesRead: unknown];

export function checkpointOf(row: CheckpointRow): Checkpoint {
  return {
    position: JSON.parse(String(row[1])),
    rowsRead: Number(row[2]),
    rowsWritten: Number(row[3]),
    bytesRead: Number(row[4]),
  };
}
