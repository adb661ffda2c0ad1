// The per-service key hierarchy:
//
//   KMS key (CMEK, or a provider-managed key: same code)      lives in the KMS, never leaves it
//     └─ service key (32 bytes)   wrapped by the KMS key      1 KMS call to unwrap, then cached
//          └─ DEK gen 1..n        wrapped by the service key  local AES-GCM, no KMS call
//               └─ object key     HKDF(DEK, object id)        per object, never stored
//
// The record (KeySetRecord) is plain JSON with base64 blobs and no plaintext, so the control
// plane can persist it beside the service. Rewrapping to a new KMS key or key version re-wraps
// the one service key: O(1) KMS calls whatever the amount of data, and no object is rewritten.
// A new DEK generation (rotateDek) is local; re-encrypting old objects under it is the data
// plane's job (cloudsql's explicit `reencrypt`).
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { z } from 'zod';
import type { EncryptionContext, Kms } from '../kms/types.js';
import { KeyCache } from './cache.js';
import type { DataKey, DekResolver } from './envelope.js';
import { IntegrityError } from './errors.js';
import { encodeContext, type DekRef } from './format.js';
import { KmsKeyring, type WrappedKey } from './keyring.js';
import type { SecretKey } from './secret.js';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const KeySetRecordSchema = z.object({
  version: z.literal(1),
  serviceId: z.string().min(1),
  /** The KMS key that wraps the service key, and the key version that did it. */
  kek: z.object({ keyId: z.string().min(1), keyVersion: z.string().optional() }),
  /** The service key wrapped by the KMS key (KMS ciphertext blob, base64). */
  wrappedServiceKey: base64.min(1),
  deks: z
    .array(
      z.object({
        id: z.string().min(1).max(255),
        generation: z.number().int().min(1).max(0xffffffff),
        /** nonce(12) ‖ AES-256-GCM(service key, DEK) ‖ tag(16), base64. */
        wrapped: base64.min(1),
        createdAt: z.string(),
      }),
    )
    .min(1),
  /** Id of the DEK new objects are written with. */
  primaryDek: z.string().min(1),
});

export type KeySetRecord = z.infer<typeof KeySetRecordSchema>;
export type DekEntry = KeySetRecord['deks'][number];

export interface KekRef {
  keyId: string;
  keyVersion?: string;
}

export interface ServiceKeySetOptions {
  kms: Kms;
  /** Shared by every key set of a process, so the poller can purge by KMS key. */
  cache?: KeyCache;
  now?: () => Date;
}

export interface RewrapResult {
  from: KekRef;
  to: KekRef;
  /** KMS calls made: 1 (Encrypt) when the service key was cached, else 2. */
  kmsCalls: number;
}

/** The encryption context of every KMS call made for a service's key hierarchy. */
export function serviceKeyContext(serviceId: string): EncryptionContext {
  return { 'cmek:service-id': serviceId, 'cmek:purpose': 'service-key' };
}

/** A new DEK id: 15 hex digits (60 random bits; ids only need to be unique within one key set
 * and are not secret). 15 bytes make the object header 33 + 15 = 48 bytes, so every chunk of an
 * object starts 8-byte aligned (the stride, C + 16, is a multiple of 16): AES-GCM decryption in
 * node:crypto reads its input about 15-20 % slower when it is not (bench/core.ts notes, docs/core.md
 * "Performance"). Objects under older 16-digit ids stay valid: the format allows 1..255 bytes. */
export function newDekId(): string {
  return randomBytes(8).toString('hex').slice(0, 15);
}

function dekAad(serviceId: string, id: string, generation: number): Buffer {
  return encodeContext({
    'cmek:purpose': 'dek',
    'cmek:service-id': serviceId,
    'cmek:dek-id': id,
    'cmek:dek-generation': String(generation),
  });
}

function wrapDek(serviceKey: Buffer, dek: Buffer, aad: Buffer): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', serviceKey, iv);
  c.setAAD(aad);
  return Buffer.concat([iv, c.update(dek), c.final(), c.getAuthTag()]).toString('base64');
}

function unwrapDek(serviceKey: Buffer, wrapped: string, aad: Buffer): Buffer {
  const b = Buffer.from(wrapped, 'base64');
  if (b.length !== 12 + 32 + 16)
    throw new IntegrityError('wrapped-key', 'wrapped DEK is malformed');
  const d = createDecipheriv('aes-256-gcm', serviceKey, b.subarray(0, 12));
  d.setAAD(aad);
  d.setAuthTag(b.subarray(44));
  const pt = d.update(b.subarray(12, 44));
  try {
    d.final();
  } catch {
    pt.fill(0);
    throw new IntegrityError('wrapped-key', 'wrapped DEK failed authentication');
  }
  return pt;
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 16);
}

