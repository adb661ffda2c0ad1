// The AWS KMS backend: `KmsAdmin` over `@aws-sdk/client-kms`. Keys are regional, so each call is
// routed to the region named by the key (or alias) ARN, with one cached SDK client per region;
// bare key ids and alias names go to the default region. The same code talks to real AWS KMS
// and to `cmek kms serve` (set `endpoint`), which is how it is tested: over real HTTP with real
// SigV4. AWS exceptions are mapped by name onto our `KmsError` codes, which already use AWS's
// vocabulary, so callers handle one set of errors whatever the backend.
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  paginateListAliases,
  paginateListKeyRotations,
  paginateListKeys,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  type KeyMetadata as SdkKeyMetadata,
} from '@aws-sdk/client-kms';
import { parseKeyRef } from '../model/key-ref.js';
import {
  KmsError,
  type AliasEntry,
  type CreateKeyInput,
  type DecryptInput,
  type DecryptOutput,
  type EncryptInput,
  type EncryptOutput,
  type GenerateDataKeyInput,
  type GenerateDataKeyOutput,
  type KeyMetadata,
  type KeyRotation,
  type KeyState,
  type KmsAdmin,
  type KmsErrorCode,
  type ReEncryptInput,
  type ReEncryptOutput,
  type RotationStatus,
} from './types.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsKmsSettings {
  /** Region for calls that name no region (bare key ids, alias names, Decrypt without KeyId,
   * listKeys, listAliases). Default: AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** Endpoint override, e.g. `http://127.0.0.1:4566` for `cmek kms serve`. Used for every
   * region (the local server serves them all). */
  endpoint?: string;
  /** Explicit credentials (tests); default: the SDK's standard credential chain. */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** SDK retry attempts (default 3, the SDK's). */
  maxAttempts?: number;
}

// Exception names AWS KMS returns that are already our codes.
const SAME_NAME = new Set<KmsErrorCode>([
  'NotFoundException',
  'DisabledException',
  'KMSInvalidStateException',
  'AccessDeniedException',
  'IncorrectKeyException',
  'InvalidCiphertextException',
  'InvalidKeyUsageException',
  'InvalidAliasNameException',
  'AlreadyExistsException',
  'LimitExceededException',
  'MalformedPolicyDocumentException',
  'ValidationException',
  'UnsupportedOperationException',
  'KMSInternalException',
  'DependencyTimeoutException',
]);

