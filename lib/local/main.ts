// npm start: Ferry embedded — no cloud account, no Docker.
import { resolve } from 'node:path';
import { boundHeapGrowth, embeddedEnv } from '../runtime';
import { startEmbedded } from './embedded';

boundHeapGrowth();
const env = embeddedEnv();
const ferry = await startEmbedded({
  dataDir: resolve(env.dataDir),
  host: env.host,
  port: env.port,
  tableName: env.tableName,
  reaperIntervalMs: env.reaperIntervalMs,
});
console.log(`Ferry is listening on ${ferry.url} (data in ${resolve(env.dataDir)})`);
console.log('Get a token with: npm run -s token -- --project <project_id>');

const stop = async () => {
  await ferry.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
