// npm run bench [-- name …]: runs the named benchmarks (all when none is named).
export {};
// Executor INFO lines would bury the figures.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const benches: Record<string, () => Promise<unknown>> = {
  start: () => import('./start-bench'),
  relational: () => import('./relational-bench'),
  files: () => import('./files-bench'),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of names.length ? names : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n## ${name}\n`);
  await bench();
}
