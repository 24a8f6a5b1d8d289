// CDM's `*-config-values` blocks <-> a flat map of input name → string value.
//
// Real clients send values as strings, numbers or booleans, under `value` or (older
// SDK builds) `values`, and an empty config as `"inputs": {}`; all of that is read here
// once, so the rest of Ferry sees `{"toJobConfig.tableName": "orders", …}`.
import { z } from 'zod';

export type InputMap = Record<string, string>;

const inputValue = z.union([z.string(), z.number(), z.boolean()]).nullable();

const inputSchema = z.looseObject({
  name: z.string().min(1, 'an input name must not be empty'),
  value: inputValue.optional(),
  values: inputValue.optional(),
  type: z.string().optional(),
});

const configSchema = z.looseObject({
  name: z.string().min(1, 'a config name must not be empty'),
  inputs: z.union([
    z.array(inputSchema),
    // One CDM doc example writes an empty config as `"inputs": {}`.
    z.strictObject({}).transform(() => []),
  ]),
});

const extendedConfigSchema = z.object({ name: z.string(), value: z.string() });

export const configValuesSchema = z.looseObject({
  configs: z.array(configSchema),
  'extended-configs': z.union([extendedConfigSchema, z.array(extendedConfigSchema)]).optional(),
});

export type ConfigValuesBody = z.infer<typeof configValuesSchema>;

export interface ParsedConfigValues {
  inputs: InputMap;
  extended: { name: string; value: string }[];
}

/** Flattens configs into one input map; an input's name already carries its config prefix. */
export function flattenConfigValues(body: ConfigValuesBody | undefined): ParsedConfigValues {
  const inputs: InputMap = {};
  for (const config of body?.configs ?? []) {
    for (const input of config.inputs) {
      const raw = input.value ?? input.values;
      if (raw === undefined || raw === null) continue;
      inputs[input.name] = String(raw);
    }
  }
  const ext = body?.['extended-configs'];
  return { inputs, extended: ext === undefined ? [] : Array.isArray(ext) ? ext : [ext] };
}

/** Renders an input map back into CDM's shape, one config per name prefix, in first-seen order. */
export function renderConfigValues(
  inputs: InputMap,
  extended: { name: string; value: string }[] = [],
  mask: (name: string, value: string) => string = (_n, v) => v,
) {
  const configs = new Map<string, { name: string; value: string }[]>();
  for (const [name, value] of Object.entries(inputs)) {
    const prefix = name.includes('.') ? name.slice(0, name.indexOf('.')) : name;
    const list = configs.get(prefix) ?? [];
    list.push({ name, value: mask(name, value) });
    configs.set(prefix, list);
  }
  const body: Record<string, unknown> = {
    configs: [...configs].map(([name, list]) => ({ name, inputs: list })),
  };
  if (extended.length === 1) body['extended-configs'] = extended[0];
  else if (extended.length > 1) body['extended-configs'] = extended;
  return body;
}
