// S3 and EventBridge events as AWS delivers them (shapes of AWS's documented samples),
// and malformed ones, which are refused like any other bad input (Cdm.0014).
import { describe, expect, it } from 'vitest';
import { createdObjects } from '../../lib/events/s3-event';
import { startFromEvent } from '../../lib/events/start-event';
import type { Runtime } from '../../lib/runtime';

/** An S3 event notification record (the s3:ObjectCreated:Put sample in the S3 user guide). */
const notificationRecord = (key: string, eventName = 'ObjectCreated:Put', bucket = 'amzn-s3-demo-bucket') => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-west-2',
  eventTime: '1970-01-01T00:00:00.000Z',
  eventName,
  userIdentity: { principalId: 'AWS:AIDAINPONIXQXHT3IKHL2' },
  requestParameters: { sourceIPAddress: '172.16.0.1' },
  responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: 'testConfigRule',
    bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
    object: { key, size: 1024, eTag: 'd41d8cd98f00b204e9800998ecf8427e', versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko', sequencer: '0055AED6DCD90281E5' },
  },
});

/** An S3 "Object Created" event delivered by EventBridge (the sample in the S3 user guide). */
const eventBridgeEvent = (key: string, detailType = 'Object Created') => ({
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': detailType,
  source: 'aws.s3',
  account: '111122223333',
  time: '2021-11-12T00:00:00Z',
  region: 'ca-central-1',
  resources: ['arn:aws:s3:::amzn-s3-demo-bucket1'],
  detail: {
    version: '0',
    bucket: { name: 'amzn-s3-demo-bucket1' },
    object: { key, size: 5, etag: 'b1946ac92492d2347c6235b4d2611184', 'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e', sequencer: '00617F08299329D189' },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    'source-ip-address': '1.2.3.4',
    reason: 'PutObject',
  },
});

describe('S3 object-created events', () => {
  it('reads bucket and key from an S3 event notification, decoding the URL-encoded key (+ is a space)', () => {
    expect(createdObjects({ Records: [notificationRecord('incoming/2024+sales%2Fq1+%E2%82%AC.csv')] })).toEqual([
      { bucket: 'amzn-s3-demo-bucket', key: 'incoming/2024 sales/q1 €.csv' },
    ]);
  });

  it('takes every ObjectCreated record of a batch and ignores the others', () => {
    const event = { Records: [notificationRecord('a.csv'), notificationRecord('b.csv', 'ObjectRemoved:Delete'), notificationRecord('c.csv', 'ObjectCreated:CompleteMultipartUpload')] };
    expect(createdObjects(event).map((o) => o.key)).toEqual(['a.csv', 'c.csv']);
  });

  it('reads an EventBridge "Object Created" event, whose key is not encoded', () => {
    expect(createdObjects(eventBridgeEvent('raw/2023-08-08T14:03:40.532432.zip'))).toEqual([
      { bucket: 'amzn-s3-demo-bucket1', key: 'raw/2023-08-08T14:03:40.532432.zip' },
    ]);
  });

  it('starts nothing for S3\'s s3:TestEvent or another EventBridge S3 event', () => {
    const test = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2014-10-13T15:57:02.089Z', Bucket: 'amzn-s3-demo-bucket', RequestId: '5582815E1AEA5ADF', HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE' };
    expect(createdObjects(test)).toEqual([]);
    expect(createdObjects(eventBridgeEvent('x', 'Object Deleted'))).toEqual([]);
  });

  it.each([
    ['not an object', 'hello'],
    ['null', null],
    ['no records', { Records: [] }],
    ['a record from another service', { Records: [{ ...notificationRecord('a'), eventSource: 'aws:sqs' }] }],
    ['a record without a bucket', { Records: [{ ...notificationRecord('a'), s3: { object: { key: 'a' } } }] }],
    ['an empty key', { Records: [notificationRecord('')] }],
    ['an EventBridge event from another source', { ...eventBridgeEvent('a'), source: 'aws.ec2' }],
    ['an EventBridge event without its object', { ...eventBridgeEvent('a'), detail: { bucket: { name: 'amzn-s3-demo-bucket1' } } }],
  ])('refuses %s with Cdm.0014', (_, event) => {
    expect(() => createdObjects(event)).toThrow(expect.objectContaining({ code: 'Cdm.0014' }));
  });
});

describe('the generic EventBridge start event', () => {
  // A malformed event is refused before anything is read: no runtime is needed.
  const noRuntime = {} as Runtime;
  const event = (detail: unknown, extra: Record<string, unknown> = {}) => ({
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'Ferry Start Job',
    source: 'com.example.orders',
    account: '111122223333',
    time: '2024-03-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
    ...extra,
  });

  it.each([
    ['no detail', event(undefined), 'event.detail'],
    ['no job_name', event({ project_id: 'p1', cluster_id: 'c1' }), 'event.detail.job_name'],
    ['a job name that is not a name', event({ project_id: 'p1', cluster_id: 'c1', job_name: '../x' }), 'event.detail.job_name'],
    ['a project id with a path in it', event({ project_id: 'p1/../p2', cluster_id: 'c1', job_name: 'j' }), 'event.detail.project_id'],
    ['variables that are not a map of values', event({ project_id: 'p1', cluster_id: 'c1', job_name: 'j', variables: { a: { nested: 1 } } }), 'event.detail.variables'],
    ['another detail-type', event({ project_id: 'p1', cluster_id: 'c1', job_name: 'j' }, { 'detail-type': 'Object Created' }), 'event.detail-type'],
  ])('refuses %s with Cdm.0014 naming %s', async (_, e, path) => {
    await expect(startFromEvent(noRuntime, e)).rejects.toMatchObject({ code: 'Cdm.0014', message: expect.stringContaining(path) });
  });
});
