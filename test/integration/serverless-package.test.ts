// Builds the Lambda artifacts and runs `serverless package` (osls) offline, then checks
// the CloudFormation it would deploy: routing, the executor's queue wiring, the table's
// protection, and least-privilege IAM. `package` needs no AWS account and no network;
// fake credentials and an emptied AWS_* environment make sure that, if a future variable
// (${ssm:…}, ${aws:accountId}) reached for AWS, it would fail here rather than quietly use
// a developer's real profile.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

// CloudFormation JSON is loosely shaped; these tests read it defensively.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;
interface Resource {
  Type: string;
  Properties: Json;
}
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Principal?: Json;
  Resource?: Json;
}

let dir: string;
let resources: Record<string, Resource>;
/** serverless-state.json's functions: name → { handler, name (deployed), package, events … }. */
let functions: Record<string, Json>;

function run(label: string, args: string[], env: NodeJS.ProcessEnv): void {
  try {
    execFileSync(process.execPath, args, { cwd: root, env, stdio: 'pipe', timeout: 60_000 });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`${label} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-sls-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: 'AKIAFERRYOFFLINETEST',
    AWS_SECRET_ACCESS_KEY: 'offline-test-not-a-secret',
    AWS_REGION: 'eu-west-1',
    // osls caches its compiled config-schema validator here (default: ~/.serverless).
    SLS_SCHEMA_CACHE_BASE_DIR: join(dir, 'cache'),
  });
  run('npm run build (scripts/build.ts)', [require.resolve('tsx/cli'), 'scripts/build.ts'], env);
  run('serverless package', [require.resolve('serverless/bin/serverless.js'), 'package', '--package', join(dir, 'out')], env);
  const template = JSON.parse(readFileSync(join(dir, 'out', 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
  functions = JSON.parse(readFileSync(join(dir, 'out', 'serverless-state.json'), 'utf8')).service.functions;
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- template helpers ----

const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Logical ids a value refers to through Ref, Fn::GetAtt or Fn::Sub. */
function refsIn(value: Json): Set<string> {
  const out = new Set<string>();
  const walk = (v: Json): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    if (typeof v.Ref === 'string') out.add(v.Ref);
    if (Array.isArray(v['Fn::GetAtt'])) out.add(v['Fn::GetAtt'][0]);
    if (typeof v['Fn::GetAtt'] === 'string') out.add(v['Fn::GetAtt'].split('.')[0]!);
    for (const sub of list(v['Fn::Sub'])) {
      if (typeof sub === 'string') for (const m of sub.matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) out.add(m[1]!);
    }
    Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}

/** Does an IAM action pattern (`dynamodb:Put*`, case-insensitive) cover `action`? */
function covers(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(action);
}

/** Every policy document in the template (anything with Statement entries that have an Effect), by location. */
function policyDocuments(): { where: string; statements: Statement[] }[] {
  const docs: { where: string; statements: Statement[] }[] = [];
  const walk = (v: Json, where: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}[${i}]`));
    if (!v || typeof v !== 'object') return;
    const statements = list<Statement>(v.Statement);
    if (statements.length && statements.every((s) => s && typeof s === 'object' && 'Effect' in s)) {
      docs.push({ where, statements });
    }
    for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
  };
  for (const [id, r] of Object.entries(resources)) walk(r.Properties, `${id} (${r.Type})`);
  return docs;
}

