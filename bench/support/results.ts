// bench/RESULTS.md: one `## <bench>` section per benchmark, each replaced by its own
// latest run and the others kept as they are.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/local/embedded';

export const RESULTS_FILE = join(PROJECT_ROOT, 'bench/RESULTS.md');

/** `section` starts with its `## name` heading. */
export function writeSection(name: string, section: string, file = RESULTS_FILE): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmark results\n\nWritten by `npm run bench`; one section per benchmark.\n';
  }
  const start = text.search(new RegExp(`^## ${name}\\s*$`, 'm'));
  if (start < 0) {
    text = `${text.replace(/\n*$/, '\n\n')}${section}`;
  } else {
    const rest = text.slice(start + 1);
    const next = rest.search(/^## /m);
    text = text.slice(0, start) + section + (next < 0 ? '' : `\n${rest.slice(next)}`);
  }
  writeFileSync(file, text);
}
