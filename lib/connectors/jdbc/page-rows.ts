// How many rows a JDBC source's next page of values asks for: fetchSize, fewer when rows are wide.
import type { RecordBatch } from '../../engine/types';

/**
 * Data a page of rows read into values may hold. Read into JavaScript values a row takes about
 * ten times its bytes, and a partition holds three pages at once (one read, one ahead, one
 * written): 20,000 rows of the bench's 126-byte orders took ~90 MB, two partitions up to 256 MB of RSS.
 */
const PAGE_BYTES = 1.25 * 1024 * 1024;

/**
 * The next page's rows: fetchSize (linkConfig.fetchSize, the engine's chunkRows), fewer when rows
 * as wide as `batch`'s would hold more than PAGE_BYTES. A page asked for fewer rows than fetchSize
 * ends the table only when it returns fewer than it was asked for.
 */
export function nextPageRows(batch: RecordBatch, chunkRows: number): number {
  const rowBytes = Math.max(1, batch.bytes / Math.max(1, batch.rows.length));
  return Math.max(1, Math.min(Math.trunc(chunkRows), Math.floor(PAGE_BYTES / rowBytes)));
}
