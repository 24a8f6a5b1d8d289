// One least-privilege IAM role per function, generated from the table below so each
// function's grants are one line. serverless.yml names the role (`role: <Function>Role`)
// and merges these resources in. The actions are the calls the function's code path
// makes (lib/store repositories, lib/queue, lib/secrets); anything missing fails on AWS
// with AccessDenied, anything extra is a grant nobody needs.
//
// table: DynamoDB actions on the table; index: on its gsi1 index;
// queue: SQS actions on the execution queue; key: KMS actions on the secrets key.
const READ = ['GetItem', 'Query'];

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
  jobsCreate: { table: ['GetItem', 'PutItem'] },
  jobsShow: { table: READ },
  jobsUpdate: { table: ['GetItem', 'UpdateItem'] },
  jobsDelete: { table: [...READ, 'DeleteItem'] },
  // Claim (UpdateItem on the job), submission (PutItem), queue message; Query repairs a stale claim.
  jobStart: { table: [...READ, 'PutItem', 'UpdateItem'], queue: ['SendMessage'] },
  // Creates the jobs in a cluster it picks, then starts them as jobStart does.
  jobsCreateAndStart: { table: [...READ, 'PutItem', 'UpdateItem'], queue: ['SendMessage'] },
  jobStop: { table: ['GetItem', 'UpdateItem'] },
  jobStatus: { table: READ },
  submissions: { table: READ },
  // The public API description: built from code, touches no table, queue or key.
  openapi: {},
  // Receive/Delete/GetQueueAttributes serve the SQS event source; SendMessage hands over to a continuation.
  executor: {
    table: ['GetItem', 'UpdateItem'],
    queue: ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes', 'SendMessage'],
    key: ['Decrypt'],
  },
  reaper: { table: ['UpdateItem'], index: ['Query'], queue: ['SendMessage'] },
};

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
            ],
          },
        },
      ],
    },
  };
}

module.exports = () => ({
  Resources: Object.fromEntries(Object.entries(grants).map(([fn, g]) => [`${pascal(fn)}Role`, role(fn, g)])),
});
