// Count + order-independent checksum of a table (lib/engine/verify.ts `tally`), read
// through Ferry's own jdbc sources, so either tool's copy can be checked against the
// MariaDB source the same way the engine verifies a run.
import { jdbcConnector } from '../../lib/connectors/jdbc/jdbc-connector';
import type { RecordBatch, Source } from '../../lib/engine/types';
import { tally, type Tally } from '../../lib/engine/verify';

const RUN = { project: 'bench', cluster: 'bench', job: 'verify', submissionId: 1, partition: 0 };

export async function tallyTable(
  link: Record<string, string>,
  schemaName: string,
  table: string,
  opts: { utcAsNaive?: boolean } = {},
): Promise<Tally & { seconds: number }> {
  const t0 = performance.now();
  const source = await jdbcConnector.openSource!({
    link,
    from: { 'fromJobConfig.schemaName': schemaName, 'fromJobConfig.tableName': table },
    run: RUN,
  });
  try {
    const t = await tally(opts.utcAsNaive ? utcAsNaive(source) : source, 20_000);
    return { ...t, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await source.close();
  }
}

/**
 * pgloader creates a MySQL DATETIME as timestamptz: the same instant, read in UTC, spelled
 * `2024-01-01T00:00:01.001+00:00`. Only a +00:00 value is rewritten to the naive form
 * (`2024-01-01 00:00:01.001`), so a shifted time still fails the comparison.
 */
function utcAsNaive(source: Source): Source {
  const zoned = source.schema.columns.flatMap((c, i) => (c.type === 'timestamptz' ? [i] : []));
  return {
    ...source,
    async *read(from, chunkRows): AsyncIterable<RecordBatch> {
      for await (const batch of source.read(from, chunkRows)) {
        for (const row of batch.rows) {
          for (const i of zoned) {
            const v = row[i];
            if (typeof v === 'string' && v.endsWith('+00:00')) row[i] = v.slice(0, -6).replace('T', ' ');
          }
        }
        yield batch;
      }
    },
  };
}
