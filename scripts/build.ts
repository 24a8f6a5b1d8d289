// Builds one Lambda artifact per function in serverless.yml: the function's handler
// module bundled and minified by esbuild, zipped as `.build/<function>.zip` with the
// bundle at the path its `handler:` names (handlers/http/job-start.handler →
// handlers/http/job-start.js), which is what each function's `package.artifact` points at.
//
// Choices:
// * CommonJS output. The handler path must end in `.js` and the zip has no package.json,
//   so Lambda loads it as CommonJS; CJS output also needs no createRequire shim for the
//   CJS dependencies (mysql2, pg) that require() Node built-ins.
// * @aws-sdk/* is left external: the nodejs22.x runtime ships AWS SDK v3 and the code is
//   loaded against that copy. Bundled, the SDK was ~400 KB of a ~640 KB handler (three
//   clients plus the credential chain, in every function, because lib/runtime.ts builds all
//   clients) and put the start handler far over its 400 KB budget; external, a handler is
//   ~240 KB. The price is that Lambda, not package-lock.json, picks the SDK version. Ferry
//   uses only long-stable commands (Get/Put/Update/Query, SendMessage, GenerateDataKey,
//   Decrypt), and a deployment that must pin it can pin the runtime version instead
//   (Lambda runtime management, `mode: manual`).
// * better-sqlite3 is a native addon, which neither bundles nor runs from a bundle on
//   Lambda: SQLite links are an embedded-only feature (`npm start`). It is replaced by a
//   stub that fails when used, rather than left external, because the connector registry
//   imports it statically and a missing external module would crash every function that
//   reaches the registry at cold start.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { readFunctions } from '../lib/local/serverless-config';
import { zip } from './zip';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.build');

const sqliteIsEmbeddedOnly: Plugin = {
  name: 'sqlite-is-embedded-only',
  setup(b) {
    b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: 'better-sqlite3', namespace: 'embedded-only' }));
    b.onLoad({ filter: /.*/, namespace: 'embedded-only' }, () => ({
      contents: `module.exports = function Database() {
        throw new Error('SQLite links are an embedded-only feature (npm start); better-sqlite3 is a native module and is not deployed to Lambda.');
      };`,
      loader: 'js',
    }));
  },
};

// zod's `z` namespace re-exports all ~50 of its error-message locales (~260 KB minified,
// a third of a bundle) and esbuild cannot drop unused members of a re-exported namespace.
// Ferry's errors are English (zod's default), so `z.locales` keeps only `en`.
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: resolve(args.resolveDir, '../locales/index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from './en.js';`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

interface Bundle {
  /** `handlers/http/job-start` */
  module: string;
  js: Uint8Array;
  map: Uint8Array;
}

async function bundle(module: string): Promise<Bundle> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [`${module}.ts`],
    outbase: '.',
    outdir: join(outDir, 'bundle'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // Prefer packages' ES module builds (zod, powertools): esbuild can tree-shake those.
    mainFields: ['module', 'main'],
    minify: true,
    // NODE_OPTIONS=--enable-source-maps (serverless.yml) maps stack traces to lib/*.ts;
    // file and line are enough, the sources themselves need not ship.
    sourcemap: 'linked',
    sourcesContent: false,
    // @aws-sdk: see above. pg loads pg-native only if `pg.native` is read, which Ferry never does.
    // ssh2 (SFTP) tries its optional native crypto and cpu-features inside try/catch and falls
    // back to Node's own crypto: left unresolved, they are simply absent on Lambda.
    external: ['@aws-sdk/*', 'pg-native', 'cpu-features', '*.node'],
    plugins: [sqliteIsEmbeddedOnly, zodEnglishOnly],
    logLevel: 'warning',
    write: true,
  });
  if (result.errors.length) throw new Error(`esbuild failed for ${module}`);
  const js = join(outDir, 'bundle', `${module}.js`);
  return { module, js: readFileSync(js), map: readFileSync(`${js}.map`) };
}

/** Loads the bundle as Lambda would and checks the handler export is a function. */
function checkExport(module: string, exportName: string): void {
  const file = join(outDir, 'bundle', `${module}.js`);
  const mod = createRequire(file)(file) as Record<string, unknown>;
  if (typeof mod[exportName] !== 'function') throw new Error(`${module}.js does not export a function "${exportName}"`);
}

export interface Artifact {
  function: string;
  handler: string;
  /** The minified bundle, as Lambda loads it. */
  bundlePath: string;
  bundleBytes: number;
  zipBytes: number;
}

/** Builds every function's artifact into .build/ and returns what was built. */
export async function buildArtifacts(): Promise<Artifact[]> {
  const functions = readFunctions(root);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const split = (handler: string) => {
    const dot = handler.lastIndexOf('.');
    return { module: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
  };
  // Several functions can share one handler file (clusters.create, clusters.list): bundle it once.
  const modules = [...new Set(functions.map((f) => split(f.handler).module))];
  const bundles = new Map((await Promise.all(modules.map(bundle))).map((b) => [b.module, b]));
  // The repo's package.json says "type": "module"; mark the bundles CommonJS, as Lambda
  // (no package.json in the zip) will load them, so checkExport loads them the same way.
  writeFileSync(join(outDir, 'bundle', 'package.json'), '{ "type": "commonjs" }\n');

  return functions.map((fn) => {
    const { module, exportName } = split(fn.handler);
    checkExport(module, exportName);
    const b = bundles.get(module)!;
    const artifact = zip([
      { name: `${module}.js`, data: b.js },
      { name: `${module}.js.map`, data: b.map },
    ]);
    writeFileSync(join(outDir, `${fn.name}.zip`), artifact);
    return {
      function: fn.name,
      handler: fn.handler,
      bundlePath: join(outDir, 'bundle', `${module}.js`),
      bundleBytes: b.js.length,
      zipBytes: artifact.length,
    };
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`.padStart(10);
  console.log(`${'function'.padEnd(16)}${'bundle'.padStart(10)}${'zip'.padStart(10)}  handler`);
  for (const a of await buildArtifacts()) {
    console.log(`${a.function.padEnd(16)}${kb(a.bundleBytes)}${kb(a.zipBytes)}  ${a.handler}`);
  }
}
