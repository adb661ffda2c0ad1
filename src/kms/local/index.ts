// The local KMS: the embedded default key manager, kept under `<data_dir>/kms`. It implements
// `KmsAdmin` (src/kms/types.ts) for one principal at a time, evaluating the key policy on every
// call, so the rest of the product (and the AWS JSON-1.1 wire server in src/kms/server, which
// wraps it) sees the same behaviour as with AWS KMS. Guarantees and differences from AWS are in
// docs/kms.md.
//
// This file is the stable public surface (its types are in types.ts); the machinery lives beside
// it: store.ts = files, locking and at-rest protection; blob.ts = ciphertext format; crypto.ts =
// key material and blob encryption; maintenance.ts = due rotations, deletions and purge;
// resolve.ts and authorize.ts = key references and policy checks; client.ts = the operations.

import { LocalKmsImpl } from './client.js';
import type { LocalKms, LocalKmsOptions } from './types.js';

export {
  LOCAL_ACCOUNT,
  LOCAL_ROOT_PRINCIPAL,
  ROOT_KEY_ENV,
  ROOT_KEY_FILE_ENV,
} from './constants.js';
export { defaultRootKeyPath, userRootKeyDir } from './store.js';

export type {
  ClientOptions,
  DataKeyPairSpec,
  GenerateDataKeyPairInput,
  GenerateDataKeyPairOutput,
  GetPublicKeyOutput,
  LocalKeyMetadata,
  LocalKeySpec,
  LocalKms,
  LocalKmsClient,
  LocalKmsOptions,
  PurgeResult,
  ReplicateKeyOptions,
} from './types.js';

/** Open (lazily create) the local KMS in `dir`. Nothing is read until the first call. */
export function openLocalKms(opts: LocalKmsOptions): LocalKms {
  return new LocalKmsImpl(opts);
}

export { encodeContextAad, parseBlobHeader } from './blob.js';