// Other AWS exception names, folded onto the nearest code. The original name stays in the
// message, so nothing is lost for a human reading it.
const FOLDED: Record<string, KmsErrorCode> = {
  // Authentication: the caller is not who the KMS accepts. To a caller this is "not allowed".
  UnrecognizedClientException: 'AccessDeniedException',
  InvalidSignatureException: 'AccessDeniedException',
  IncompleteSignatureException: 'AccessDeniedException',
  MissingAuthenticationTokenException: 'AccessDeniedException',
  ExpiredTokenException: 'AccessDeniedException',
  InvalidClientTokenId: 'AccessDeniedException',
  CredentialsProviderError: 'AccessDeniedException',
  // Bad input of one kind or another.
  InvalidArnException: 'ValidationException',
  InvalidMarkerException: 'ValidationException',
  InvalidGrantTokenException: 'ValidationException',
  InvalidGrantIdException: 'ValidationException',
  TagException: 'ValidationException',
  SerializationException: 'ValidationException',
  UnknownOperationException: 'UnsupportedOperationException',
  // Transient: worth retrying later.
  ThrottlingException: 'DependencyTimeoutException',
  KeyUnavailableException: 'DependencyTimeoutException',
  TimeoutError: 'DependencyTimeoutException',
  RequestTimeout: 'DependencyTimeoutException',
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Map an error thrown by the AWS SDK to a `KmsError` (by exception name). */
export function toKmsError(e: unknown, where = 'AWS KMS'): KmsError {
  if (e instanceof KmsError) return e;
  const err = e as {
    name?: string;
    message?: string;
    code?: string;
    $fault?: string;
    $metadata?: unknown;
  };
  const name = err?.name ?? 'Error';
  const message = err?.message || name;
  if (SAME_NAME.has(name as KmsErrorCode)) return new KmsError(name as KmsErrorCode, message);
  const folded = FOLDED[name];
  if (folded) return new KmsError(folded, `${name}: ${message}`);
  if (err?.code && NETWORK_CODES.has(err.code)) {
    return new KmsError(
      'DependencyTimeoutException',
      `cannot reach ${where}: ${err.code} ${message}`,
    );
  }
  return new KmsError('KMSInternalException', `${name}: ${message}`);
}

/** Our KeyState has the states the CMEK rules reason about; AWS has a few transitional ones. */
function keyStateOf(s: string | undefined): KeyState {
  switch (s) {
    case 'Enabled':
    case 'Disabled':
    case 'PendingDeletion':
    case 'Destroyed':
      return s;
    case 'PendingReplicaDeletion':
      return 'PendingDeletion';
    case 'Creating':
    case 'Updating':
    case 'PendingImport':
    case 'Unavailable':
    default:
      // Not usable for cryptographic operations right now: treat as disabled (fail closed).
      return 'Disabled';
  }
}

function regionOfArn(arn: string): string {
  return arn.split(':')[3] ?? '';
}

export function keyMetadataFromSdk(m: SdkKeyMetadata): KeyMetadata {
  if (!m.KeyId || !m.Arn) {
    throw new KmsError('KMSInternalException', 'AWS KMS returned key metadata without KeyId/Arn');
  }
  const keyState = keyStateOf(m.KeyState);
  const md: KeyMetadata = {
    keyId: m.KeyId,
    arn: m.Arn,
    provider: 'aws',
    region: regionOfArn(m.Arn),
    account: m.AWSAccountId ?? m.Arn.split(':')[4] ?? '',
    keyState,
    enabled: m.Enabled ?? keyState === 'Enabled',
    description: m.Description ?? '',
    creationDate: m.CreationDate ?? new Date(0),
    multiRegion: m.MultiRegion ?? false,
    keyManager: m.KeyManager === 'AWS' ? 'AWS' : 'CUSTOMER',
  };
  if (m.DeletionDate) md.deletionDate = m.DeletionDate;
  if (m.PendingDeletionWindowInDays !== undefined)
    md.pendingDeletionWindowInDays = m.PendingDeletionWindowInDays;
  if (m.CurrentKeyMaterialId) md.primaryVersion = m.CurrentKeyMaterialId;
  return md;
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined || v === null) {
    throw new KmsError('KMSInternalException', `AWS KMS response is missing ${what}`);
  }
  return v;
}

export class AwsKms implements KmsAdmin {
  private readonly clients = new Map<string, KMSClient>();
  private readonly settings: AwsKmsSettings;

  constructor(settings: AwsKmsSettings = {}) {
    this.settings = settings;
  }

  /** The region calls without a regional key reference go to. */
  get defaultRegion(): string | undefined {
    return this.settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  }

  /** Close the SDK clients' sockets (keep-alive connections would hold the process open). */
  close(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }

  private client(region: string): KMSClient {
    let c = this.clients.get(region);
    if (!c) {
      const { endpoint, credentials, maxAttempts } = this.settings;
      c = new KMSClient({
        region,
        ...(endpoint ? { endpoint } : {}),
        ...(credentials ? { credentials } : {}),
        ...(maxAttempts ? { maxAttempts } : {}),
      });
      this.clients.set(region, c);
    }
    return c;
  }

  private regionFor(ref: string | undefined): string {
    if (ref !== undefined) {
      const r = parseKeyRef(ref);
      if (r.ok && r.ref.provider === 'gcp') {
        throw new KmsError(
          'UnsupportedOperationException',
          `${ref} is a GCP-style key: the AWS KMS backend serves AWS keys only`,
        );
      }
      if (r.ok && r.ref.region) return r.ref.region;
    }
    const region = this.defaultRegion;
    if (!region) {
      throw new KmsError(
        'ValidationException',
        `no region for ${ref ?? 'this call'}: name the key by ARN or set the AWS backend's region (or AWS_REGION)`,
      );
    }
    return region;
  }