export class ServiceKeySet implements DekResolver {
  readonly kms: Kms;
  readonly cache: KeyCache;
  readonly #now: () => Date;
  #record: KeySetRecord;

  private constructor(record: KeySetRecord, opts: ServiceKeySetOptions) {
    this.#record = record;
    this.kms = opts.kms;
    this.cache = opts.cache ?? new KeyCache();
    this.#now = opts.now ?? (() => new Date());
  }

  /** A new hierarchy for a service: one GenerateDataKey call for the service key, one DEK. The
   * service key goes straight into the cache, so the first writes make no further KMS call. */
  static async create(
    opts: ServiceKeySetOptions & { serviceId: string; kmsKeyId: string },
  ): Promise<ServiceKeySet> {
    const ring = new KmsKeyring(opts.kms, opts.kmsKeyId);
    const { plaintext, wrapped } = await ring.generate(serviceKeyContext(opts.serviceId));
    try {
      const now = (opts.now ?? (() => new Date()))();
      const dek = randomBytes(32);
      const id = newDekId();
      const record: KeySetRecord = {
        version: 1,
        serviceId: opts.serviceId,
        kek: kekOf(wrapped),
        wrappedServiceKey: wrapped.ciphertext,
        deks: [
          {
            id,
            generation: 1,
            wrapped: wrapDek(plaintext, dek, dekAad(opts.serviceId, id, 1)),
            createdAt: now.toISOString(),
          },
        ],
        primaryDek: id,
      };
      dek.fill(0);
      const set = new ServiceKeySet(record, opts);
      set.cache.put(set.#serviceKeyCacheId(), record.kek.keyId, plaintext);
      return set;
    } finally {
      plaintext.fill(0);
    }
  }

  /** Opens a persisted record. No KMS call until a key is needed. Throws on a malformed record. */
  static open(record: unknown, opts: ServiceKeySetOptions): ServiceKeySet {
    const parsed = KeySetRecordSchema.parse(record);
    if (!parsed.deks.some((d) => d.id === parsed.primaryDek)) {
      throw new Error(`key set of ${parsed.serviceId}: primary DEK ${parsed.primaryDek} missing`);
    }
    return new ServiceKeySet(structuredClone(parsed), opts);
  }

  /** A copy of the persistable record (no plaintext). */
  get record(): KeySetRecord {
    return structuredClone(this.#record);
  }

  toJSON(): KeySetRecord {
    return this.record;
  }

  get serviceId(): string {
    return this.#record.serviceId;
  }

  get kek(): KekRef {
    return { ...this.#record.kek };
  }

  get primaryRef(): DekRef {
    const d = this.#record.deks.find((x) => x.id === this.#record.primaryDek)!;
    return { id: d.id, generation: d.generation };
  }

  /** DEK references, oldest first. */
  get dekRefs(): DekRef[] {
    return this.#record.deks.map((d) => ({ id: d.id, generation: d.generation }));
  }

  /** True when the service key was wrapped by another KMS key or an older key version than
   * the one given (e.g. the KMS key's primaryVersion after a rotation). */
  isStale(kmsKeyId: string, currentKeyVersion?: string): boolean {
    const kek = this.#record.kek;
    if (kek.keyId !== kmsKeyId && !kek.keyId.endsWith(`/${kmsKeyId}`)) return true;
    return currentKeyVersion !== undefined && kek.keyVersion !== currentKeyVersion;
  }

  #serviceKeyCacheId(): string {
    return `svc:${this.serviceId}:${shortHash(this.#record.wrappedServiceKey)}`;
  }

  #serviceKey(): Promise<SecretKey> {
    const wrapped: WrappedKey = {
      kmsKeyId: this.#record.kek.keyId,
      ciphertext: this.#record.wrappedServiceKey,
    };
    return this.cache.get(this.#serviceKeyCacheId(), this.#record.kek.keyId, () =>
      new KmsKeyring(this.kms, wrapped.kmsKeyId).unwrap(wrapped, serviceKeyContext(this.serviceId)),
    );
  }

  /** The data key new objects are written with. */
  primaryDek(): Promise<DataKey> {
    return this.getDek(this.primaryRef);
  }

  /** The data key an object header names. IntegrityError('unknown-dek') if this set does not
   * hold it; KmsError if the KMS refuses to unwrap the service key. */
  async getDek(ref: DekRef): Promise<DataKey> {
    const entry = this.#record.deks.find((d) => d.id === ref.id && d.generation === ref.generation);
    if (!entry) {
      throw new IntegrityError(
        'unknown-dek',
        `service ${this.serviceId} holds no data key ${ref.id}#${ref.generation}`,
      );
    }
    const cacheId = `dek:${this.serviceId}:${entry.id}:${entry.generation}:${shortHash(entry.wrapped)}`;
    const key = await this.cache.get(cacheId, this.#record.kek.keyId, async () => {
      const sk = await this.#serviceKey();
      return sk.use((bytes) =>
        unwrapDek(bytes, entry.wrapped, dekAad(this.serviceId, entry.id, entry.generation)),
      );
    });
    return { ref: { id: entry.id, generation: entry.generation }, key };
  }

