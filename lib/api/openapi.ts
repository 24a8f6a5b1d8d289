// The API description (OpenAPI 3.1), generated from the zod schemas the handlers
// validate with and from the connectors' declared inputs, so the document says what the
// API really accepts. Served by handlers/http/openapi.ts at GET /v1.1/openapi.json.
//
// Routes: ROUTES below, not serverless.yml. On Lambda the handler is an esbuild bundle
// and serverless.yml is not deployed beside it, so the route list has to be code.
// test/e2e/openapi.test.ts checks that ROUTES equals serverless.yml's http routes and
// that each route's permission is the one its handler enforces, so neither can drift.
//
// zod/mini's functional API throughout: it works on classic and mini schemas alike (the
// model mixes both to keep the start handler small).
import * as z from 'zod/mini';
import type * as core from 'zod/v4/core';
import { ROLES, type Permission } from '../auth/permissions';
import type { Connector } from '../connectors/connector';
import type { InputDecl } from '../connectors/inputs';
import { allConnectors } from '../connectors/registry';
import type { CdmErrorBody } from '../errors';
import { historyQuerySchema } from '../jobs/history';
import { DRIVER_CONFIGS, driverInputs } from '../jobs/driver-inputs';
import { listQuerySchema } from '../jobs/jobs';
import { startBodySchema } from '../jobs/start-job';
import { createClusterBodySchema } from '../model/cluster';
import { configValuesSchema } from '../model/config-values';
import { createJobsBodySchema, jobBodySchema, randomClusterJobsBodySchema, resourceName } from '../model/job';
import { createLinksBodySchema, linkBodySchema, SECRET_MASK } from '../model/link';
import { SUBMISSION_STATUSES } from '../model/status';

type Schema = core.$ZodType;
type JsonSchema = Record<string, unknown>;

/** JSON Schema keywords and OpenAPI extensions attached to a zod schema for the document. */
interface DocMeta {
  /** Component name: the schema goes to components.schemas and is referenced by `$ref`. */
  id?: string;
  title?: string;
  description?: string;
  [keyword: string]: unknown;
}

// Metadata lives in this module's registry, not zod's global one: the document is the
// only reader, and the model's schemas stay free of documentation concerns.
const docs = z.registry<DocMeta>();
const doc = <S extends Schema>(schema: S, meta: DocMeta): S => {
  docs.add(schema, meta);
  return schema;
};

// ---- request bodies: the handlers' schemas, narrowed by the declared inputs ----

// The handler's own input and config schemas, reached through configValuesSchema so a
// change there (a new field, a looser value) shows up here too.
const configSchema = configValuesSchema.shape.configs.element;
const inputSchema = configSchema.shape.inputs.options[0].element;

const INTEGER = /^-?\d+$/;

/** What an input's value may be; clients send numbers and booleans as JSON or as strings. */
function valueSchema(d: InputDecl): Schema {
  let value: Schema;
  switch (d.type) {
    case 'STRING':
      value = z.string();
      break;
    case 'INTEGER': {
      const checks = [
        ...(d.min !== undefined ? [z.minimum(d.min)] : []),
        ...(d.max !== undefined ? [z.maximum(d.max)] : []),
      ];
      value = z.union([checks.length ? z.int().check(...checks) : z.int(), z.string().check(z.regex(INTEGER))]);
      break;
    }
    case 'BOOLEAN':
      value = z.union([z.boolean(), z.enum(['true', 'false'])]);
      break;
    case 'ENUM':
      value = z.enum((d.values ?? []) as [string, ...string[]]);
      break;
  }
  const notes = [
    d.description,
    d.mandatory ? 'Mandatory.' : undefined,
    d.type === 'INTEGER' && (d.min !== undefined || d.max !== undefined) ? `Between ${d.min ?? '-∞'} and ${d.max ?? '∞'}.` : undefined,
    d.secret ? `Encrypted at rest; reads show ${SECRET_MASK}.` : undefined,
  ].filter(Boolean);
  return doc(value, {
    ...(notes.length ? { description: notes.join(' ') } : {}),
    ...(d.default !== undefined ? { default: d.default } : {}),
    ...(d.secret ? { writeOnly: true } : {}),
  });
}

/** One declared input as CDM's `{"name": …, "value": …}`: the handler's input schema with this name and value. */
function inputDoc(d: InputDecl): Schema {
  const values = doc(z.optional(valueSchema(d)), { deprecated: true, description: 'Older SDKs\' spelling of value.' });
  return doc(z.extend(inputSchema, { name: z.literal(d.name), value: z.optional(valueSchema(d)), values }), {
    title: d.name,
    ...(d.mandatory ? { 'x-mandatory': true } : {}),
  });
}