  /** Run one SDK call in the region of `ref`, mapping errors. */
  private call<T>(ref: string | undefined, fn: (c: KMSClient) => Promise<T>): Promise<T> {
    return this.callIn(this.regionFor(ref), fn);
  }

  private async callIn<T>(region: string, fn: (c: KMSClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client(region));
    } catch (e) {
      throw toKmsError(e, this.settings.endpoint ?? `AWS KMS in ${region}`);
    }
  }

  async generateDataKey(input: GenerateDataKeyInput): Promise<GenerateDataKeyOutput> {
    const out = await this.call(input.keyId, (c) =>
      c.send(
        new GenerateDataKeyCommand({
          KeyId: input.keyId,
          EncryptionContext: input.context ? { ...input.context } : undefined,
          NumberOfBytes: input.numberOfBytes ?? 32,
        }),
      ),
    );
    return {
      keyId: required(out.KeyId, 'KeyId'),
      ...(out.KeyMaterialId ? { keyVersion: out.KeyMaterialId } : {}),
      plaintext: required(out.Plaintext, 'Plaintext'),
      ciphertextBlob: required(out.CiphertextBlob, 'CiphertextBlob'),
    };
  }

  async encrypt(input: EncryptInput): Promise<EncryptOutput> {
    const out = await this.call(input.keyId, (c) =>
      c.send(
        new EncryptCommand({
          KeyId: input.keyId,
          Plaintext: input.plaintext,
          EncryptionContext: input.context ? { ...input.context } : undefined,
        }),
      ),
    );
    return {
      keyId: required(out.KeyId, 'KeyId'),
      ciphertextBlob: required(out.CiphertextBlob, 'CiphertextBlob'),
    };
  }

  async decrypt(input: DecryptInput): Promise<DecryptOutput> {
    const out = await this.call(input.keyId, (c) =>
      c.send(
        new DecryptCommand({
          CiphertextBlob: input.ciphertextBlob,
          EncryptionContext: input.context ? { ...input.context } : undefined,
          KeyId: input.keyId,
        }),
      ),
    );
    return {
      keyId: required(out.KeyId, 'KeyId'),
      ...(out.KeyMaterialId ? { keyVersion: out.KeyMaterialId } : {}),
      plaintext: required(out.Plaintext, 'Plaintext'),
    };
  }

  async reEncrypt(input: ReEncryptInput): Promise<ReEncryptOutput> {
    const destRegion = this.regionFor(input.destinationKeyId);
    const srcRegion = input.sourceKeyId ? this.regionFor(input.sourceKeyId) : destRegion;
    if (srcRegion !== destRegion) {
      // AWS's ReEncrypt works within one region. Across regions (a cross-region replica getting
      // its own key) we decrypt in the source region and encrypt in the destination; the
      // plaintext exists only in this process's memory and is wiped right after.
      const dec = await this.decrypt({
        ciphertextBlob: input.ciphertextBlob,
        ...(input.sourceContext ? { context: input.sourceContext } : {}),
        ...(input.sourceKeyId ? { keyId: input.sourceKeyId } : {}),
      });
      try {
        const enc = await this.encrypt({
          keyId: input.destinationKeyId,
          plaintext: dec.plaintext,
          ...(input.destinationContext ? { context: input.destinationContext } : {}),
        });
        return { sourceKeyId: dec.keyId, keyId: enc.keyId, ciphertextBlob: enc.ciphertextBlob };
      } finally {
        dec.plaintext.fill(0);
      }
    }
    const out = await this.call(input.destinationKeyId, (c) =>
      c.send(
        new ReEncryptCommand({
          CiphertextBlob: input.ciphertextBlob,
          SourceEncryptionContext: input.sourceContext ? { ...input.sourceContext } : undefined,
          SourceKeyId: input.sourceKeyId,
          DestinationKeyId: input.destinationKeyId,
          DestinationEncryptionContext: input.destinationContext
            ? { ...input.destinationContext }
            : undefined,
        }),
      ),
    );
    return {
      sourceKeyId: required(out.SourceKeyId, 'SourceKeyId'),
      keyId: required(out.KeyId, 'KeyId'),
      ...(out.DestinationKeyMaterialId ? { keyVersion: out.DestinationKeyMaterialId } : {}),
      ciphertextBlob: required(out.CiphertextBlob, 'CiphertextBlob'),
    };
  }

  async describeKey(keyId: string): Promise<KeyMetadata> {
    const out = await this.call(keyId, (c) => c.send(new DescribeKeyCommand({ KeyId: keyId })));
    return keyMetadataFromSdk(required(out.KeyMetadata, 'KeyMetadata'));
  }

  async createKey(input: CreateKeyInput): Promise<KeyMetadata> {
    if (input.keyRing !== undefined) {
      throw new KmsError(
        'UnsupportedOperationException',
        'GCP-style keys (key_ring) exist only in the local KMS, not in AWS KMS',
      );
    }
    const tags = Object.entries(input.tags ?? {}).map(([TagKey, TagValue]) => ({
      TagKey,
      TagValue,
    }));
    const out = await this.callIn(input.region, (c) =>
      c.send(
        new CreateKeyCommand({
          Description: input.description,
          Policy: input.policy,
          BypassPolicyLockoutSafetyCheck: input.bypassPolicyLockoutSafetyCheck,
          MultiRegion: input.multiRegion,
          Tags: tags.length > 0 ? tags : undefined,
        }),
      ),
    );
    return keyMetadataFromSdk(required(out.KeyMetadata, 'KeyMetadata'));
  }

  async listKeys(): Promise<KeyMetadata[]> {
    const ids = await this.call(undefined, async (client) => {
      const all: string[] = [];
      for await (const p of paginateListKeys({ client }, {})) {
        for (const k of p.Keys ?? []) if (k.KeyArn ?? k.KeyId) all.push(k.KeyArn ?? k.KeyId!);
      }
      return all;
    });
    // DescribeKey each, a few at a time (AWS throttles DescribeKey at a few hundred per second).
    const out: KeyMetadata[] = new Array<KeyMetadata>(ids.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const i = next++;
        out[i] = await this.describeKey(ids[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));
    return out;
  }

  async enableKey(keyId: string): Promise<void> {
    await this.call(keyId, (c) => c.send(new EnableKeyCommand({ KeyId: keyId })));
  }

  async disableKey(keyId: string): Promise<void> {
    await this.call(keyId, (c) => c.send(new DisableKeyCommand({ KeyId: keyId })));
  }

  async scheduleKeyDeletion(keyId: string, pendingWindowInDays?: number): Promise<KeyMetadata> {
    await this.call(keyId, (c) =>
      c.send(
        new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays }),
      ),
    );
    return this.describeKey(keyId);
  }

  async cancelKeyDeletion(keyId: string): Promise<KeyMetadata> {
    await this.call(keyId, (c) => c.send(new CancelKeyDeletionCommand({ KeyId: keyId })));
    return this.describeKey(keyId);
  }

  async enableKeyRotation(keyId: string, rotationPeriodInDays?: number): Promise<void> {
    await this.call(keyId, (c) =>
      c.send(
        new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: rotationPeriodInDays }),
      ),
    );
  }

  async disableKeyRotation(keyId: string): Promise<void> {
    await this.call(keyId, (c) => c.send(new DisableKeyRotationCommand({ KeyId: keyId })));
  }

  async getKeyRotationStatus(keyId: string): Promise<RotationStatus> {
    const out = await this.call(keyId, (c) =>
      c.send(new GetKeyRotationStatusCommand({ KeyId: keyId })),
    );
    const s: RotationStatus = { enabled: out.KeyRotationEnabled ?? false };
    if (out.RotationPeriodInDays !== undefined) s.rotationPeriodInDays = out.RotationPeriodInDays;
    if (out.NextRotationDate) s.nextRotationDate = out.NextRotationDate;
    return s;
  }

  async rotateKeyOnDemand(keyId: string): Promise<KeyMetadata> {
    await this.call(keyId, (c) => c.send(new RotateKeyOnDemandCommand({ KeyId: keyId })));
    return this.describeKey(keyId);
  }

  async listKeyRotations(keyId: string): Promise<KeyRotation[]> {
    return this.call(keyId, async (client) => {
      const all: KeyRotation[] = [];
      for await (const p of paginateListKeyRotations({ client }, { KeyId: keyId })) {
        for (const r of p.Rotations ?? []) {
          const rotationDate = r.RotationDate ?? new Date(0);
          all.push({
            keyId: r.KeyId ?? keyId,
            // Real AWS identifies key material by KeyMaterialId; older responses have none,
            // and then the rotation date is the only identity there is.
            version: r.KeyMaterialId ?? rotationDate.toISOString(),
            rotationDate,
            rotationType: r.RotationType === 'AUTOMATIC' ? 'AUTOMATIC' : 'ON_DEMAND',
          });
        }
      }
      return all;
    });
  }

  async getKeyPolicy(keyId: string): Promise<string> {
    const out = await this.call(keyId, (c) =>
      c.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })),
    );
    return required(out.Policy, 'Policy');
  }

  async putKeyPolicy(
    keyId: string,
    policy: string,
    bypassPolicyLockoutSafetyCheck?: boolean,
  ): Promise<void> {
    await this.call(keyId, (c) =>
      c.send(
        new PutKeyPolicyCommand({
          KeyId: keyId,
          PolicyName: 'default',
          Policy: policy,
          BypassPolicyLockoutSafetyCheck: bypassPolicyLockoutSafetyCheck,
        }),
      ),
    );
  }

  async updateKeyDescription(keyId: string, description: string): Promise<void> {
    await this.call(keyId, (c) =>
      c.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: description })),
    );
  }

  /** Alias operations take the alias name; an alias ARN picks the region and is reduced to it. */
  private aliasName(alias: string): string {
    const r = parseKeyRef(alias);
    return r.ok && r.ref.kind === 'alias-arn' ? r.ref.id : alias;
  }

  async createAlias(aliasName: string, targetKeyId: string): Promise<void> {
    await this.call(targetKeyId, (c) =>
      c.send(
        new CreateAliasCommand({ AliasName: this.aliasName(aliasName), TargetKeyId: targetKeyId }),
      ),
    );
  }

  async updateAlias(aliasName: string, targetKeyId: string): Promise<void> {
    await this.call(targetKeyId, (c) =>
      c.send(
        new UpdateAliasCommand({ AliasName: this.aliasName(aliasName), TargetKeyId: targetKeyId }),
      ),
    );
  }

  async deleteAlias(aliasName: string): Promise<void> {
    await this.call(aliasName, (c) =>
      c.send(new DeleteAliasCommand({ AliasName: this.aliasName(aliasName) })),
    );
  }

  async listAliases(keyId?: string): Promise<AliasEntry[]> {
    return this.call(keyId, async (client) => {
      const all: AliasEntry[] = [];
      for await (const p of paginateListAliases({ client }, keyId ? { KeyId: keyId } : {})) {
        for (const a of p.Aliases ?? []) {
          all.push({
            aliasName: required(a.AliasName, 'AliasName'),
            aliasArn: required(a.AliasArn, 'AliasArn'),
            ...(a.TargetKeyId ? { targetKeyId: a.TargetKeyId } : {}),
          });
        }
      }
      return all;
    });
  }
}

export function createAwsKms(settings: AwsKmsSettings = {}): AwsKms {
  return new AwsKms(settings);
}
