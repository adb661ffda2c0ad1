// The local KMS operations. Each call: read the keystore (or lock and re-read it for changes),
// run due maintenance (maintenance.ts: automatic rotation, deletions whose window has passed),
// resolve the key reference (resolve.ts), evaluate the key policy for (principal, action,
// context) (authorize.ts), check the key state, then do the work; the cryptography (new key
// material sealed under the root key, blob Encrypt/Decrypt) is crypto.ts. Error names and
// messages follow AWS KMS.
import { randomBytes, randomUUID } from 'node:crypto';
import { defaultKeyPolicy } from '../../model/policy/document.js';
import { isAwsRegion, isGcpLocation, parseKeyRef } from '../../model/key-ref.js';
import {
  KmsError,
  type AliasEntry,
  type CreateKeyInput,
  type DecryptInput,
  type DecryptOutput,
  type EncryptInput,
  type EncryptOutput,
  type EncryptionContext,
  type GenerateDataKeyInput,
  type GenerateDataKeyOutput,
  type KeyRotation,
  type KeyState,
  type ReEncryptInput,
  type ReEncryptOutput,
  type RotationStatus,
} from '../types.js';
import { parseBlobHeader } from './blob.js';
import { newKeyPair, newVersion, openBlob, sealBlob } from './crypto.js';
import { disabled, invalidState } from './errors.js';
import {
  addVersion,
  DAY_MS,
  maintain,
  maintenanceDue,
  purgePending,
  rotationDue,
} from './maintenance.js';
import { LOCAL_ACCOUNT, LOCAL_ROOT_PRINCIPAL } from './constants.js';
import type {
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
import { authorize, authorizeAccount, checkNewPolicy, type Caller } from './authorize.js';
import { findAlias, pickRegion, resolveKey, resolveTarget } from './resolve.js';
import { KeystoreFiles, type Keystore, type StoredKey } from './store.js';

const MAX_ON_DEMAND_ROTATIONS = 10;
const MAX_ENCRYPT_BYTES = 4096;

export class LocalKmsImpl implements LocalKms {
  readonly dir: string;
  private readonly files: KeystoreFiles;
  private readonly clock: () => Date;

  constructor(opts: LocalKmsOptions) {
    this.dir = opts.dir;
    this.files = new KeystoreFiles(opts.dir, opts.rootKey);
    this.clock = opts.clock ?? (() => new Date());
  }

  client(principal: string, opts: ClientOptions = {}): LocalKmsClient {
    if (!principal) throw new KmsError('ValidationException', 'a principal is required');
    return new LocalClient(this.files, this.clock, principal, opts);
  }

  admin(): LocalKmsClient {
    return this.client(LOCAL_ROOT_PRINCIPAL);
  }
}

type CreateKeyArgs = CreateKeyInput & {
  keySpec?: LocalKeySpec;
  enableKeyRotation?: boolean;
  rotationPeriodInDays?: number;
};

class LocalClient implements LocalKmsClient {
  constructor(
    private readonly files: KeystoreFiles,
    private readonly clock: () => Date,
    readonly principal: string,
    private readonly opts: ClientOptions,
  ) {}

  // ---- Kms ------------------------------------------------------------------------------

  async generateDataKey(input: GenerateDataKeyInput): Promise<GenerateDataKeyOutput> {
    const n = input.numberOfBytes ?? 32;
    if (!Number.isInteger(n) || n < 1 || n > 1024)
      throw new KmsError('ValidationException', 'NumberOfBytes must be between 1 and 1024');
    const st = await this.view();
    const key = this.usable(st, input.keyId, 'kms:GenerateDataKey', input.context);
    const plaintext = randomBytes(n);
    const out = this.seal(key, plaintext, input.context);
    return { ...out, plaintext: new Uint8Array(plaintext) };
  }

  async generateDataKeyWithoutPlaintext(input: GenerateDataKeyInput) {
    const n = input.numberOfBytes ?? 32;
    if (!Number.isInteger(n) || n < 1 || n > 1024)
      throw new KmsError('ValidationException', 'NumberOfBytes must be between 1 and 1024');
    const st = await this.view();
    const key = this.usable(st, input.keyId, 'kms:GenerateDataKeyWithoutPlaintext', input.context);
    const plaintext = randomBytes(n);
    try {
      return this.seal(key, plaintext, input.context);
    } finally {
      plaintext.fill(0);
    }
  }

  async encrypt(input: EncryptInput): Promise<EncryptOutput> {
    if (input.plaintext.length < 1 || input.plaintext.length > MAX_ENCRYPT_BYTES)
      throw new KmsError('ValidationException', 'Plaintext must be 1 to 4096 bytes');
    const st = await this.view();
    const key = this.usable(st, input.keyId, 'kms:Encrypt', input.context);
    return this.seal(key, input.plaintext, input.context);
  }

  async decrypt(input: DecryptInput): Promise<DecryptOutput> {
    const st = await this.view();
    return this.open(st, input.ciphertextBlob, input.context, input.keyId, 'kms:Decrypt');
  }

  async reEncrypt(input: ReEncryptInput): Promise<ReEncryptOutput> {
    const st = await this.view();
    const src = this.open(
      st,
      input.ciphertextBlob,
      input.sourceContext,
      input.sourceKeyId,
      'kms:ReEncryptFrom',
    );
    try {
      const dest = this.usable(
        st,
        input.destinationKeyId,
        'kms:ReEncryptTo',
        input.destinationContext,
      );
      const out = this.seal(dest, src.plaintext, input.destinationContext);
      return { sourceKeyId: src.keyId, ...out };
    } finally {
      src.plaintext.fill(0);
    }
  }

  async describeKey(keyId: string): Promise<LocalKeyMetadata> {
    const st = await this.view();
    const key = this.resolve(st, keyId);
    this.authorize(key, 'kms:DescribeKey');
    return metadata(st, key);
  }

  async keyState(keyId: string): Promise<KeyState> {
    return (await this.describeKey(keyId)).keyState;
  }

  // ---- key lifecycle ----------------------------------------------------------------------

  async createKey(input: CreateKeyArgs): Promise<LocalKeyMetadata> {
    this.authorizeAccount('kms:CreateKey');
    const keySpec = input.keySpec ?? 'SYMMETRIC_DEFAULT';
    if (!['SYMMETRIC_DEFAULT', 'RSA_2048', 'ECC_NIST_P256'].includes(keySpec))
      throw new KmsError('ValidationException', `KeySpec ${keySpec} is not supported`);
    const gcp = input.keyRing !== undefined;
    let region = input.region;
    let arn: string;
    let keyId: string;
    let account = LOCAL_ACCOUNT;
    if (gcp) {
      const name = gcpKeyName(input);
      const ref = parseKeyRef(name);
      if (!ref.ok || ref.ref.kind !== 'gcp-key')
        throw new KmsError(
          'ValidationException',
          `invalid GCP key name ${name}: ${ref.ok ? 'not a crypto key' : ref.reason}`,
        );
      region = ref.ref.region!;
      account = ref.ref.project!;
      if (input.multiRegion)
        throw new KmsError('ValidationException', 'GCP-style keys cannot be multi-region');
      arn = keyId = name;
    } else {
      if (!isAwsRegion(region))
        throw new KmsError('ValidationException', `"${region}" is not an AWS region`);
      keyId = input.multiRegion ? `mrk-${randomBytes(16).toString('hex')}` : randomUUID();
      arn = `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:key/${keyId}`;
    }
    const policy = this.checkNewPolicy(
      input.policy ?? defaultKeyPolicy(LOCAL_ACCOUNT),
      arn,
      input.bypassPolicyLockoutSafetyCheck,
    );
    const rotationOn = input.enableKeyRotation === true;
    if (input.rotationPeriodInDays !== undefined) checkRotationPeriod(input.rotationPeriodInDays);
    if (rotationOn && keySpec !== 'SYMMETRIC_DEFAULT')
      throw new KmsError('UnsupportedOperationException', 'only symmetric keys can be rotated');
    const version1 = await newVersion(this.files, keyId, 1, keySpec, this.clock().toISOString());
    const now = this.clock();
    const key: StoredKey = {
      arn,
      keyId,
      provider: gcp ? 'gcp' : 'aws',
      region,
      account,
      keySpec,
      description: input.description ?? '',
      createdAt: now.toISOString(),
      state: 'Enabled',
      multiRegion: input.multiRegion === true,
      policy,
      tags: { ...(input.tags ?? {}) },
      rotation: rotationOn
        ? {
            enabled: true,
            periodDays: input.rotationPeriodInDays ?? 365,
            periodStart: now.toISOString(),
            onDemandCount: 0,
          }
        : { enabled: false, onDemandCount: 0 },
      primaryVersion: 1,
      versions: [version1],
    };
    if (key.multiRegion) key.multiRegionRole = 'PRIMARY';
    return this.mutate((st) => {
      if (st.keys[arn]) throw new KmsError('AlreadyExistsException', `key ${arn} already exists`);
      st.keys[arn] = key;
      return metadata(st, key);
    });
  }

  async replicateKey(
    keyId: string,
    replicaRegion: string,
    opts: ReplicateKeyOptions = {},
  ): Promise<LocalKeyMetadata> {
    this.authorizeAccount('kms:CreateKey');
    if (!isAwsRegion(replicaRegion))
      throw new KmsError('ValidationException', `"${replicaRegion}" is not an AWS region`);
    return this.mutate((st) => {
      const primary = this.resolve(st, keyId);
      this.authorize(primary, 'kms:ReplicateKey');
      if (!primary.multiRegion || primary.multiRegionRole !== 'PRIMARY')
        throw new KmsError(
          'UnsupportedOperationException',
          `${primary.arn} is not a multi-region primary key`,
        );
      if (primary.state === 'PendingDeletion' || primary.state === 'Destroyed')
        throw invalidState(primary);
      if (primary.region === replicaRegion)
        throw new KmsError('ValidationException', `the primary key is already in ${replicaRegion}`);
      const arn = `arn:aws:kms:${replicaRegion}:${LOCAL_ACCOUNT}:key/${primary.keyId}`;
      if (st.keys[arn])
        throw new KmsError('AlreadyExistsException', `a replica already exists: ${arn}`);
      const policy = this.checkNewPolicy(
        opts.policy ?? defaultKeyPolicy(LOCAL_ACCOUNT),
        arn,
        opts.bypassPolicyLockoutSafetyCheck,
      );
      const replica: StoredKey = {
        ...structuredClone(primary),
        arn,
        region: replicaRegion,
        description: opts.description ?? primary.description,
        createdAt: this.clock().toISOString(),
        state: 'Enabled',
        multiRegionRole: 'REPLICA',
        policy,
        tags: { ...(opts.tags ?? {}) },
        rotation: { enabled: false, onDemandCount: 0 },
      };
      delete replica.deletionDate;
      delete replica.pendingWindowDays;
      st.keys[arn] = replica;
      return metadata(st, replica);
    });
  }

  async listKeys(): Promise<LocalKeyMetadata[]> {
    this.authorizeAccount('kms:ListKeys');
    const st = await this.view();
    return Object.values(st.keys).map((k) => metadata(st, k));
  }

  async enableKey(keyId: string): Promise<void> {
    await this.change(keyId, 'kms:EnableKey', (key, _st, now) => {
      if (key.state === 'PendingDeletion' || key.state === 'Destroyed') throw invalidState(key);
      key.state = 'Enabled';
      // A disabled key does not rotate. If its rotation fell due meanwhile, it rotates once, on
      // the next access (as AWS does), not once per period missed.
      const due = rotationDue(key);
      const r = key.rotation;
      if (due !== undefined && due < now.getTime())
        r.periodStart = new Date(now.getTime() - r.periodDays! * DAY_MS).toISOString();
    });
  }

  async disableKey(keyId: string): Promise<void> {
    await this.change(keyId, 'kms:DisableKey', (key) => {
      if (key.state === 'PendingDeletion' || key.state === 'Destroyed') throw invalidState(key);
      key.state = 'Disabled';
    });
  }

  async scheduleKeyDeletion(keyId: string, pendingWindowInDays = 30): Promise<LocalKeyMetadata> {
    if (
      !Number.isInteger(pendingWindowInDays) ||
      pendingWindowInDays < 7 ||
      pendingWindowInDays > 30
    )
      throw new KmsError('ValidationException', 'PendingWindowInDays must be between 7 and 30');
    return this.change(keyId, 'kms:ScheduleKeyDeletion', (key, st) => {
      if (key.state === 'PendingDeletion' || key.state === 'Destroyed') throw invalidState(key);
      key.state = 'PendingDeletion';
      key.pendingWindowDays = pendingWindowInDays;
      key.deletionDate = new Date(
        this.clock().getTime() + pendingWindowInDays * DAY_MS,
      ).toISOString();
      return metadata(st, key);
    });
  }

  async cancelKeyDeletion(keyId: string): Promise<LocalKeyMetadata> {
    return this.change(keyId, 'kms:CancelKeyDeletion', (key, st) => {
      if (key.state !== 'PendingDeletion') throw invalidState(key);
      key.state = 'Disabled'; // as on AWS: a cancelled deletion leaves the key disabled
      delete key.deletionDate;
      delete key.pendingWindowDays;
      return metadata(st, key);
    });
  }

  async purge(): Promise<PurgeResult> {
    return this.mutate((st, now) =>
      purgePending(this.files, st, now, (key) => this.authorize(key, 'kms:ScheduleKeyDeletion')),
    );
  }

  // ---- rotation --------------------------------------------------------------------------

  async enableKeyRotation(keyId: string, rotationPeriodInDays = 365): Promise<void> {
    checkRotationPeriod(rotationPeriodInDays);
    await this.change(keyId, 'kms:EnableKeyRotation', (key) => {
      rotatable(key);
      if (key.state === 'Disabled') throw disabled(key);
      const wasOn = key.rotation.enabled;
      key.rotation.enabled = true;
      key.rotation.periodDays = rotationPeriodInDays;
      if (!wasOn || !key.rotation.periodStart)
        key.rotation.periodStart = this.clock().toISOString();
    });
  }

  async disableKeyRotation(keyId: string): Promise<void> {
    await this.change(keyId, 'kms:DisableKeyRotation', (key) => {
      rotatable(key);
      if (key.state === 'Disabled') throw disabled(key);
      key.rotation.enabled = false;
      delete key.rotation.periodStart;
    });
  }

  async getKeyRotationStatus(keyId: string): Promise<RotationStatus> {
    const st = await this.view();
    let key = this.resolve(st, keyId);
    this.authorize(key, 'kms:GetKeyRotationStatus');
    // Rotation is a property of the multi-region primary; replicas report it.
    if (key.multiRegionRole === 'REPLICA') key = mrkPrimary(st, key) ?? key;
    const r = key.rotation;
    if (!r.enabled) return { enabled: false };
    const out: RotationStatus = { enabled: true, rotationPeriodInDays: r.periodDays! };
    if (r.periodStart)
      out.nextRotationDate = new Date(Date.parse(r.periodStart) + r.periodDays! * DAY_MS);
    return out;
  }

  async rotateKeyOnDemand(keyId: string): Promise<LocalKeyMetadata> {
    const material = randomBytes(32);
    return this.change(keyId, 'kms:RotateKeyOnDemand', (key, st, now) => {
      rotatable(key);
      if (key.state === 'Disabled') throw disabled(key);
      if (key.state !== 'Enabled') throw invalidState(key);
      if (key.rotation.onDemandCount >= MAX_ON_DEMAND_ROTATIONS)
        throw new KmsError(
          'LimitExceededException',
          `key ${key.arn} has reached the limit of ${MAX_ON_DEMAND_ROTATIONS} on-demand rotations`,
        );
      key.rotation.onDemandCount++;
      addVersion(this.files, st, key, 'ON_DEMAND', now, material);
      return metadata(st, key);
    });
  }

  async listKeyRotations(keyId: string): Promise<KeyRotation[]> {
    const st = await this.view();
    const key = this.resolve(st, keyId);
    this.authorize(key, 'kms:ListKeyRotations');
    return key.versions
      .filter((v) => v.rotationType !== undefined)
      .map((v) => ({
        keyId: key.arn,
        version: String(v.version),
        rotationDate: new Date(v.createdAt),
        rotationType: v.rotationType!,
      }));
  }

  // ---- policy, description --------------------------------------------------------------

  async getKeyPolicy(keyId: string): Promise<string> {
    const st = await this.view();
    const key = this.resolve(st, keyId);
    this.authorize(key, 'kms:GetKeyPolicy');
    return key.policy;
  }

  async putKeyPolicy(keyId: string, policy: string, bypass?: boolean): Promise<void> {
    await this.change(keyId, 'kms:PutKeyPolicy', (key) => {
      if (key.state === 'Destroyed') throw invalidState(key);
      key.policy = this.checkNewPolicy(policy, key.arn, bypass);
    });
  }

  async updateKeyDescription(keyId: string, description: string): Promise<void> {
    await this.change(keyId, 'kms:UpdateKeyDescription', (key) => {
      if (key.state === 'Destroyed') throw invalidState(key);
      key.description = description;
    });
  }

  // ---- aliases ---------------------------------------------------------------------------

  async createAlias(aliasName: string, targetKeyId: string): Promise<void> {
    checkAliasName(aliasName);
    await this.mutate((st) => {
      const key = this.resolveTarget(st, targetKeyId);
      this.authorize(key, 'kms:CreateAlias');
      if (key.state === 'PendingDeletion' || key.state === 'Destroyed') throw invalidState(key);
      const arn = aliasArn(key.region, aliasName);
      if (st.aliases[arn])
        throw new KmsError(
          'AlreadyExistsException',
          `An alias with the name ${arn} already exists`,
        );
      st.aliases[arn] = {
        name: aliasName,
        region: key.region,
        account: LOCAL_ACCOUNT,
        targetArn: key.arn,
        createdAt: this.clock().toISOString(),
      };
    });
  }

  async updateAlias(aliasName: string, targetKeyId: string): Promise<void> {
    checkAliasName(aliasName);
    await this.mutate((st) => {
      const key = this.resolveTarget(st, targetKeyId);
      const arn = aliasArn(key.region, aliasName);
      const alias = st.aliases[arn];
      if (!alias) throw new KmsError('NotFoundException', `Alias ${arn} is not found.`);
      const old = st.keys[alias.targetArn];
      if (old) this.authorize(old, 'kms:UpdateAlias');
      this.authorize(key, 'kms:UpdateAlias');
      if (key.state === 'PendingDeletion' || key.state === 'Destroyed') throw invalidState(key);
      alias.targetArn = key.arn;
    });
  }

  async deleteAlias(aliasName: string): Promise<void> {
    await this.mutate((st) => {
      const [arn, alias] = this.findAlias(st, aliasName);
      const key = st.keys[alias.targetArn];
      if (key) this.authorize(key, 'kms:DeleteAlias');
      delete st.aliases[arn];
    });
  }

  async listAliases(keyId?: string): Promise<AliasEntry[]> {
    this.authorizeAccount('kms:ListAliases');
    const st = await this.view();
    const target = keyId === undefined ? undefined : this.resolve(st, keyId).arn;
    return Object.entries(st.aliases)
      .filter(([, a]) => target === undefined || a.targetArn === target)
      .map(([arn, a]) => ({
        aliasName: a.name,
        aliasArn: arn,
        targetKeyId: keyIdOf(st, a.targetArn),
      }));
  }

  // ---- asymmetric ------------------------------------------------------------------------

  async generateDataKeyPair(input: GenerateDataKeyPairInput): Promise<GenerateDataKeyPairOutput> {
    return this.dataKeyPair(input, 'kms:GenerateDataKeyPair');
  }

  async generateDataKeyPairWithoutPlaintext(input: GenerateDataKeyPairInput) {
    const out = await this.dataKeyPair(input, 'kms:GenerateDataKeyPairWithoutPlaintext');
    out.privateKeyPlaintext.fill(0);
    const { privateKeyPlaintext: _drop, ...rest } = out;
    return rest;
  }

  async getPublicKey(keyId: string): Promise<GetPublicKeyOutput> {
    const st = await this.view();
    const key = this.resolve(st, keyId);
    this.authorize(key, 'kms:GetPublicKey');
    if (key.state === 'Disabled') throw disabled(key);
    if (key.state !== 'Enabled') throw invalidState(key);
    if (key.keySpec === 'SYMMETRIC_DEFAULT')
      throw new KmsError(
        'UnsupportedOperationException',
        `${key.arn} is a symmetric key: GetPublicKey needs an asymmetric KMS key`,
      );
    const v = key.versions.find((x) => x.version === key.primaryVersion)!;
    return {
      keyId: key.arn,
      keySpec: key.keySpec,
      keyUsage: key.keySpec === 'RSA_2048' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY',
      publicKey: new Uint8Array(Buffer.from(v.publicKey!, 'base64')),
    };
  }

  private async dataKeyPair(
    input: GenerateDataKeyPairInput,
    action: string,
  ): Promise<GenerateDataKeyPairOutput> {
    const spec: DataKeyPairSpec = input.keyPairSpec;
    if (spec !== 'RSA_2048' && spec !== 'ECC_NIST_P256')
      throw new KmsError('ValidationException', `KeyPairSpec ${String(spec)} is not supported`);
    const st = await this.view();
    const key = this.usable(st, input.keyId, action, input.context);
    const pair = await newKeyPair(spec);
    const sealed = this.seal(key, pair.privateKey, input.context);
    return {
      keyId: sealed.keyId,
      keyVersion: sealed.keyVersion,
      keyPairSpec: spec,
      publicKey: new Uint8Array(pair.publicKey),
      privateKeyPlaintext: new Uint8Array(pair.privateKey),
      privateKeyCiphertextBlob: sealed.ciphertextBlob,
    };
  }

  // ---- machinery -------------------------------------------------------------------------

  /** The keystore for a read-only call, with any due maintenance applied (under the lock). */
  private async view(): Promise<Keystore> {
    const st = await this.files.read();
    if (!maintenanceDue(st, this.clock())) return st;
    await this.mutate(() => undefined);
    return this.files.read();
  }

  /** Lock, re-read, run maintenance and `fn`, write. Maintenance is written even if `fn` throws. */
  private async mutate<T>(fn: (st: Keystore, now: Date) => T): Promise<T> {
    const now = this.clock();
    type Outcome = { ok: true; value: T } | { ok: false; error: unknown };
    const outcome = await this.files.update<Outcome>((st) => {
      const maintained = maintain(this.files, st, now);
      try {
        return { result: { ok: true, value: fn(st, now) }, write: true };
      } catch (error) {
        return { result: { ok: false, error }, write: maintained };
      }
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Resolve, authorize and change one key. */
  private change<T>(
    keyId: string,
    action: string,
    fn: (key: StoredKey, st: Keystore, now: Date) => T,
  ): Promise<T> {
    return this.mutate((st, now) => {
      const key = this.resolve(st, keyId);
      this.authorize(key, action);
      return fn(key, st, now);
    });
  }

  /** Resolve a key reference: key id, key ARN, alias name, alias ARN or GCP name. */
  private resolve(st: Keystore, ref: string): StoredKey {
    return resolveKey(st, ref, this.opts.region);
  }

  private findAlias(st: Keystore, name: string): [string, Keystore['aliases'][string]] {
    return findAlias(st, name, this.opts.region);
  }

  private resolveTarget(st: Keystore, ref: string): StoredKey {
    return resolveTarget(st, ref, this.opts.region);
  }

  private authorize(key: StoredKey, action: string, ctx?: EncryptionContext): void {
    authorize(this.caller(), key, action, ctx);
  }

  private authorizeAccount(action: string): void {
    authorizeAccount(this.principal, action);
  }

  private checkNewPolicy(policy: string, arn: string, bypass?: boolean): string {
    return checkNewPolicy(this.principal, policy, arn, bypass);
  }

  private caller(): Caller {
    return {
      principal: this.principal,
      ...(this.opts.viaService === undefined ? {} : { viaService: this.opts.viaService }),
    };
  }

  /** Resolve for a cryptographic operation: authorized, symmetric, enabled. */
  private usable(st: Keystore, ref: string, action: string, ctx?: EncryptionContext): StoredKey {
    const key = this.resolve(st, ref);
    this.authorize(key, action, ctx);
    checkUsable(key);
    return key;
  }

  private seal(key: StoredKey, plaintext: Uint8Array, ctx?: EncryptionContext): EncryptOutput {
    return sealBlob(this.files, key, plaintext, ctx);
  }

  private open(
    st: Keystore,
    blob: Uint8Array,
    ctx: EncryptionContext | undefined,
    keyHint: string | undefined,
    action: string,
  ): DecryptOutput & { plaintext: Buffer } {
    const h = parseBlobHeader(blob);
    let key = st.keys[h.keyArn];
    const blobKeyId = key?.keyId ?? /:key\/(mrk-[0-9a-f]{32})$/.exec(h.keyArn)?.[1];
    if (keyHint !== undefined) {
      const hinted = this.resolve(st, keyHint);
      if (hinted.keyId !== blobKeyId)
        throw new KmsError(
          'IncorrectKeyException',
          'The key ID in the request does not identify the KMS key that encrypted the ciphertext.',
        );
      key = hinted; // a related multi-region key may decrypt (same id and material)
    } else if (!key && blobKeyId) {
      key = pickRegion(
        this.opts.region,
        Object.values(st.keys).filter((k) => k.keyId === blobKeyId),
      );
    }
    if (!key) throw new KmsError('NotFoundException', `Key '${h.keyArn}' does not exist`);
    this.authorize(key, action, ctx);
    checkUsable(key);
    return openBlob(this.files, key, h, ctx);
  }
}

// ---- helpers -------------------------------------------------------------------------------

function metadata(st: Keystore, key: StoredKey): LocalKeyMetadata {
  const m: LocalKeyMetadata = {
    keyId: key.keyId,
    arn: key.arn,
    provider: key.provider,
    region: key.region,
    account: key.account,
    keyState: key.state,
    enabled: key.state === 'Enabled',
    description: key.description,
    creationDate: new Date(key.createdAt),
    multiRegion: key.multiRegion,
    keyManager: 'CUSTOMER',
    keySpec: key.keySpec,
    aliases: Object.values(st.aliases)
      .filter((a) => a.targetArn === key.arn)
      .map((a) => a.name)
      .sort(),
    versions: key.versions.map((v) => String(v.version)),
    rotationEnabled: key.rotation.enabled,
    tags: { ...key.tags },
  };
  if (key.state !== 'Destroyed') m.primaryVersion = String(key.primaryVersion);
  if (key.deletionDate) m.deletionDate = new Date(key.deletionDate);
  // A purge destroys the material before the scheduled date: the real time of destruction is
  // what tells a user when their data became unrecoverable.
  if (key.destroyedAt) m.deletionDate = new Date(key.destroyedAt);
  if (key.pendingWindowDays) m.pendingDeletionWindowInDays = key.pendingWindowDays;
  if (key.multiRegionRole) m.multiRegionRole = key.multiRegionRole;
  if (key.rotation.enabled) m.rotationPeriodInDays = key.rotation.periodDays!;
  return m;
}

function mrkPrimary(st: Keystore, key: StoredKey): StoredKey | undefined {
  return Object.values(st.keys).find(
    (k) => k.keyId === key.keyId && k.multiRegionRole === 'PRIMARY',
  );
}

function keyIdOf(st: Keystore, arn: string): string {
  return st.keys[arn]?.keyId ?? arn;
}

function checkUsable(key: StoredKey): void {
  if (key.state === 'Disabled') throw disabled(key);
  if (key.state !== 'Enabled') throw invalidState(key);
  if (key.keySpec !== 'SYMMETRIC_DEFAULT')
    throw new KmsError(
      'InvalidKeyUsageException',
      `${key.arn} is an asymmetric key (${key.keySpec}); the local KMS encrypts with symmetric keys only`,
    );
}

function rotatable(key: StoredKey): void {
  if (key.keySpec !== 'SYMMETRIC_DEFAULT')
    throw new KmsError('UnsupportedOperationException', 'only symmetric keys can be rotated');
  if (key.multiRegionRole === 'REPLICA')
    throw new KmsError(
      'UnsupportedOperationException',
      `${key.arn} is a multi-region replica: rotate its primary key`,
    );
  if (key.state === 'PendingDeletion' || key.state === 'Destroyed') throw invalidState(key);
}

function checkRotationPeriod(days: number): void {
  if (!Number.isInteger(days) || days < 90 || days > 2560)
    throw new KmsError('ValidationException', 'RotationPeriodInDays must be between 90 and 2560');
}

function checkAliasName(name: string): void {
  if (!/^alias\/[A-Za-z0-9/_-]+$/.test(name) || name.length > 256)
    throw new KmsError(
      'InvalidAliasNameException',
      `Alias ${name} must begin with alias/ and contain only letters, digits, /, _ and -`,
    );
  if (name.startsWith('alias/aws/'))
    throw new KmsError('InvalidAliasNameException', 'alias/aws/ is reserved for AWS managed keys');
}

function aliasArn(region: string, name: string): string {
  return `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:${name}`;
}

/** The full crypto key name for a GCP-style key: `keyRing` is a bare ring id (with `region`),
 * a key ring path `projects/P/locations/L/keyRings/R`, or a whole crypto key name. */
function gcpKeyName(input: CreateKeyInput): string {
  const ring = input.keyRing!;
  const name = input.name ?? `key-${randomBytes(4).toString('hex')}`;
  let full: string;
  if (ring.includes('/cryptoKeys/')) full = ring;
  else if (ring.startsWith('projects/')) full = `${ring}/cryptoKeys/${name}`;
  else {
    if (!isGcpLocation(input.region))
      throw new KmsError('ValidationException', `"${input.region}" is not a GCP location`);
    full = `projects/local/locations/${input.region}/keyRings/${ring}/cryptoKeys/${name}`;
  }
  const loc = /\/locations\/([^/]+)\//.exec(full)?.[1];
  if (input.region && loc !== input.region)
    throw new KmsError(
      'ValidationException',
      `key ring location "${loc}" differs from region "${input.region}"`,
    );
  return full;
}
