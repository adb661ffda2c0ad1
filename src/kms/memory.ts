// An in-memory Kms for unit tests and benchmarks: real AES-256-GCM wrapping under per-version
// key material, AWS-like key states and errors, ARNs, encryption context bound as AAD, and a
// counter per operation so tests and benches can assert how many KMS calls a flow made.
// Nothing here touches the disk. The real local KMS (src/kms/local) is the product's; this one
// stays small on purpose.
//
// Blob: u16 len + key ARN | u32 version | 12-byte IV | ciphertext ‖ tag; AAD = those header
// bytes ‖ canonical context, so a blob cannot be moved to another key, version or context.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import {
  KmsError,
  type DecryptInput,
  type DecryptOutput,
  type EncryptInput,
  type EncryptOutput,
  type EncryptionContext,
  type GenerateDataKeyInput,
  type GenerateDataKeyOutput,
  type KeyMetadata,
  type KeyState,
  type Kms,
  type ReEncryptInput,
  type ReEncryptOutput,
} from './types.js';

export type MemoryKmsOperation =
  'generateDataKey' | 'encrypt' | 'decrypt' | 'reEncrypt' | 'describeKey';

interface MemoryKey {
  meta: KeyMetadata;
  /** Key material per version ("1", "2", ...); destroyed keys have none. */
  versions: Map<number, Buffer>;
  primary: number;
}

export interface MemoryKmsOptions {
  region?: string;
  account?: string;
}

export class MemoryKms implements Kms {
  readonly region: string;
  readonly account: string;
  readonly #keys = new Map<string, MemoryKey>();
  readonly #aliases = new Map<string, string>();
  readonly calls: Record<MemoryKmsOperation, number> = {
    generateDataKey: 0,
    encrypt: 0,
    decrypt: 0,
    reEncrypt: 0,
    describeKey: 0,
  };

  constructor(opts: MemoryKmsOptions = {}) {
    this.region = opts.region ?? 'us-east-1';
    this.account = opts.account ?? '000000000000';
  }

  /** All KMS calls made so far (every operation, failed ones included). */
  get totalCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  resetCalls(): void {
    for (const k of Object.keys(this.calls) as MemoryKmsOperation[]) this.calls[k] = 0;
  }

  // --- admin (synchronous: this is a test double) ---

  createKey(opts: { region?: string; description?: string; alias?: string } = {}): KeyMetadata {
    const keyId = randomUUID();
    const region = opts.region ?? this.region;
    const meta: KeyMetadata = {
      keyId,
      arn: `arn:aws:kms:${region}:${this.account}:key/${keyId}`,
      provider: 'aws',
      region,
      account: this.account,
      keyState: 'Enabled',
      enabled: true,
      description: opts.description ?? '',
      creationDate: new Date(),
      multiRegion: false,
      keyManager: 'CUSTOMER',
      primaryVersion: '1',
    };
    this.#keys.set(keyId, { meta, versions: new Map([[1, randomBytes(32)]]), primary: 1 });
    if (opts.alias) this.#aliases.set(opts.alias, keyId);
    return { ...meta };
  }

  setKeyState(keyId: string, state: KeyState): void {
    const k = this.#find(keyId);
    k.meta.keyState = state;
    k.meta.enabled = state === 'Enabled';
    if (state === 'Destroyed') {
      for (const m of k.versions.values()) m.fill(0);
      k.versions.clear();
    }
  }

  disableKey(keyId: string): void {
    this.setKeyState(keyId, 'Disabled');
  }

  enableKey(keyId: string): void {
    this.setKeyState(keyId, 'Enabled');
  }

  /** Crypto-shredding: the key material is gone for good. */
  destroyKey(keyId: string): void {
    this.setKeyState(keyId, 'Destroyed');
  }

  /** New primary version; old versions still decrypt (as AWS rotation). Returns the version. */
  rotateKey(keyId: string): string {
    const k = this.#find(keyId);
    k.primary += 1;
    k.versions.set(k.primary, randomBytes(32));
    k.meta.primaryVersion = String(k.primary);
    return k.meta.primaryVersion;
  }

  // --- Kms ---

  async generateDataKey(input: GenerateDataKeyInput): Promise<GenerateDataKeyOutput> {
    this.calls.generateDataKey++;
    const plaintext = randomBytes(input.numberOfBytes ?? 32);
    const k = this.#usable(input.keyId);
    return {
      keyId: k.meta.arn,
      keyVersion: String(k.primary),
      plaintext,
      ciphertextBlob: this.#seal(k, plaintext, input.context),
    };
  }

