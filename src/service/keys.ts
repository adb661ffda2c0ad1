// The control plane's view of the encryption core's key hierarchy (src/core/hierarchy.ts): one
// ServiceKeySet per service, opened from the persisted record (wrapped keys only) and kept open
// while the record does not change, all sharing ONE key cache. So a process that writes 1,000
// objects to a service unwraps the service key once (1 KMS call), and N parallel writers share
// that one call (the cache is single-flight).
import { randomBytes } from 'node:crypto';
import { KeyCache, ServiceKeySet, type KeySetRecord } from '../core/index.js';
import type { Kms } from '../kms/types.js';

/** A Kms whose GenerateDataKey is a fresh random key (node's CSPRNG) wrapped with Encrypt: the
 * same result, for principals that hold only encrypter/decrypter on the key (the cloudsql
 * profile's service account) and for KMSs without GenerateDataKey (GCP Cloud KMS). */
export function withLocalDataKeys(kms: Kms): Kms {
  return {
    async generateDataKey(input) {
      const plaintext = randomBytes(input.numberOfBytes ?? 32);
      try {
        const out = await kms.encrypt({
          keyId: input.keyId,
          plaintext,
          ...(input.context ? { context: input.context } : {}),
        });
        return {
          keyId: out.keyId,
          ...(out.keyVersion !== undefined ? { keyVersion: out.keyVersion } : {}),
          plaintext: Uint8Array.from(plaintext),
          ciphertextBlob: out.ciphertextBlob,
        };
      } finally {
        plaintext.fill(0);
      }
    },
    encrypt: (i) => kms.encrypt(i),
    decrypt: (i) => kms.decrypt(i),
    reEncrypt: (i) => kms.reEncrypt(i),
    describeKey: (k) => kms.describeKey(k),
  };
}

export type KeyRecord = KeySetRecord;

export interface KeysResult {
  record: KeyRecord;
  /** The KMS key version that wrapped the service key, when the KMS reports one. */
  keyVersion?: string;
}

interface Open {
  text: string;
  kms: Kms;
  set: ServiceKeySet;
}

export class ServiceKeys {
  readonly cache: KeyCache;
  readonly #open = new Map<string, Open>();

  constructor(cache: KeyCache = new KeyCache()) {
    this.cache = cache;
  }

  /** A new hierarchy wrapped by `kekArn`: one GenerateDataKey call. */
  async create(kms: Kms, kekArn: string, serviceId: string): Promise<KeysResult> {
    const set = await ServiceKeySet.create({ kms, cache: this.cache, serviceId, kmsKeyId: kekArn });
    const record = set.record;
    this.#open.set(serviceId, { text: JSON.stringify(record), kms, set });
    return result(record);
  }

  /** The key set of a persisted record; reused while the record is unchanged (another process
   * may have rotated it: then it is reopened from the new record). */
  open(kms: Kms, record: KeyRecord): ServiceKeySet {
    const text = JSON.stringify(record);
    const hit = this.#open.get(record.serviceId);
    if (hit && hit.text === text && hit.kms === kms) return hit.set;
    const set = ServiceKeySet.open(record, { kms, cache: this.cache });
    this.#open.set(record.serviceId, { text, kms, set });
    return set;
  }

  /** Re-wrap the service key under `kekArn` (another key = rotation; the same key = its current
   * primary version). O(1) KMS calls; objects are untouched. */
  async rewrap(kms: Kms, record: KeyRecord, kekArn: string): Promise<KeysResult> {
    const set = this.open(kms, record);
    await set.rewrap(kekArn);
    const next = set.record;
    this.#open.set(next.serviceId, { text: JSON.stringify(next), kms, set });
    return result(next);
  }

  /** Fail closed: destroy the cached keys that depend on the service's KMS key. */
  purge(serviceId: string): void {
    const hit = this.#open.get(serviceId);
    if (hit) hit.set.purge();
    this.#open.delete(serviceId);
  }

  /** Forget a service (deleted) without touching keys other services may share. */
  forget(serviceId: string): void {
    this.#open.delete(serviceId);
  }
}

function result(record: KeyRecord): KeysResult {
  return record.kek.keyVersion === undefined
    ? { record }
    : { record, keyVersion: record.kek.keyVersion };
}