const prefixOf = (name: string) => name.slice(0, name.indexOf('.'));
const oneOrUnion = (options: Schema[]): Schema =>
  options.length === 1 ? options[0]! : options.length ? z.union(options) : z.never();

/** A `*-config-values` block holding exactly `decls`, one config per name prefix, mandatory inputs required. */
function configValuesDoc(id: string, decls: readonly InputDecl[], description: string): Schema {
  const prefixes = [...new Set(decls.map((d) => prefixOf(d.name)))];
  const configs = prefixes.map((prefix) =>
    z.extend(configSchema, {
      name: z.literal(prefix),
      inputs: z.array(oneOrUnion(decls.filter((d) => prefixOf(d.name) === prefix).map(inputDoc))),
    }),
  );
  // "Mandatory" in JSON Schema terms: some config holds the input (validateInputs' rule).
  const mandatory = decls.filter((d) => d.mandatory && d.default === undefined);
  const contains = mandatory.map((d) => ({
    contains: {
      type: 'object',
      properties: {
        name: { const: prefixOf(d.name) },
        inputs: { contains: { type: 'object', properties: { name: { const: d.name } }, required: ['name'] } },
      },
      required: ['name', 'inputs'],
    },
  }));
  const configsArray = doc(z.array(oneOrUnion(configs)), contains.length ? { allOf: contains } : {});
  return doc(z.extend(configValuesSchema, { configs: configsArray }), { id, description });
}

const pascal = (name: string) => name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());

/** Every connector's inputs for one side, as alternatives (a body holds one connector's). */
function perConnector(connectors: Connector[], side: 'Link' | 'From' | 'To'): Schema {
  return oneOrUnion(
    connectors.map((c) => {
      const decls = side === 'Link' ? c.linkInputs : side === 'From' ? c.fromInputs : c.toInputs;
      const what = side === 'Link' ? 'link-config-values' : side === 'From' ? 'from-config-values (source)' : 'to-config-values (destination)';
      return configValuesDoc(`${pascal(c.name)}${side}ConfigValues`, decls, `${what} of a ${c.name} ${side === 'Link' ? 'link' : 'job'}.`);
    }),
  );
}

/** Replaces an array schema's element, keeping its checks (and their messages). */
function withElement(array: core.$ZodArray, element: Schema): Schema {
  // _zod.def is zod 4's public definition of a schema (what .def shows on classic ones).
  return z.array(element).check(...((array._zod.def.checks ?? []) as core.$ZodCheck<unknown[]>[]));
}

const connectorNames = (cs: Connector[]) => z.enum(cs.map((c) => c.name) as [string, ...string[]]);

function requestSchemas() {
  const connectors = allConnectors();
  const sources = connectors.filter((c) => c.openSource);
  const sinks = connectors.filter((c) => c.openSink);
  const link = z.extend(linkBodySchema, {
    'connector-name': connectorNames(connectors),
    'link-config-values': perConnector(connectors, 'Link'),
  });
  const job = z.extend(jobBodySchema, {
    'from-connector-name': connectorNames(sources),
    'to-connector-name': connectorNames(sinks),
    'from-config-values': perConnector(sources, 'From'),
    'to-config-values': perConnector(sinks, 'To'),
    'driver-config-values': configValuesDoc(
      'DriverConfigValues',
      driverInputs,
      `driver-config-values: task settings of any job (${DRIVER_CONFIGS.join(', ')}).`,
    ),
  });
  return {
    link: doc(link, { id: 'Link' }),
    job: doc(job, { id: 'Job' }),
    links: doc(z.extend(createLinksBodySchema, { links: withElement(createLinksBodySchema.shape.links, link) }), { id: 'LinksBody' }),
    jobs: doc(z.extend(createJobsBodySchema, { jobs: withElement(createJobsBodySchema.shape.jobs, job) }), { id: 'JobsBody' }),
    randomClusterJobs: doc(
      z.extend(randomClusterJobsBodySchema, { jobs: withElement(randomClusterJobsBodySchema.shape.jobs, job) }),
      { id: 'RandomClusterJobsBody' },
    ),
    cluster: doc(createClusterBodySchema, { id: 'CreateClusterBody' }),
    start: doc(startBodySchema, { id: 'StartJobBody', description: 'Optional. `variables` feed the job\'s ${…} macros.' }),
  };
}

// ---- responses: what the render functions in lib/model return ----
// The e2e test parses real responses with these, so they stay true.

