// Turns zod failures into CDM errors whose message names the offending field.
// zod/mini's functional API, so a handler whose own schemas are zod/mini (the start
// handler, kept small for cold starts) does not pull in classic zod; classic schemas
// parse here just the same.
import * as z from 'zod/mini';
import type * as core from 'zod/v4/core';
import { errors } from '../errors';

// zod/mini ships no messages by default; Ferry's errors are English.
z.config(z.locales.en());

/** `jobs[0].from-config-values.configs[1].name` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || 'body';
}

/** Validates `value` against `schema`, or throws Cdm.0014 naming the first bad field. */
export function parseWith<S extends core.$ZodType>(schema: S, value: unknown, where = ''): core.output<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = fieldPath([...(where ? [where] : []), ...issue.path]);
  const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
  throw errors.invalidParameter(missing ? `${path} is mandatory.` : `${path}: ${issue.message}.`);
}

/** Runs `fn`; a CDM error it throws gets `path` (where in the body) put before its message. */
export function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && e.name === 'CdmError') e.message = `${path}: ${e.message}`;
    throw e;
  }
}
