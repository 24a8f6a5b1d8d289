// Reads serverless.yml's functions: their handlers and http/sqs/schedule events. The
// embedded gateway, queue and reaper are wired from this, so AWS and `npm start` route
// to the same handler modules.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, type Tags } from 'yaml';

export interface FunctionDef {
  name: string;
  /** `handlers/http/job-start.handler` */
  handler: string;
  http: { method: string; path: string }[];
  sqs: boolean;
  /** `rate(1 minute)` etc. */
  schedules: string[];
}

// CloudFormation short forms (!Ref, !GetAtt …) only matter on AWS; read them as opaque values.
const CFN_TAGS = ['Ref', 'GetAtt', 'Sub', 'Join', 'Select', 'Split', 'If', 'Equals', 'ImportValue', 'FindInMap', 'GetAZs', 'Base64', 'Not', 'And', 'Or', 'Cidr'];
const customTags: Tags = CFN_TAGS.flatMap((name) => [
  { tag: `!${name}`, resolve: (v: string) => ({ [name]: v }) },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (v: unknown) => ({ [name]: v }) },
]);

interface RawFunction {
  handler: string;
  events?: Record<string, unknown>[];
}

export function readFunctions(root: string): FunctionDef[] {
  const doc = parse(readFileSync(resolve(root, 'serverless.yml'), 'utf8'), { customTags }) as {
    functions: Record<string, RawFunction>;
  };
  return Object.entries(doc.functions).map(([name, fn]) => {
    const events = fn.events ?? [];
    return {
      name,
      handler: fn.handler,
      http: events.flatMap((e) => {
        const h = e.http as { method: string; path: string } | undefined;
        return h ? [{ method: h.method.toUpperCase(), path: `/${h.path.replace(/^\//, '')}` }] : [];
      }),
      sqs: events.some((e) => 'sqs' in e),
      schedules: events.flatMap((e) => (typeof e.schedule === 'string' ? [e.schedule] : [])),
    };
  });
}

// Defined by scripts/bundle-embedded.ts when `npm start` runs the bundle; undefined under
// tsx (tests, tools), where handlers load from their sources.
declare const __FERRY_BUNDLE_DIR__: string | undefined;

/** Imports the module a `handler:` string names and returns the exported function. */
export async function loadHandler<F>(root: string, handler: string): Promise<F> {
  const dot = handler.lastIndexOf('.');
  const module = handler.slice(0, dot);
  const file = typeof __FERRY_BUNDLE_DIR__ === 'string' ? resolve(__FERRY_BUNDLE_DIR__, `${module}.js`) : resolve(root, `${module}.ts`);
  const mod = (await import(file)) as Record<string, unknown>;
  const fn = mod[handler.slice(dot + 1)];
  if (typeof fn !== 'function') throw new Error(`${handler}: ${file} exports no function ${handler.slice(dot + 1)}`);
  return fn as F;
}

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(30 seconds)` → milliseconds. */
export function rateMs(expr: string): number | undefined {
  const m = /^rate\((\d+)\s+(second|minute|hour|day)s?\)$/.exec(expr.trim());
  if (!m) return undefined;
  const unit = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 }[m[2] as 'second'];
  return Number(m[1]) * unit;
}
