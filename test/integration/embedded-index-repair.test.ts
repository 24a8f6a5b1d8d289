// The embedded store after a crash: dynalite writes an item and its entry in the reaper's
// index separately, so a kill between the two leaves them disagreeing. Started again on the
// same data directory, the index agrees with the table: a run that is stale is listed (it
// would otherwise stay RUNNING for ever), a run that is not stale is not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, expect, it } from 'vitest';
import { startDynalite, type EmbeddedDynamo } from '../../lib/local/dynalite';
import { documentClient } from '../../lib/runtime';
import { createStore } from '../../lib/store/store';
import { ACTIVE_INDEX, isoKey, keys } from '../../lib/store/table';
import { killedMidWrite } from '../support/dynalite-crash';
import { runningSubmission } from '../support/submissions';

const TABLE = 'ferry';
const NOW = Date.now();
const dirs: string[] = [];
let dynamo: EmbeddedDynamo | undefined;
afterEach(async () => {
  await dynamo?.close();
  dynamo = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const run = (job: string) => runningSubmission({ project: 'p1', cluster: 'c1', job, id: 1 }, NOW);
const keyOf = (job: string) => keys.submission('p1', 'c1', job, 1);

/** A store in a fresh data directory holding `jobs`' runs, stopped. */
async function storeWith(jobs: Record<string, number>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-index-repair-'));
  dirs.push(dir);
  const d = await startDynalite(dir, TABLE);
  const store = createStore({ doc: documentClient(d.client), name: TABLE });
  for (const [job, staleAt] of Object.entries(jobs)) await store.submissions.create(run(job), staleAt);
  await d.close();
  return dir;
}

/** A write of the run's stale time (as a heartbeat makes), by a process killed before the item was written. */
const heartbeatKilled = (dir: string, job: string, staleAt: number) =>
  killedMidWrite(dir, TABLE, keyOf(job), (doc) =>
    doc.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: keyOf(job),
        UpdateExpression: 'SET gsi1sk = :s',
        ExpressionAttributeValues: { ':s': isoKey(staleAt) },
      }),
    ),
  );

async function restart(dir: string) {
  dynamo = await startDynalite(dir, TABLE);
  const doc = documentClient(dynamo.client);
  const index = await doc.send(new ScanCommand({ TableName: TABLE, IndexName: ACTIVE_INDEX }));
  return { store: createStore({ doc, name: TABLE }), index: (index.Items ?? []).map((e) => [e.sk, e.gsi1sk]) };
}

it('a stale run whose index entry a kill lost is listed for the reaper again after a restart', async () => {
  const dir = await storeWith({ stale: NOW - 60_000 });
  // Killed while pushing its stale time out: the index holds the new time, the item the old.
  await heartbeatKilled(dir, 'stale', NOW + 3_600_000);

  const { store, index } = await restart(dir);
  expect(await store.submissions.listStale(NOW)).toEqual([{ project: 'p1', cluster: 'c1', job: 'stale', id: 1 }]);
  expect(index).toEqual([[keyOf('stale').sk, isoKey(NOW - 60_000)]]);
});

it('an index entry a kill left behind no longer lists a live run as stale after a restart', async () => {
  const dir = await storeWith({ live: NOW + 60_000 });
  // Killed mid-write, the index keeps an entry for a time that passed; the item, fresh, has none.
  await heartbeatKilled(dir, 'live', NOW - 30_000);

  const { store, index } = await restart(dir);
  expect(await store.submissions.listStale(NOW)).toEqual([]);
  expect(index).toEqual([[keyOf('live').sk, isoKey(NOW + 60_000)]]);
});

it('an index entry for a run whose creation a kill cut short is gone after a restart, and other runs keep theirs', async () => {
  const dir = await storeWith({ kept: NOW + 60_000 });
  await killedMidWrite(dir, TABLE, keyOf('never'), async (doc) => {
    await createStore({ doc, name: TABLE }).submissions.create(run('never'), NOW - 60_000);
  });

  const { store, index } = await restart(dir);
  expect(await store.submissions.listStale(NOW)).toEqual([]);
  expect(await store.submissions.get({ project: 'p1', cluster: 'c1', job: 'never', id: 1 })).toBeUndefined();
  expect(index).toEqual([[keyOf('kept').sk, isoKey(NOW + 60_000)]]);
});
