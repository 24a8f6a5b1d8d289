// npm run demo: the README walk-through, against a running `npm start`. Creates a small
// SQLite table, a cluster, two links and a job, starts it and prints status until it ends.
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { embeddedEnv } from '../lib/runtime';
import { loadOrCreateKeys } from '../lib/local/local-keys';
import { issueToken } from '../lib/local/tokens';

const env = embeddedEnv();
const base = process.env.FERRY_URL ?? `http://127.0.0.1:${env.port}`;
const project = 'demo-project';
const dir = resolve(env.dataDir, 'demo');
mkdirSync(dir, { recursive: true });
const src = resolve(dir, 'shop.db');
const dst = resolve(dir, 'warehouse.db');
rmSync(dst, { force: true });

const db = new Database(src);
db.exec(`DROP TABLE IF EXISTS orders;
  CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount DECIMAL(12,2), created_at DATETIME);`);
const insert = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?)');
db.transaction(() => {
  for (let i = 1; i <= 50_000; i++) insert.run(i, `customer ${i % 997} ✓`, (i % 10_000) / 7 + 0.01, `2024-01-01 00:00:00.${String(i % 1000).padStart(3, '0')}`);
})();
db.close();

const token = await issueToken(await loadOrCreateKeys(env.dataDir), { projects: [project], subject: 'demo' });
async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}/v1.1/${project}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json as any;
}
const link = (name: string, file: string) => ({
  name,
  'connector-name': 'generic-jdbc-connector',
  'link-config-values': { configs: [{ name: 'linkConfig', inputs: [{ name: 'linkConfig.databaseType', value: 'SQLITE' }, { name: 'linkConfig.database', value: file }] }] },
});

const cluster = (await call('POST', '/clusters', { cluster: { name: 'demo' } })).id;
console.log(`cluster ${cluster}`);
const cdm = `/clusters/${cluster}/cdm`;
await call('POST', `${cdm}/link`, { links: [link('shop', src), link('warehouse', dst)] });
await call('POST', `${cdm}/job`, {
  jobs: [
    {
      job_type: 'NORMAL_JOB',
      name: 'orders-to-warehouse',
      'from-connector-name': 'generic-jdbc-connector',
      'from-link-name': 'shop',
      'from-config-values': { configs: [{ name: 'fromJobConfig', inputs: [{ name: 'fromJobConfig.schemaName', value: 'main' }, { name: 'fromJobConfig.tableName', value: 'orders' }] }] },
      'to-connector-name': 'generic-jdbc-connector',
      'to-link-name': 'warehouse',
      'to-config-values': { configs: [{ name: 'toJobConfig', inputs: [{ name: 'toJobConfig.tableName', value: 'orders' }, { name: 'toJobConfig.tablePreparation', value: 'CREATE_WHEN_NOT_EXIST' }] }] },
      'driver-config-values': { configs: [] },
    },
  ],
});
const started = await call('PUT', `${cdm}/job/orders-to-warehouse/start`);
console.log('start →', JSON.stringify(started.submissions[0]));
for (;;) {
  const s = (await call('GET', `${cdm}/job/orders-to-warehouse/status`)).submissions[0];
  console.log(`status ${s.status} progress ${s.progress}`);
  if (!['BOOTING', 'RUNNING'].includes(s.status)) {
    console.log(JSON.stringify(s, null, 2));
    process.exit(s.status === 'SUCCEEDED' ? 0 : 1);
  }
  await new Promise((r) => setTimeout(r, 100));
}