/** The function's Allow statements, from its role's inline policies and any policy resource attached to the role. */
function grantsOf(fn: string): { role: string; allows: Statement[] } {
  const lambda = lambdaOf(fn);
  const role = [...refsIn(lambda.Properties.Role)][0];
  expect(role && resources[role]?.Type, `${fn}: its Role must be an AWS::IAM::Role defined in the template`).toBe('AWS::IAM::Role');
  const props = resources[role!]!.Properties;
  expect(props.ManagedPolicyArns ?? [], `${fn}: role ${role} attaches managed policies this test cannot inspect`).toEqual([]);
  const docs = list<Json>(props.Policies).map((p) => p.PolicyDocument);
  for (const [, r] of [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')]) {
    if (refsIn(r.Properties.Roles).has(role!)) docs.push(r.Properties.PolicyDocument);
  }
  const allows = docs.flatMap((d) => list<Statement>(d.Statement)).filter((s) => s.Effect === 'Allow');
  return { role: role!, allows };
}

/** Resources (their logical ids, or '*') on which the function may perform `action`. */
function mayDo(fn: string, action: string): Set<string> {
  const on = new Set<string>();
  for (const s of grantsOf(fn).allows) {
    if (!list(s.Action).some((a) => covers(a, action))) continue;
    for (const r of list<Json>(s.Resource)) {
      if (r === '*') on.add('*');
      else refsIn(r).forEach((id) => on.add(id));
    }
  }
  return on;
}

function lambdaOf(fn: string): Resource {
  const name = functions[fn]?.name;
  const found = ofType('AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === name);
  expect(found, `no AWS::Lambda::Function for serverless function ${fn}`).toBeDefined();
  return found![1];
}

const functionNames = () => Object.keys(functions);
const handlerOf = (fn: string): string => functions[fn].handler;

// ---- the checks ----

describe('serverless package (offline)', () => {
  it('packages every function from its own build artifact, with the bundle where its handler points', () => {
    for (const fn of functionNames()) {
      const artifact = functions[fn].package?.artifact as string | undefined;
      expect(artifact, `${fn}: set package.artifact to .build/${fn}.zip in serverless.yml`).toBe(`.build/${fn}.zip`);
      expect(existsSync(join(root, artifact!)), `${artifact} was not built by scripts/build.ts`).toBe(true);
      const module = handlerOf(fn).slice(0, handlerOf(fn).lastIndexOf('.'));
      // Zip entry names are stored uncompressed, so the bytes contain the path.
      expect(readFileSync(join(root, artifact!)).includes(`${module}.js`), `${artifact} has no ${module}.js`).toBe(true);
      expect(String(lambdaOf(fn).Properties.Code.S3Key), `${fn}'s code is not its artifact`).toMatch(new RegExp(`/${fn}\\.zip$`));
    }
  });

  it('routes PUT …/cdm/job/{job_name}/start to the jobStart Lambda', () => {
    // Rebuild each API Gateway resource's full path from its PathPart and parents.
    const paths = new Map<string, string>();
    const pathOf = (id: string): string => {
      if (!paths.has(id)) {
        const r = resources[id]!;
        const parent = [...refsIn(r.Properties.ParentId)].find((p) => resources[p]?.Type === 'AWS::ApiGateway::Resource');
        paths.set(id, `${parent ? pathOf(parent) : ''}/${r.Properties.PathPart}`);
      }
      return paths.get(id)!;
    };
    const wanted = '/v1.1/{project_id}/clusters/{cluster_id}/cdm/job/{job_name}/start';
    const methods = ofType('AWS::ApiGateway::Method').filter(([, m]) => {
      const res = [...refsIn(m.Properties.ResourceId)][0];
      return m.Properties.HttpMethod === 'PUT' && res !== undefined && pathOf(res) === wanted;
    });
    expect(methods.length, `expected one API Gateway PUT method on ${wanted}; found ${methods.length}`).toBe(1);
    const integration = methods[0]![1].Properties.Integration;
    expect(integration?.Type, 'the start method must be a Lambda proxy integration').toBe('AWS_PROXY');
    const targets = [...refsIn(integration.Uri)].filter((id) => resources[id]?.Type === 'AWS::Lambda::Function');
    expect(targets.length, `the start method's Integration Uri names no Lambda function: ${JSON.stringify(integration.Uri)}`).toBe(1);
    expect(resources[targets[0]!]!.Properties.Handler, 'PUT …/start integrates with the wrong function').toBe(
      'handlers/http/job-start.handler',
    );
    const permitted = ofType('AWS::Lambda::Permission').some(
      ([, p]) => refsIn(p.Properties.FunctionName).has(targets[0]!) && p.Properties.Principal === 'apigateway.amazonaws.com',
    );
    expect(permitted, 'API Gateway has no lambda:InvokeFunction permission on the start function').toBe(true);
  });

  it('feeds the executor from the execution queue one message at a time, with partial failures and a DLQ', () => {
    const executor = Object.entries(resources).find(([, r]) => r === lambdaOf('executor'))![0];
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => refsIn(m.Properties.FunctionName).has(executor));
    expect(mappings.length, 'the executor has no SQS event source mapping').toBe(1);
    const m = mappings[0]![1].Properties;
    expect([...refsIn(m.EventSourceArn)], 'the executor must read the ExecutionQueue').toEqual(['ExecutionQueue']);
    expect(m.BatchSize, 'executor BatchSize must be 1 (one execution message per invocation)').toBe(1);
    expect(m.FunctionResponseTypes, 'the executor must report partial batch failures').toEqual(['ReportBatchItemFailures']);

    const queue = resources.ExecutionQueue!;
    expect(queue.Type).toBe('AWS::SQS::Queue');
    const redrive = queue.Properties.RedrivePolicy;
    expect(redrive, 'ExecutionQueue needs a RedrivePolicy so poison messages end in a dead-letter queue').toBeDefined();
    const dlq = [...refsIn(redrive.deadLetterTargetArn)][0];
    expect(dlq && resources[dlq]?.Type, 'the RedrivePolicy must target an SQS queue in this stack').toBe('AWS::SQS::Queue');
    expect(dlq, 'the dead-letter queue must not be the queue itself').not.toBe('ExecutionQueue');
    expect(redrive.maxReceiveCount, 'maxReceiveCount must be a positive number').toBeGreaterThan(0);
  });

  it('keeps the table on demand, with point-in-time recovery and encryption at rest', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables.length, 'expected exactly one DynamoDB table').toBe(1);
    const t = tables[0]![1].Properties;
    expect(t.BillingMode, 'the table must be PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
    expect(t.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled, 'point-in-time recovery must be on').toBe(true);
    expect(t.SSESpecification?.SSEEnabled, 'server-side encryption must be on').toBe(true);
  });

  it('refers only to resources the template defines (every role belongs to a function)', () => {
    const pseudo = (id: string) => id.startsWith('AWS::');
    const dangling = Object.entries(resources).flatMap(([id, r]) =>
      [...refsIn(r)].filter((ref) => !pseudo(ref) && !(ref in resources)).map((ref) => `${id} refers to ${ref}`),
    );
    expect(dangling, `references to resources that do not exist:\n${dangling.join('\n')}`).toEqual([]);
  });

  it('grants no wildcard actions in any policy, the KMS key policy included', () => {
    const docs = policyDocuments();
    const keys = ofType('AWS::KMS::Key');
    expect(keys.length, 'expected the secrets KMS key').toBeGreaterThan(0);
    for (const [id] of keys) expect(docs.some((d) => d.where.startsWith(`${id} `)), `${id}'s key policy was not found`).toBe(true);
    expect(docs.some((d) => d.where.includes('AWS::IAM::Role')), 'no role policies found to check').toBe(true);

    // A wildcard in a Deny only narrows access (osls's deployment bucket denies s3:* without
    // TLS); what must never be broad is what is allowed.
    const offenders = docs.flatMap(({ where, statements }) =>
      statements
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => [
          ...list(s.Action)
            .filter((a) => typeof a !== 'string' || a === '*' || a.endsWith(':*'))
            .map((a) => `${where}: Allow ${JSON.stringify(a)}`),
          ...(s.NotAction ? [`${where}: Allow with NotAction ${JSON.stringify(s.NotAction)}`] : []),
        ]),
    );
    expect(offenders, `wildcard actions allowed; name the actions instead:\n${offenders.join('\n')}`).toEqual([]);
  });

  describe('least privilege per function', () => {
    it('gives each function a role of its own, naming specific resources', () => {
      const owners = new Map<string, string[]>();
      for (const fn of functionNames()) {
        const { role, allows } = grantsOf(fn);
        owners.set(role, [...(owners.get(role) ?? []), fn]);
        for (const s of allows) {
          expect(list<Json>(s.Resource), `${fn} (${role}) allows ${JSON.stringify(s.Action)} on Resource "*"`).not.toContain('*');
        }
      }
      const shared = [...owners].filter(([, fns]) => fns.length > 1).map(([role, fns]) => `${role}: ${fns.join(', ')}`);
      expect(shared, `functions share a role; give each its own:\n${shared.join('\n')}`).toEqual([]);
    });

    it('does not let the read-only (GET) HTTP functions write to the table', () => {
      const readers = functionNames().filter((fn) =>
        list<Json>(functions[fn].events).some((e) => String(e.http?.method).toLowerCase() === 'get'),
      );
      expect(readers.length, 'expected GET functions (clustersList, linksShow, jobsShow, jobStatus …)').toBeGreaterThan(0);
      for (const fn of readers) {
        for (const action of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']) {
          expect([...mayDo(fn, `dynamodb:${action}`)], `${fn} only reads, yet may dynamodb:${action}`).toEqual([]);
        }
      }
    });

    it('lets only the starters (jobStart, jobsCreateAndStart, scheduler, eventsS3, eventsStart), executor and reaper send to the execution queue', () => {
      // issue 7: scheduled and event-triggered starts go through the same start, so they send too.
      const senders = new Set(['jobStart', 'jobsCreateAndStart', 'scheduler', 'eventsS3', 'eventsStart', 'executor', 'reaper']);
      for (const fn of functionNames()) {
        const on = [...mayDo(fn, 'sqs:SendMessage')];
        if (senders.has(fn)) expect(on, `${fn} must be allowed sqs:SendMessage on ExecutionQueue (only)`).toEqual(['ExecutionQueue']);
        else expect(on, `${fn} must not be allowed sqs:SendMessage (only ${[...senders].join(', ')} queue work)`).toEqual([]);
      }
    });

    it('lets only the link writers seal (GenerateDataKey), and only the executor and link modify (to test the connection) open link secrets', () => {
      const needs: Record<string, string[]> = {
        linksCreate: ['kms:GenerateDataKey'],
        linksUpdate: ['kms:GenerateDataKey', 'kms:Decrypt'],
        executor: ['kms:Decrypt'],
      };
      const uses = ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:CreateGrant'];
      for (const fn of functionNames()) {
        for (const action of uses) {
          const on = [...mayDo(fn, action)];
          if (needs[fn]?.includes(action)) expect(on, `${fn} needs ${action} on SecretsKey (only)`).toEqual(['SecretsKey']);
          else expect(on, `${fn} must not be allowed ${action}`).toEqual([]);
        }
      }
      // Roles get key use only through IAM: the key policy itself names no other principal
      // for use, so the role policies above are the whole story.
      const keyPolicy = resources.SecretsKey!.Properties.KeyPolicy;
      for (const s of list<Statement>(keyPolicy.Statement).filter((s) => s.Effect === 'Allow')) {
        if (!list(s.Action).some((a) => uses.some((u) => covers(a, u)))) continue;
        const principals = list<Json>(s.Principal?.AWS);
        expect(
          principals.length > 0 && principals.every((p) => JSON.stringify(p).includes(':root')),
          `key policy statement granting ${JSON.stringify(s.Action)} must name only the account root (IAM decides), not ${JSON.stringify(s.Principal)}`,
        ).toBe(true);
      }
    });
  });
});
