// The types of the local KMS's public surface (re-exported by index.ts, the stable entry).

import type {
  EncryptionContext,
  GenerateDataKeyInput,
  GenerateDataKeyOutput,
  KeyMetadata,
  KeyState,
  KmsAdmin,
} from '../types.js';

export interface LocalKmsOptions {
  /** The kms directory itself (normally `<data_dir>/kms`); created on first use. */
  dir: string;
  /** Time source, for deletion windows and automatic rotation (tests move it forward). */
  clock?: () => Date;
  /** Root key (32 bytes) protecting key material at rest. Default: env CMEK_KMS_ROOT_KEY (base64),
   * else the file named by CMEK_KMS_ROOT_KEY_FILE, else `<dir>/root.key` if a data directory
   * from before has one there, else `$XDG_DATA_HOME/cmek/root-keys/<keystore-id>.key`
   * (`~/.local/share/...` without XDG_DATA_HOME). A file is created (0600) only for a keystore
   * that does not exist yet; see docs/kms.md. */
  rootKey?: Uint8Array;
}

export interface ClientOptions {
  /** `kms:ViaService` of the calls (e.g. `rds.eu-west-1.amazonaws.com`); absent = direct call. */
  viaService?: string;
  /** The region the caller talks to (as with a regional AWS endpoint). Used only to pick among
   * same-named aliases or multi-region replicas when a bare alias name or key id is given. */
  region?: string;
}

/** Key specs the local KMS can create. SYMMETRIC_DEFAULT is AES-256-GCM. */
export type LocalKeySpec = 'SYMMETRIC_DEFAULT' | 'RSA_2048' | 'ECC_NIST_P256';
export type DataKeyPairSpec = 'RSA_2048' | 'ECC_NIST_P256';

export interface GenerateDataKeyPairInput {
  keyId: string;
  keyPairSpec: DataKeyPairSpec;
  context?: EncryptionContext;
}

export interface GenerateDataKeyPairOutput {
  /** ARN of the KMS key that encrypted the private key. */
  keyId: string;
  keyVersion?: string;
  keyPairSpec: DataKeyPairSpec;
  /** DER SubjectPublicKeyInfo. */
  publicKey: Uint8Array;
  /** DER PKCS#8, plaintext: the caller must keep it in memory only. */
  privateKeyPlaintext: Uint8Array;
  /** The PKCS#8 private key encrypted under the KMS key (decrypt it with `decrypt`). */
  privateKeyCiphertextBlob: Uint8Array;
}

export interface GetPublicKeyOutput {
  keyId: string;
  keySpec: Exclude<LocalKeySpec, 'SYMMETRIC_DEFAULT'>;
  keyUsage: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY';
  /** DER SubjectPublicKeyInfo. */
  publicKey: Uint8Array;
}

export interface ReplicateKeyOptions {
  description?: string;
  /** Policy of the replica; absent = the default policy. */
  policy?: string;
  bypassPolicyLockoutSafetyCheck?: boolean;
  tags?: Record<string, string>;
}

/** Extra metadata the local KMS knows beyond `KeyMetadata`. */
export interface LocalKeyMetadata extends KeyMetadata {
  keySpec: LocalKeySpec;
  /** For multi-region keys: PRIMARY or REPLICA. */
  multiRegionRole?: 'PRIMARY' | 'REPLICA';
  /** Aliases pointing at this key (names, e.g. `alias/app`). */
  aliases: string[];
  /** All version ids, oldest first ("1", "2", ...). */
  versions: string[];
  rotationEnabled: boolean;
  rotationPeriodInDays?: number;
  /** Tags given at creation (served by the wire server's ListResourceTags). */
  tags: Record<string, string>;
}

export interface PurgeResult {
  /** ARNs of the keys whose material was destroyed now. */
  destroyed: string[];
  /** Keys pending deletion that this principal may not delete (left as they are). */
  skipped?: Array<{ arn: string; reason: string }>;
}

/** What `LocalKms.client(principal)` returns: the `KmsAdmin` surface plus local extras. Every call
 * runs as `principal` and is checked against the key's policy (AccessDeniedException otherwise).
 * Keys may be named by key id, key ARN, alias name, alias ARN or GCP-style crypto-key name. */
export interface LocalKmsClient extends KmsAdmin {
  readonly principal: string;
  /** Like createKey, with the local extras (asymmetric key specs, rotation at creation). */
  createKey(
    input: Parameters<KmsAdmin['createKey']>[0] & {
      keySpec?: LocalKeySpec;
      enableKeyRotation?: boolean;
      rotationPeriodInDays?: number;
    },
  ): Promise<LocalKeyMetadata>;
  describeKey(keyId: string): Promise<LocalKeyMetadata>;
  listKeys(): Promise<LocalKeyMetadata[]>;
  scheduleKeyDeletion(keyId: string, pendingWindowInDays?: number): Promise<LocalKeyMetadata>;
  cancelKeyDeletion(keyId: string): Promise<LocalKeyMetadata>;
  rotateKeyOnDemand(keyId: string): Promise<LocalKeyMetadata>;
  /** The key's state (needs kms:DescribeKey). Runs automatic rotation if due, like every call. */
  keyState(keyId: string): Promise<KeyState>;
  /** Copy a multi-region (`mrk-`) primary key into another region: same key id and material,
   * new ARN. Needs kms:ReplicateKey on the primary. */
  replicateKey(
    keyId: string,
    replicaRegion: string,
    opts?: ReplicateKeyOptions,
  ): Promise<LocalKeyMetadata>;
  generateDataKeyWithoutPlaintext(
    input: GenerateDataKeyInput,
  ): Promise<Omit<GenerateDataKeyOutput, 'plaintext'>>;
  generateDataKeyPair(input: GenerateDataKeyPairInput): Promise<GenerateDataKeyPairOutput>;
  generateDataKeyPairWithoutPlaintext(
    input: GenerateDataKeyPairInput,
  ): Promise<Omit<GenerateDataKeyPairOutput, 'privateKeyPlaintext'>>;
  /** Public key of an asymmetric KMS key (symmetric keys → UnsupportedOperationException). */
  getPublicKey(keyId: string): Promise<GetPublicKeyOutput>;
  /** Local only: complete every pending deletion now (whatever its date), destroying the key
   * material for good (crypto-shredding). Needs kms:ScheduleKeyDeletion on each key. */
  purge(): Promise<PurgeResult>;
}

export interface LocalKms {
  /** The kms directory. */
  readonly dir: string;
  /** A client acting as `principal` (e.g. `arn:aws:iam::000000000000:root`, or a role ARN). */
  client(principal: string, opts?: ClientOptions): LocalKmsClient;
  /** Shorthand for `client(LOCAL_ROOT_PRINCIPAL)`. */
  admin(): LocalKmsClient;
}