  async encrypt(input: EncryptInput): Promise<EncryptOutput> {
    this.calls.encrypt++;
    const k = this.#usable(input.keyId);
    return {
      keyId: k.meta.arn,
      keyVersion: String(k.primary),
      ciphertextBlob: this.#seal(k, input.plaintext, input.context),
    };
  }

  async decrypt(input: DecryptInput): Promise<DecryptOutput> {
    this.calls.decrypt++;
    return this.#open(input.ciphertextBlob, input.context, input.keyId);
  }

  async reEncrypt(input: ReEncryptInput): Promise<ReEncryptOutput> {
    this.calls.reEncrypt++;
    const src = this.#open(input.ciphertextBlob, input.sourceContext, input.sourceKeyId);
    const k = this.#usable(input.destinationKeyId);
    return {
      sourceKeyId: src.keyId,
      keyId: k.meta.arn,
      keyVersion: String(k.primary),
      ciphertextBlob: this.#seal(k, src.plaintext, input.destinationContext),
    };
  }

  async describeKey(keyId: string): Promise<KeyMetadata> {
    this.calls.describeKey++;
    return { ...this.#find(keyId).meta };
  }

  // --- internals ---

  #find(ref: string): MemoryKey {
    let id = ref;
    if (ref.startsWith('alias/')) id = this.#aliases.get(ref) ?? ref;
    else if (ref.startsWith('arn:')) id = ref.slice(ref.lastIndexOf('/') + 1);
    const k = this.#keys.get(id);
    if (!k) throw new KmsError('NotFoundException', `key ${ref} does not exist`);
    return k;
  }

  #usable(ref: string): MemoryKey {
    const k = this.#find(ref);
    if (k.meta.keyState === 'Disabled') {
      throw new KmsError('DisabledException', `${k.meta.arn} is disabled`);
    }
    if (k.meta.keyState !== 'Enabled') {
      throw new KmsError('KMSInvalidStateException', `${k.meta.arn} is ${k.meta.keyState}`);
    }
    return k;
  }

  #seal(k: MemoryKey, plaintext: Uint8Array, context: EncryptionContext | undefined): Buffer {
    const header = blobHeader(k.meta.arn, k.primary, randomBytes(12));
    const iv = header.subarray(header.length - 12);
    const c = createCipheriv('aes-256-gcm', k.versions.get(k.primary)!, iv);
    c.setAAD(Buffer.concat([header, contextAad(context)]));
    const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    return Buffer.concat([header, body]);
  }

  #open(
    blob: Uint8Array,
    context: EncryptionContext | undefined,
    expectedKeyId: string | undefined,
  ): DecryptOutput {
    const b = Buffer.from(blob);
    const invalid = () => new KmsError('InvalidCiphertextException', 'ciphertext is invalid');
    if (b.length < 2) throw invalid();
    const arnLen = b.readUInt16BE(0);
    const headerLen = 2 + arnLen + 4 + 12;
    if (b.length < headerLen + 16) throw invalid();
    const arn = b.subarray(2, 2 + arnLen).toString('utf8');
    const version = b.readUInt32BE(2 + arnLen);
    const k = this.#find(arn);
    if (expectedKeyId !== undefined && this.#find(expectedKeyId) !== k) {
      throw new KmsError('IncorrectKeyException', `blob was not encrypted under ${expectedKeyId}`);
    }
    this.#usable(arn);
    const material = k.versions.get(version);
    if (!material) throw invalid();
    const header = b.subarray(0, headerLen);
    const d = createDecipheriv('aes-256-gcm', material, header.subarray(headerLen - 12));
    d.setAAD(Buffer.concat([header, contextAad(context)]));
    d.setAuthTag(b.subarray(b.length - 16));
    const pt = d.update(b.subarray(headerLen, b.length - 16));
    try {
      d.final();
    } catch {
      pt.fill(0);
      throw invalid();
    }
    return { keyId: k.meta.arn, keyVersion: String(version), plaintext: pt };
  }
}

function blobHeader(arn: string, version: number, iv: Buffer): Buffer {
  const a = Buffer.from(arn, 'utf8');
  const h = Buffer.alloc(2 + a.length + 4 + 12);
  h.writeUInt16BE(a.length, 0);
  a.copy(h, 2);
  h.writeUInt32BE(version, 2 + a.length);
  iv.copy(h, 2 + a.length + 4);
  return h;
}

function contextAad(context: EncryptionContext | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b)),
  );
  return Buffer.from(JSON.stringify(entries), 'utf8');
}