  /** Adds a DEK generation and makes it primary. Local: wrapped by the service key (a KMS call
   * only if the service key is not cached). Existing objects keep their DEK. */
  async rotateDek(): Promise<DekRef> {
    const sk = await this.#serviceKey();
    const generation = Math.max(...this.#record.deks.map((d) => d.generation)) + 1;
    const id = newDekId();
    const dek = randomBytes(32);
    const wrapped = sk.use((bytes) => wrapDek(bytes, dek, dekAad(this.serviceId, id, generation)));
    dek.fill(0);
    this.#record.deks.push({ id, generation, wrapped, createdAt: this.#now().toISOString() });
    this.#record.primaryDek = id;
    return { id, generation };
  }

  /** Adds another key set's DEK (same id and generation), wrapped by this set's service key:
   * what lets a replica hold a byte copy of its primary's ciphertext (the object header names
   * the DEK; the replica's own key hierarchy now unwraps it). Not made primary. Local: a KMS
   * call only if the service key is not cached. Returns false when this set already holds that
   * DEK; an entry with the same id and generation but another key is an IntegrityError. The
   * caller persists `record` afterwards. */
  async importDek(dek: DataKey): Promise<boolean> {
    const { id, generation } = dek.ref;
    if (this.#record.deks.some((d) => d.id === id && d.generation === generation)) {
      const mine = await this.getDek(dek.ref);
      const same = mine.key.use((a) =>
        dek.key.use((b) => a.length === b.length && timingSafeEqual(a, b)),
      );
      if (!same) {
        throw new IntegrityError(
          'wrapped-key',
          `service ${this.serviceId} holds another data key under the id ${id}#${generation}`,
        );
      }
      return false;
    }
    const sk = await this.#serviceKey();
    const wrapped = sk.use((s) =>
      dek.key.use((k) => wrapDek(s, k, dekAad(this.serviceId, id, generation))),
    );
    this.#record = {
      ...this.#record,
      deks: [
        ...this.#record.deks,
        { id, generation, wrapped, createdAt: this.#now().toISOString() },
      ],
    };
    return true;
  }

  /** Re-wraps the service key under `newKmsKeyId` (default: the same KMS key, i.e. its current
   * primary version). Decrypt (skipped when cached) + Encrypt: O(1) KMS calls; DEKs and objects
   * are untouched. The caller persists `record` afterwards. */
  async rewrap(newKmsKeyId?: string): Promise<RewrapResult> {
    const from = this.kek;
    const before = this.cache.stats.loads;
    const sk = await this.#serviceKey();
    const decrypts = this.cache.stats.loads - before;
    const ring = new KmsKeyring(this.kms, newKmsKeyId ?? from.keyId);
    const context = serviceKeyContext(this.serviceId);
    // A private copy for the KMS call: the request may still read it after an await, and a
    // concurrent purge zeroes the cached bytes; wrapping zeros would lose the service key.
    const plain = sk.use((bytes) => Buffer.from(bytes));
    try {
      const wrapped = await ring.wrap(plain, context);
      this.#record = {
        ...this.#record,
        kek: kekOf(wrapped),
        wrappedServiceKey: wrapped.ciphertext,
      };
      // Cache the same plaintext under the new wrapping, tagged with the new KMS key.
      this.cache.put(this.#serviceKeyCacheId(), wrapped.kmsKeyId, plain);
    } finally {
      plain.fill(0);
    }
    return { from, to: this.kek, kmsCalls: decrypts + 1 };
  }

  /** Fails closed: destroys this hierarchy's cached keys (and those of every other key set on
   * the same KMS key). */
  purge(): number {
    return this.cache.purgeKmsKey(this.#record.kek.keyId);
  }
}

function kekOf(w: WrappedKey): KekRef {
  return w.kmsKeyVersion === undefined
    ? { keyId: w.kmsKeyId }
    : { keyId: w.kmsKeyId, keyVersion: w.kmsKeyVersion };
}
