// The inputs of `obs-connector` and `thirdparty-obs-connector` links and jobs, as CDM
// names them (shared/reference/cdm-api.md §2.5, §3.4): the endpoint and the access keys
// (secrets: sealed at rest, masked on read), and the bucket on top of the shared file inputs.
import { fileDecryptionInputs, fileFromInputs, fileToInputs } from '../files/file-inputs';
import { input } from '../inputs';

export const obsLinkInputs = [
  input.string('linkConfig.storageType', { default: 'OBS' }),
  input.string('linkConfig.server', {
    mandatory: true,
    endpoint: true,
    description: 'Endpoint host; http://host (or port 80) means plain HTTP with path-style addressing.',
  }),
  // No declared default: linkConfig.port is shared with other connectors' docs; 443 applies in obs-store.ts.
  input.integer('linkConfig.port', { min: 1, max: 65535, endpoint: true, description: 'Default 443; 80 means plain HTTP.' }),
  input.string('linkConfig.accessKey', { mandatory: true, secret: true }),
  input.string('linkConfig.securityKey', { mandatory: true, secret: true }),
  input.string('linkConfig.region', { description: 'Signing region; default: read from the endpoint name, else us-east-1.' }),
] as const;

export const obsFromInputs = [input.string('fromJobConfig.bucketName', { mandatory: true }), ...fileFromInputs, ...fileDecryptionInputs];
export const obsToInputs = [
  input.string('toJobConfig.bucketName', { mandatory: true }),
  ...fileToInputs,
  input.string('toJobConfig.recordMD5Bucket', { description: 'Bucket for the MD5 result file (default: toJobConfig.bucketName).' }),
];
