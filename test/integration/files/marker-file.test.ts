// useMarkerFile: a file job reads its input directory only once the producer's marker
// file is there, waiting up to waitTime seconds for it; the marker is never copied.
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, waitFor, type Api } from '../../support/embedded';
import { cluster } from './file-harness';
import { useStores } from './file-stores';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const kinds = useStores();

async function setUp(kind: (typeof kinds)[number], from: Record<string, string>) {
  api = await startApi();
  const c = await cluster(api);
  const area = await kind.area(c);
  const spec = {
    from: [area.linkName, kind.name] as [string, string],
    to: [area.linkName, kind.name] as [string, string],
    fromInputs: area.from('/in', { 'fromJobConfig.inputFormat': 'BINARY_FILE', 'fromJobConfig.useMarkerFile': 'true', ...from }),
    toInputs: area.to('/out', { 'toJobConfig.outputFormat': 'BINARY_FILE' }),
  };
  return { c, area, spec };
}

describe.each(kinds)('$name', (kind) => {
  it('copies the directory once its marker is there, without the marker', async () => {
    const { c, area, spec } = await setUp(kind, { 'fromJobConfig.markerFile': '_SUCCESS' });
    await area.write({ 'in/a.bin': 'a', 'in/sub/b.bin': 'b', 'in/_SUCCESS': '' });
    await c.job('ready', spec);
    const s = await c.run('ready');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(await area.tree('out')).sort()).toEqual(['a.bin', 'sub/b.bin']);
  });

  it('waits for a marker that appears while the run is waiting, then copies', async () => {
    const { c, area, spec } = await setUp(kind, { 'fromJobConfig.markerFile': 'ok.txt', 'fromJobConfig.waitTime': '60' });
    await area.write({ 'in/a.bin': 'a' });
    await c.job('later', spec);
    const ended = c.run('later');
    await waitFor('the run to start waiting', () => c.status('later'), (s) => s?.status === 'RUNNING');
    await area.write({ 'in/ok.txt': 'done' });
    const s = await ended;
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(Object.keys(await area.tree('out'))).toEqual(['a.bin']);
  });

  it('fails naming the marker when it does not appear within waitTime, and copies nothing', async () => {
    const { c, area, spec } = await setUp(kind, { 'fromJobConfig.markerFile': 'ok.txt', 'fromJobConfig.waitTime': '1' });
    await area.write({ 'in/a.bin': 'a' });
    await c.job('never', spec);
    const s = await c.run('never');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Marker file ${area.describe('in/ok.txt')} did not appear within fromJobConfig.waitTime (1 s)`);
    expect(await area.tree('out')).toEqual({});
  });
});

it('useMarkerFile without markerFile is refused when the job is created', async () => {
  const { c, spec } = await setUp(kinds[0]!, {});
  const body = await c.refusedJob('nomarker', spec);
  expect(body.errCode).toBe('Cdm.0014');
  expect(body.externalMessage).toContain('fromJobConfig.useMarkerFile true needs fromJobConfig.markerFile');
});
