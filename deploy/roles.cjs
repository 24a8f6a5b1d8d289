// One least-privilege IAM role per function, generated from the table below so each
// function's grants are one line. serverless.yml names the role (`role: <Function>Role`)
// and merges these resources in. The actions are the calls the function's code path
// makes (lib/store repositories, lib/queue, lib/secrets); anything missing fails on AWS
// with AccessDenied, anything extra is a grant nobody needs.
//
// table: DynamoDB actions on the table; index: on its gsi1 index;
// queue: SQS actions on the execution queue; key: KMS actions on the secrets key.
// issue 7 — schedules: EventBridge Scheduler actions on the stage group's schedules;
// passRole: may hand SchedulerInvokeRole to EventBridge Scheduler (needed to create one).
const READ = ['GetItem', 'Query'];
// issue 7: saving a job saves its automation item and S3 binding and arms its schedule.
const SCHEDULE_WRITE = ['CreateSchedule', 'UpdateSchedule', 'DeleteSchedule'];

const grants = {
  clustersCreate: { table: ['PutItem'] },
  clustersList: { table: ['Query'] },
  clustersShow: { table: ['GetItem'] },
  // Deletes the cluster's jobs, their history and its links, then the cluster.
  clustersDelete: { table: [...READ, 'DeleteItem'] },
  linksCreate: { table: ['GetItem', 'PutItem'], key: ['GenerateDataKey'] },
  linksShow: { table: ['GetItem'] },
  // A modified password is sealed anew; an unchanged one is opened to test the connection.
  linksUpdate: { table: ['GetItem', 'PutItem'], key: ['GenerateDataKey', 'Decrypt'] },
  // Refused while a job uses the link: reads the cluster's jobs first.
  linksDelete: { table: [...READ, 'DeleteItem'] },
  jobsCreate: { table: ['GetItem', 'PutItem', 'UpdateItem'], schedules: SCHEDULE_WRITE, passRole: true },
  jobsShow: { table: READ },
  jobsUpdate: { table: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], schedules: SCHEDULE_WRITE, passRole: true },
  jobsDelete: { table: [...READ, 'DeleteItem'], schedules: ['DeleteSchedule'] },
  // Claim (UpdateItem on the job), submission (PutItem), queue message; Query repairs a stale claim.
  jobStart: { table: [...READ, 'PutItem', 'UpdateItem'], queue: ['SendMessage'] },
  // Creates the jobs in a cluster it picks, then starts them as jobStart does.
  jobsCreateAndStart: { table: [...READ, 'PutItem', 'UpdateItem'], queue: ['SendMessage'], schedules: SCHEDULE_WRITE, passRole: true },
  jobStop: { table: ['GetItem', 'UpdateItem'] },
  jobStatus: { table: READ },
  submissions: { table: READ },
  // The public API description: built from code, touches no table, queue or key.
  openapi: {},
  // Receive/Delete/GetQueueAttributes serve the SQS event source; SendMessage hands over to a continuation.
  executor: {
    table: ['GetItem', 'UpdateItem', 'PutItem', 'Query', 'DeleteItem'],
    queue: ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes', 'SendMessage'],
    key: ['Decrypt'],
  },
  reaper: { table: ['UpdateItem'], index: ['Query'], queue: ['SendMessage'] },
  // issue 7. A tick is a start (claim, put, send), a skip record, or clean-up of a deleted job's schedule.
  scheduler: { table: [...READ, 'PutItem', 'UpdateItem', 'DeleteItem'], queue: ['SendMessage'], schedules: ['DeleteSchedule'] },
  // Looks up the bucket's bindings (Query), adds/takes pending events (UpdateItem), starts.
  eventsS3: { table: [...READ, 'PutItem', 'UpdateItem'], queue: ['SendMessage'] },
  eventsStart: { table: [...READ, 'PutItem', 'UpdateItem'], queue: ['SendMessage'] },
};
// issue 7: the executor's end-of-run work (lib/schedules/after-run.ts): RETRY_TRIPLE arms a
// one-time schedule, disposableType deletes the job (and its schedule), coalesced S3 events
// start a follow-up run (PutItem, Query).
grants.executor.schedules = SCHEDULE_WRITE;
grants.executor.passRole = true;

const schedulesArn = { 'Fn::Sub': 'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${SchedulerGroup}/*' };
// Spelled out, not !GetAtt: every function's environment names the role, and the role names
// the scheduler function, so references would be circular. osls names the stack
// <service>-<stage> and a function <stack>-<function>.
const invokeRoleName = { 'Fn::Sub': '${AWS::StackName}-scheduler-invoke' };
const invokeRoleArn = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-scheduler-invoke' };
const schedulerFunctionArn = { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-scheduler' };

const pascal = (fn) => fn[0].toUpperCase() + fn.slice(1);

function role(fn, g) {
  const allow = (service, actions, resource) =>
    actions && actions.length ? [{ Effect: 'Allow', Action: actions.map((a) => `${service}:${a}`), Resource: resource }] : [];
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [
        {
          PolicyName: fn,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              // Only its own log group, which osls creates as <Function>LogGroup.
              ...allow('logs', ['CreateLogStream', 'PutLogEvents'], { 'Fn::GetAtt': [`${pascal(fn)}LogGroup`, 'Arn'] }),
              ...allow('dynamodb', g.table, { 'Fn::GetAtt': ['FerryTable', 'Arn'] }),
              ...allow('dynamodb', g.index, { 'Fn::Sub': '${FerryTable.Arn}/index/gsi1' }),
              ...allow('sqs', g.queue, { 'Fn::GetAtt': ['ExecutionQueue', 'Arn'] }),
              ...allow('kms', g.key, { 'Fn::GetAtt': ['SecretsKey', 'Arn'] }),
              ...allow('scheduler', g.schedules, schedulesArn), // issue 7
              ...(g.passRole ? allow('iam', ['PassRole'], invokeRoleArn) : []),
            ],
          },
        },
      ],
    },
  };
}

// issue 7: the role EventBridge Scheduler assumes to start a scheduled run: it may only
// invoke the scheduler function, and only schedules of this account may assume it.
const schedulerInvokeRole = {
  Type: 'AWS::IAM::Role',
  Properties: {
    RoleName: invokeRoleName,
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    },
    Policies: [
      {
        PolicyName: 'invoke-scheduler',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: schedulerFunctionArn }],
        },
      },
    ],
  },
};

module.exports = () => ({
  Resources: {
    ...Object.fromEntries(Object.entries(grants).map(([fn, g]) => [`${pascal(fn)}Role`, role(fn, g)])),
    SchedulerInvokeRole: schedulerInvokeRole,
  },
});
