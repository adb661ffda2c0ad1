// The KMS seam (docs/architecture.md): one small interface for what the encryption core and the control
// plane need (`Kms`), and the admin surface the resources, the CLI and the wire-protocol server
// need (`KmsAdmin`). Implementations: the local KMS (src/kms/local), the AWS SDK client
// (src/kms/aws.ts) and an in-memory one for unit tests (src/kms/memory.ts).

import type { EncryptionContext, KeyProvider } from '../model/kms.js';
export type { EncryptionContext, KeyProvider } from '../model/kms.js';

/** AWS key states, plus `Destroyed` for a local key whose material was purged (on AWS such a key
 * is simply gone: NotFoundException). */
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'Destroyed';

export interface KeyMetadata {
  /** The bare key id (uuid or `mrk-...`), or for GCP-style keys the full crypto-key name. */
  keyId: string;
  /** AWS ARN; for GCP-style keys the full crypto-key name. */
  arn: string;
  provider: KeyProvider;
  region: string;
  /** AWS account id, or GCP project. */
  account: string;
  keyState: KeyState;
  enabled: boolean;
  description: string;
  creationDate: Date;
  deletionDate?: Date;
  pendingDeletionWindowInDays?: number;
  multiRegion: boolean;
  keyManager: 'CUSTOMER' | 'AWS';
  /** Id of the key version that Encrypt/GenerateDataKey use now (local KMS: "1", "2", ...). */
  primaryVersion?: string;
}

export interface GenerateDataKeyInput {
  keyId: string;
  context?: EncryptionContext;
  /** Default 32 (AES-256). */
  numberOfBytes?: number;
}

export interface GenerateDataKeyOutput {
  /** ARN of the key used. */
  keyId: string;
  keyVersion?: string;
  plaintext: Uint8Array;
  ciphertextBlob: Uint8Array;
}

export interface EncryptInput {
  keyId: string;
  plaintext: Uint8Array;
  context?: EncryptionContext;
}

export interface EncryptOutput {
  keyId: string;
  keyVersion?: string;
  ciphertextBlob: Uint8Array;
}

export interface DecryptInput {
  ciphertextBlob: Uint8Array;
  context?: EncryptionContext;
  /** Optional: when given and it is not the key that encrypted the blob → IncorrectKeyException. */
  keyId?: string;
}

export interface DecryptOutput {
  keyId: string;
  keyVersion?: string;
  plaintext: Uint8Array;
}

export interface ReEncryptInput {
  ciphertextBlob: Uint8Array;
  sourceContext?: EncryptionContext;
  sourceKeyId?: string;
  destinationKeyId: string;
  destinationContext?: EncryptionContext;
}

export interface ReEncryptOutput {
  sourceKeyId: string;
  keyId: string;
  keyVersion?: string;
  ciphertextBlob: Uint8Array;
}

/** What the encryption core and the data plane use. Every call is made as one principal (the
 * implementation is bound to it) and carries the encryption context. */
export interface Kms {
  generateDataKey(input: GenerateDataKeyInput): Promise<GenerateDataKeyOutput>;
  encrypt(input: EncryptInput): Promise<EncryptOutput>;
  decrypt(input: DecryptInput): Promise<DecryptOutput>;
  reEncrypt(input: ReEncryptInput): Promise<ReEncryptOutput>;
  describeKey(keyId: string): Promise<KeyMetadata>;
}

export interface CreateKeyInput {
  region: string;
  description?: string;
  multiRegion?: boolean;
  /** JSON key policy; absent = the default policy (account-root statement). */
  policy?: string;
  bypassPolicyLockoutSafetyCheck?: boolean;
  /** GCP-style key: `projects/local/locations/REGION/keyRings/RING/cryptoKeys/NAME`. */
  keyRing?: string;
  name?: string;
  tags?: Record<string, string>;
}

export interface RotationStatus {
  enabled: boolean;
  rotationPeriodInDays?: number;
  nextRotationDate?: Date;
}

export interface KeyRotation {
  keyId: string;
  version: string;
  rotationDate: Date;
  rotationType: 'AUTOMATIC' | 'ON_DEMAND';
}

export interface AliasEntry {
  aliasName: string;
  aliasArn: string;
  targetKeyId?: string;
}

/** The admin surface: key lifecycle, policies, aliases, rotation. */
export interface KmsAdmin extends Kms {
  createKey(input: CreateKeyInput): Promise<KeyMetadata>;
  listKeys(): Promise<KeyMetadata[]>;
  enableKey(keyId: string): Promise<void>;
  disableKey(keyId: string): Promise<void>;
  scheduleKeyDeletion(keyId: string, pendingWindowInDays?: number): Promise<KeyMetadata>;
  cancelKeyDeletion(keyId: string): Promise<KeyMetadata>;
  enableKeyRotation(keyId: string, rotationPeriodInDays?: number): Promise<void>;
  disableKeyRotation(keyId: string): Promise<void>;
  getKeyRotationStatus(keyId: string): Promise<RotationStatus>;
  rotateKeyOnDemand(keyId: string): Promise<KeyMetadata>;
  listKeyRotations(keyId: string): Promise<KeyRotation[]>;
  getKeyPolicy(keyId: string): Promise<string>;
  putKeyPolicy(
    keyId: string,
    policy: string,
    bypassPolicyLockoutSafetyCheck?: boolean,
  ): Promise<void>;
  updateKeyDescription(keyId: string, description: string): Promise<void>;
  createAlias(aliasName: string, targetKeyId: string): Promise<void>;
  updateAlias(aliasName: string, targetKeyId: string): Promise<void>;
  deleteAlias(aliasName: string): Promise<void>;
  listAliases(keyId?: string): Promise<AliasEntry[]>;
}

/** Error names are AWS KMS's exception names, so the local KMS, the AWS client and the wire
 * server all speak one vocabulary. */
export type KmsErrorCode =
  | 'NotFoundException'
  | 'DisabledException'
  | 'KMSInvalidStateException'
  | 'AccessDeniedException'
  | 'IncorrectKeyException'
  | 'InvalidCiphertextException'
  | 'InvalidKeyUsageException'
  | 'InvalidAliasNameException'
  | 'AlreadyExistsException'
  | 'LimitExceededException'
  | 'MalformedPolicyDocumentException'
  | 'ValidationException'
  | 'UnsupportedOperationException'
  | 'KMSInternalException'
  | 'DependencyTimeoutException';

export class KmsError extends Error {
  readonly code: KmsErrorCode;
  constructor(code: KmsErrorCode, message: string) {
    super(message);
    this.name = 'KmsError';
    this.code = code;
  }
}

export function isKmsError(e: unknown, code?: KmsErrorCode): e is KmsError {
  return e instanceof KmsError && (code === undefined || e.code === code);
}