const audit = {
  'creation-user': z.string(),
  'creation-date': z.int(),
  'update-user': z.string(),
  'update-date': z.int(),
};

function responseSchemas(req: ReturnType<typeof requestSchemas>) {
  const cluster = doc(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      statusCode: z.string(),
      maxConcurrentJobs: z.int(),
      created: doc(z.string(), { description: 'ISO 8601 time.' }),
    }),
    { id: 'Cluster' },
  );
  const startSubmission = doc(
    z.looseObject({
      'job-name': z.string(),
      'submission-id': z.int(),
      'creation-user': z.string(),
      'creation-date': z.int(),
      'execute-date': z.int(),
      'last-update-date': z.int(),
      'last-update-user': z.string(),
      progress: z.number(),
      status: z.enum(SUBMISSION_STATUSES),
      isIncrementing: z.boolean(),
      'is-execute-auto': z.boolean(),
      isDeleteJob: z.boolean(),
      write_rows: z.int(),
    }),
    { id: 'StartJobSubmission' },
  );
  const submission = doc(
    z.extend(startSubmission, {
      'external-id': z.string(),
      counters: z.record(z.string(), z.record(z.string(), z.int())),
      'error-summary': z.optional(z.string()),
      'error-details': z.optional(z.string()),
    }),
    { id: 'Submission', description: 'One run of a job; error-summary and error-details only when it failed.' },
  );
  const neverRun = doc(
    z.looseObject({ 'job-name': z.string(), status: z.literal('NEVER_EXECUTED'), progress: z.number() }),
    { id: 'NeverExecuted' },
  );
  const validation = z.looseObject({ 'validation-result': z.array(z.looseObject({})) });
  const created = doc(z.extend(validation, { name: doc(z.string(), { description: 'The last created name.' }) }), { id: 'Created' });
  const page = { total: z.int(), page_no: z.int(), page_size: z.int() };
  return {
    cluster,
    clusterCreated: doc(z.looseObject({ id: z.string(), name: z.string() }), { id: 'ClusterCreated' }),
    clusters: doc(z.looseObject({ clusters: z.array(cluster) }), { id: 'ClusterList' }),
    created,
    validation: doc(validation, { id: 'ValidationResult' }),
    empty: doc(z.looseObject({}), { id: 'Empty' }),
    links: doc(
      z.looseObject({ links: z.array(doc(z.extend(req.link, { enabled: z.boolean(), ...audit }), { id: 'LinkRead' })) }),
      { id: 'LinkList' },
    ),
    jobs: doc(
      z.looseObject({ jobs: z.array(doc(z.extend(req.job, { status: z.string(), ...audit }), { id: 'JobRead' })), ...page }),
      { id: 'JobList' },
    ),
    started: doc(z.looseObject({ submissions: z.array(startSubmission) }), { id: 'StartJobResponse' }),
    status: doc(z.looseObject({ submissions: z.array(z.union([submission, neverRun])) }), { id: 'JobStatus' }),
    history: doc(z.looseObject({ submissions: z.array(submission), ...page }), { id: 'SubmissionHistory' }),
    linkTestFailed: doc(
      z.looseObject({
        'validation-result': z.array(z.record(z.string(), z.array(z.looseObject({ message: z.string(), status: z.literal('ERROR') })))),
      }),
      { id: 'LinkTestFailed', description: 'The link\'s connection test failed (CDM answers this with HTTP 500); nothing was written.' },
    ),
    openapi: doc(z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }), {
      id: 'OpenApiDocument',
    }),
  };
}

/** CDM's error body, as lib/api/http.ts errorResponse writes it. */
const cdmError = doc(z.object({ errCode: z.string(), externalMessage: z.string() }) satisfies z.ZodMiniType<CdmErrorBody>, {
  id: 'CdmError',
  description: 'errCode is CDM\'s code (Cdm.0014 …, APIGW.0301 for token failures); externalMessage says what was wrong (a 5xx says only "internal error" and a request id).',
});

// ---- the route table ----

export interface RouteDoc {
  /** The function's name in serverless.yml. */
  readonly function: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As serverless.yml writes it, with a leading slash. */
  readonly path: string;
  /** What the handler authorizes; none for the API description itself, which is public. */
  readonly permission?: Permission;
  /** Permissions lib/ checks besides (create-and-start also starts). */
  readonly alsoNeeds?: readonly Permission[];
  readonly summary: string;
  readonly query?: Schema;
  readonly body?: { schema: Schema; required: boolean };
  readonly response: Schema;
  /** A 500 body besides CdmError (lib/errors.ts LinkTestError: the link's connection test failed). */
  readonly failure?: Schema;
}

