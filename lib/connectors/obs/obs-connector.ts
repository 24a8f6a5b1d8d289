// `obs-connector` (Huawei OBS) and `thirdparty-obs-connector` (Amazon S3, COS, KODO,
// MinIO…): the same S3 protocol with the same inputs, so one implementation serves both.
import { fileConnector } from '../files/file-connector';
import { obsFromInputs, obsLinkInputs, obsToInputs } from './obs-inputs';
import { obsClient, obsStore, testObsLink } from './obs-store';

const spec = {
  linkInputs: obsLinkInputs,
  fromInputs: obsFromInputs,
  toInputs: obsToInputs,
  openStore: async (link: Record<string, string>, job: Record<string, string>) =>
    obsStore(obsClient(link), job['fromJobConfig.bucketName'] ?? job['toJobConfig.bucketName']!),
  testStore: testObsLink,
  needsBucket: true,
};

export const obsConnector = fileConnector({ name: 'obs-connector', ...spec });
export const thirdpartyObsConnector = fileConnector({ name: 'thirdparty-obs-connector', ...spec });
