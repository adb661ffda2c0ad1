// Public API of the encryption core (docs/core.md): object format, chunk
// AEAD, streams and random access, key hierarchy over the Kms seam, key cache.
export {
  IntegrityError,
  KeyUnavailableError,
  isIntegrityError,
  type IntegrityReason,
} from './errors.js';
export { SecretKey } from './secret.js';
export {
  DEFAULT_CHUNK_SIZE,
  FORMAT_VERSION,
  MAGIC,
  MAX_CHUNK_SIZE,
  OBJECT_ID_LENGTH,
  SUITE_AES256GCM_HKDF_SHA256,
  TAG_LENGTH,
  chunkCount,
  ciphertextLength,
  decodeHeader,
  encodeContext,
  encodeHeader,
  objectDigest,
  peekHeaderLength,
  plaintextLength,
  type DekRef,
  type ObjectHeader,
} from './format.js';
export { ChunkCipher } from './aead.js';
export {
  EncryptStream,
  ObjectReader,
  bufferSource,
  createEncryptStream,
  decryptBuffer,
  decryptRange,
  decryptToParts,
  encryptBuffer,
  encryptToParts,
  objectContext,
  openFileSource,
  type DataKey,
  type DecryptOptions,
  type DekResolver,
  type EncryptOptions,
  type RandomAccessSource,
  type RangeOptions,
} from './envelope.js';
export { ObjectOpener, ObjectSealer, createOpener, createSealer } from './chunker.js';
export {
  DecryptStream,
  createDecryptStream,
  createReencryptStream,
  reencryptBuffer,
  type ReencryptOptions,
} from './streams.js';
export {
  ParallelDecryptStream,
  ParallelEncryptStream,
  createParallelDecryptStream,
  createParallelEncryptStream,
  type ParallelOptions,
} from './parallel.js';
export {
  BATCH_BYTES,
  BatchOpener,
  BatchSealer,
  CryptoPool,
  INLINE_THRESHOLD,
  createBatchSealer,
  cryptoThreads,
  defaultCryptoPool,
  encryptBufferAsync,
  encryptToPartsAsync,
  type BatchOptions,
  type PoolOptions,
  type SealPartsOptions,
} from './pool.js';
export { KeyCache, sameKmsKey, type KeyCacheOptions, type KeyCacheStats } from './cache.js';
export { KmsKeyring, type WrappedKey } from './keyring.js';
export {
  KeySetRecordSchema,
  ServiceKeySet,
  serviceKeyContext,
  type DekEntry,
  type KekRef,
  type KeySetRecord,
  type RewrapResult,
  type ServiceKeySetOptions,
} from './hierarchy.js';