const CLUSTER = '/v1.1/{project_id}/clusters/{cluster_id}';

function routes(): RouteDoc[] {
  const req = requestSchemas();
  const res = responseSchemas(req);
  const jobs = { schema: req.jobs, required: true };
  const links = { schema: req.links, required: true };
  return [
    { function: 'clustersCreate', method: 'POST', path: '/v1.1/{project_id}/clusters', permission: 'cdm:cluster:create', summary: 'Create a cluster', body: { schema: req.cluster, required: true }, response: res.clusterCreated },
    { function: 'clustersList', method: 'GET', path: '/v1.1/{project_id}/clusters', permission: 'cdm:cluster:list', summary: 'List clusters', response: res.clusters },
    { function: 'clustersShow', method: 'GET', path: CLUSTER, permission: 'cdm:cluster:get', summary: 'Show a cluster', response: res.cluster },
    { function: 'clustersDelete', method: 'DELETE', path: CLUSTER, permission: 'cdm:cluster:delete', summary: 'Delete a cluster with its links, jobs and history', response: res.empty },
    {
      function: 'linksCreate', method: 'POST', path: `${CLUSTER}/cdm/link`, permission: 'cdm:link:create', summary: 'Create links',
      // The handler reads this flag directly (req.query('validate') === 'true'), not through a schema.
      query: z.object({ validate: doc(z.optional(z.enum(['true', 'false'])), { description: 'true: check the links and create nothing.' }) }),
      body: links, response: res.created, failure: res.linkTestFailed,
    },
    { function: 'linksShow', method: 'GET', path: `${CLUSTER}/cdm/link/{link_name}`, permission: 'cdm:link:get', summary: 'Show a link (secrets masked)', response: res.links },
    { function: 'linksUpdate', method: 'PUT', path: `${CLUSTER}/cdm/link/{link_name}`, permission: 'cdm:link:update', summary: 'Modify a link', body: links, response: res.validation, failure: res.linkTestFailed },
    { function: 'linksDelete', method: 'DELETE', path: `${CLUSTER}/cdm/link/{link_name}`, permission: 'cdm:link:delete', summary: 'Delete a link no job uses', response: res.empty },
    { function: 'jobsCreate', method: 'POST', path: `${CLUSTER}/cdm/job`, permission: 'cdm:job:create', summary: 'Create jobs', body: jobs, response: res.created },
    {
      function: 'jobsShow', method: 'GET', path: `${CLUSTER}/cdm/job/{job_name}`, permission: 'cdm:job:get',
      summary: 'Show a job, or with job_name `all` a page of the cluster\'s jobs', query: listQuerySchema, response: res.jobs,
    },
    { function: 'jobsUpdate', method: 'PUT', path: `${CLUSTER}/cdm/job/{job_name}`, permission: 'cdm:job:update', summary: 'Modify a job', body: jobs, response: res.validation },
    { function: 'jobsDelete', method: 'DELETE', path: `${CLUSTER}/cdm/job/{job_name}`, permission: 'cdm:job:delete', summary: 'Delete an idle job and its history', response: res.empty },
    {
      function: 'jobStart', method: 'PUT', path: `${CLUSTER}/cdm/job/{job_name}/start`, permission: 'cdm:job:start',
      summary: 'Start a job; answers at once with the BOOTING submission', body: { schema: req.start, required: false }, response: res.started,
    },
    {
      function: 'jobsCreateAndStart', method: 'POST', path: '/v1.1/{project_id}/clusters/job', permission: 'cdm:job:create', alsoNeeds: ['cdm:job:start'],
      summary: 'Create jobs in one of the named clusters, picked at random among those that exist, and start them',
      body: { schema: req.randomClusterJobs, required: true }, response: res.started,
    },
    { function: 'jobStop', method: 'PUT', path: `${CLUSTER}/cdm/job/{job_name}/stop`, permission: 'cdm:job:stop', summary: 'Stop a running job', response: res.validation },
    { function: 'jobStatus', method: 'GET', path: `${CLUSTER}/cdm/job/{job_name}/status`, permission: 'cdm:job:status', summary: 'The job\'s latest submission', response: res.status },
    {
      function: 'submissions', method: 'GET', path: `${CLUSTER}/cdm/submissions`, permission: 'cdm:submission:list',
      summary: 'A job\'s execution history, newest first', query: historyQuerySchema, response: res.history,
    },
    { function: 'openapi', method: 'GET', path: '/v1.1/openapi.json', summary: 'This API description (public: no token)', response: res.openapi },
  ];
}

