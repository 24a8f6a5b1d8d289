// `npm start` runs Ferry from an esbuild bundle, not through tsx: tsx's module hooks run
// in a loader thread with a V8 isolate of its own, ~40 MB of RSS that Ferry never uses
// once its modules are loaded (on AWS, too, each function runs a bundle: scripts/build.ts).
//
// One ES module entry per serverless.yml handler plus lib/local/main.ts, split so that
// modules they share (the runtime, the store) exist once, as they must: the embedded
// runtime sets the runtime the handlers read. Packages stay external and load from
// node_modules, so the bundle lives under node_modules/.cache where Node resolves them.
// Not minified: stack traces keep their names.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { readFunctions } from '../lib/local/serverless-config';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EMBEDDED_BUNDLE_DIR = join(root, 'node_modules/.cache/ferry-embedded');

/** Bundles the embedded runtime into `outDir` (emptied first); returns its main module. */
export async function bundleEmbedded(outDir = EMBEDDED_BUNDLE_DIR): Promise<string> {
  const handlerModules = readFunctions(root).map((f) => `${f.handler.slice(0, f.handler.lastIndexOf('.'))}.ts`);
  rmSync(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: ['lib/local/main.ts', ...new Set(handlerModules)],
    outbase: '.',
    outdir: outDir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // serverless-config.ts loads handlers from here instead of from their sources.
    define: { __FERRY_BUNDLE_DIR__: JSON.stringify(outDir) },
    logLevel: 'warning',
  });
  return join(outDir, 'lib/local/main.js');
}

let ownBundle: Promise<string> | undefined;
/**
 * For tests and benchmarks: a bundle of the sources as they are now, built once per
 * process beside (not over) the one `npm start` may be running, removed at exit.
 */
export function bundleEmbeddedForProcess(): Promise<string> {
  if (!ownBundle) {
    removeBundlesOfEndedProcesses();
    const dir = `${EMBEDDED_BUNDLE_DIR}-${process.pid}`;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    ownBundle = bundleEmbedded(dir);
  }
  return ownBundle;
}

/** Test workers are often killed, not exited: their bundles go when the next one starts. */
function removeBundlesOfEndedProcesses(): void {
  const parent = dirname(EMBEDDED_BUNDLE_DIR);
  const prefix = `${basename(EMBEDDED_BUNDLE_DIR)}-`;
  for (const name of existsSync(parent) ? readdirSync(parent) : []) {
    const pid = Number(name.slice(prefix.length));
    if (name.startsWith(prefix) && Number.isInteger(pid) && !isRunning(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleEmbedded();
