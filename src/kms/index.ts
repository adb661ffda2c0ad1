// Choosing the KMS backend (the provider block `kms { local | aws { region, endpoint } }`, see
// docs/configuration.md): the embedded local KMS under `<data_dir>/kms`, or AWS KMS through the
// SDK. Callers get the same `KmsAdmin` surface either way; the only difference is who decides the
// calling principal. `openKms` (./backend.ts) loads the AWS SDK only for the aws backend.
import { AwsKms } from './aws.js';
import { awsBackend, localBackend, type KmsBackend, type KmsBackendSettings } from './backend.js';

export function createKms(settings: KmsBackendSettings): KmsBackend {
  return settings.backend === 'local' ? localBackend(settings) : awsBackend(AwsKms, settings);
}

export { openKms, type KmsBackend, type KmsBackendSettings } from './backend.js';
export { AwsKms, createAwsKms, toKmsError } from './aws.js';
export type { AwsCredentials, AwsKmsSettings } from './aws.js';
// The rest of `cmek/kms`: the KMS interface, the in-memory KMS and the local KMS.
export * from './types.js';
export { MemoryKms, type MemoryKmsOptions, type MemoryKmsOperation } from './memory.js';
export {
  openLocalKms,
  LOCAL_ACCOUNT,
  LOCAL_ROOT_PRINCIPAL,
  type LocalKms,
  type LocalKmsClient,
  type LocalKmsOptions,
  type LocalKeyMetadata,
} from './local/index.js';