let cached: RouteDoc[] | undefined;
/** Every HTTP route with what it accepts, answers and needs. */
export function apiRoutes(): readonly RouteDoc[] {
  return (cached ??= routes());
}

// ---- the document ----

const PATH_PARAMS: Record<string, { schema: Schema; description: string }> = {
  project_id: { schema: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)), description: 'Project the token must name.' },
  cluster_id: { schema: z.string(), description: 'Cluster id, as the cluster create call returns it.' },
  link_name: { schema: resourceName, description: 'Link name.' },
  job_name: { schema: resourceName, description: 'Job name.' },
};

const COMPONENT = '#/components/schemas/';
/** An inline schema (parameters): these hold no component, so need no references. */
const json = (schema: Schema): JsonSchema => {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input', metadata: docs, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};
/** Bodies are components, so create and update share one Job schema. */
const ref = (schema: Schema): JsonSchema => {
  const id = docs.get(schema)?.id;
  if (!id) throw new Error('request and response bodies must be named components (doc(schema, { id }))');
  return { $ref: `${COMPONENT}${id}` };
};
const content = (schema: JsonSchema) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: content({ $ref: `${COMPONENT}CdmError` }) });

function operation(r: RouteDoc) {
  const pathParams = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const query = r.query ? (json(r.query) as { properties?: Record<string, JsonSchema>; required?: string[] }) : undefined;
  const needs = r.permission ? [r.permission, ...(r.alsoNeeds ?? [])] : [];
  const grantedBy = Object.entries(ROLES).filter(([, ps]) => needs.every((p) => ps.includes(p))).map(([role]) => role);
  return {
    operationId: r.function,
    summary: r.summary,
    description: r.permission
      ? `Needs ${needs.map((p) => `\`${p}\``).join(' and ')} on the project (granted by ${grantedBy.join(', ')}).`
      : 'Public: it describes the API and holds no project data, so it needs no X-Auth-Token.',
    ...(r.permission ? { 'x-permission': r.permission, ...(r.alsoNeeds ? { 'x-also-needs': r.alsoNeeds } : {}) } : { security: [] }),
    parameters: [
      ...pathParams.map((name) => ({
        name,
        in: 'path',
        required: true,
        description: PATH_PARAMS[name]?.description,
        schema: PATH_PARAMS[name] ? json(PATH_PARAMS[name].schema) : { type: 'string' },
      })),
      ...Object.entries(query?.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: query?.required?.includes(name) ?? false,
        ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
        schema,
      })),
    ],
    ...(r.body ? { requestBody: { required: r.body.required, content: content(ref(r.body.schema)) } } : {}),
    responses: {
      200: { description: 'OK', content: content(ref(r.response)) },
      ...(r.permission
        ? {
            400: errorResponse('The request is invalid; externalMessage names the field (Cdm.0014 and others).'),
            401: errorResponse('The X-Auth-Token is missing or not valid (APIGW.0301).'),
            403: errorResponse('The token is not valid for the project or lacks the permission (Cdm.0032).'),
            ...(pathParams.includes('cluster_id') ? { 404: errorResponse('The cluster does not exist (Cdm.0001).') } : {}),
          }
        : {}),
      500: r.failure
        ? {
            description: 'The connection test failed (validation-result), or an internal error.',
            content: content({ anyOf: [{ $ref: `${COMPONENT}CdmError` }, ref(r.failure)] }),
          }
        : errorResponse('Internal error; externalMessage gives a request id.'),
    },
  };
}

/** The OpenAPI 3.1 document of every route. */
export function openApiDocument() {
  const routes = apiRoutes(); // first: building the routes registers the components
  const { schemas } = z.toJSONSchema(docs, { io: 'input', metadata: docs, uri: (id) => `${COMPONENT}${id}`, unrepresentable: 'any' });
  const components: Record<string, JsonSchema> = {};
  for (const [id, s] of Object.entries(schemas)) {
    // Each entry comes as a standalone document; inside components.schemas the key is its name.
    const { $schema: _s, $id: _i, ...rest } = s as JsonSchema;
    components[id] = rest;
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ferry: CDM v1.1 job & link API',
      version: '1.1',
      description:
        'Huawei Cloud CDM v1.1 compatible API. Every call but this description needs an X-Auth-Token (a JWT naming the ' +
        'projects and permissions it holds); errors answer with CDM\'s body {errCode, externalMessage}.',
    },
    security: [{ XAuthToken: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        XAuthToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A JWT naming `projects`, `roles` and/or `permissions`.' },
      },
    },
  };
}
