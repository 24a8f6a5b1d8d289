// The AWS wiring of schedules and events, read from serverless.yml and deploy/roles.cjs
// (the full offline `serverless package` checks are in test/integration/serverless-package.test.ts;
// running a second package here would race it for .build/): who may invoke the new
// functions, the role EventBridge Scheduler assumes, and the scheduler grants.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const cfn = ['Ref', 'Sub', 'GetAtt'].map((name) => ({ tag: `!${name}`, resolve: (v: string) => ({ [name]: v }) }));
const functions: Record<string, any> = parse(readFileSync(resolve(root, 'serverless.yml'), 'utf8'), { customTags: cfn }).functions;
const resources: Record<string, { Type: string; Properties: any }> = require(resolve(root, 'deploy/roles.cjs'))().Resources;
const eventKinds = (fn: string) => (functions[fn].events ?? []).map((e: object) => Object.keys(e)[0]).sort();
const statements = (role: string) => resources[role]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
const actionsOf = (role: string, service: string) => statements(role).flatMap((s: any) => s.Action).filter((a: string) => a.startsWith(`${service}:`)).sort();

describe('schedules and events on AWS', () => {
  // osls grants lambda:InvokeFunction to exactly the services of a function's events.
  it('only S3 and EventBridge may invoke the event handlers; nothing but the invoke role may invoke the scheduler', () => {
    expect(eventKinds('eventsS3')).toEqual(['eventBridge', 's3']);
    expect(eventKinds('eventsStart')).toEqual(['eventBridge']);
    expect(functions.eventsStart.events[0].eventBridge.eventBus).toBeDefined(); // Ferry's own bus, not the default one
    expect(eventKinds('scheduler')).toEqual([]);
  });

  it('EventBridge Scheduler assumes a role that may only invoke the scheduler function', () => {
    const role = resources.SchedulerInvokeRole!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({ Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' })]);
    expect(statements('SchedulerInvokeRole')).toEqual([{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: { 'Fn::Sub': expect.stringMatching(/:function:\$\{AWS::StackName\}-scheduler$/) } }]);
  });

  it('job writers and the executor manage schedules only in the stage group, and may pass only the invoke role', () => {
    const write = ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule'];
    for (const role of ['JobsCreateRole', 'JobsUpdateRole', 'ExecutorRole']) {
      expect(actionsOf(role, 'scheduler'), role).toEqual(write);
      expect(actionsOf(role, 'iam'), role).toEqual(['iam:PassRole']);
    }
    expect(actionsOf('JobsDeleteRole', 'scheduler')).toEqual(['scheduler:DeleteSchedule']);
    expect(actionsOf('JobsShowRole', 'scheduler')).toEqual([]);
    const scheduled = statements('JobsCreateRole').find((s: any) => s.Action.includes('scheduler:CreateSchedule'));
    expect(scheduled.Resource['Fn::Sub']).toMatch(/:schedule\/\$\{SchedulerGroup\}\/\*$/);
    const pass = statements('JobsCreateRole').find((s: any) => s.Action.includes('iam:PassRole'));
    expect(pass.Resource['Fn::Sub']).toMatch(/:role\/\$\{AWS::StackName\}-scheduler-invoke$/);
  });
});
