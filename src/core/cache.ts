// The in-memory key cache. Plaintext keys (service keys unwrapped by the KMS, data keys unwrapped
// by a service key) live only here, bounded by age and by use count, so a busy service makes
// O(1) KMS calls rather than one per object. Concurrent misses on one entry share a single load
// (single flight): N parallel writers cause one KMS call. purge() / purgeKmsKey() drop and zero
// the keys the moment the poller sees a KMS key go inaccessible, so the service fails closed.
import { KeyUnavailableError } from './errors.js';
import { SecretKey } from './secret.js';

/** An ARN (`arn:aws:kms:R:A:key/ID`) and its bare id name the same key. */
export function sameKmsKey(a: string, b: string): boolean {
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

export interface KeyCacheOptions {
  /** Entries older than this are reloaded. Default 5 minutes. */
  maxAgeMs?: number;
  /** An entry is served at most this many times, then reloaded. Default 2^32. */
  maxUses?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface KeyCacheStats {
  hits: number;
  misses: number;
  /** Loads actually started (misses that joined an in-flight load are not counted). */
  loads: number;
  purged: number;
}

interface Entry {
  key: SecretKey;
  kmsKeyId: string;
  createdAt: number;
  uses: number;
}

interface Flight {
  promise: Promise<SecretKey>;
  kmsKeyId: string;
}

export class KeyCache {
  readonly maxAgeMs: number;
  readonly maxUses: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #flights = new Map<string, Flight>();
  /** Bumped by every purge: a load that started before a purge must not repopulate the cache. */
  #epoch = 0;
  #lastGlobalPurge = 0;
  /** KMS key id → epoch of its last purge. */
  readonly #killed = new Map<string, number>();
  readonly stats: KeyCacheStats = { hits: 0, misses: 0, loads: 0, purged: 0 };

  constructor(opts: KeyCacheOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
    this.maxUses = opts.maxUses ?? 2 ** 32;
    this.#now = opts.now ?? Date.now;
    if (!(this.maxAgeMs > 0) || !(this.maxUses >= 1)) {
      throw new RangeError('maxAgeMs and maxUses must be positive');
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns the cached key for `id`, or loads it with `load` (once, however many callers miss
   * at the same time). `kmsKeyId` tags the entry for purgeKmsKey(). Entries evicted by age or
   * use count are dropped, not destroyed: a caller may still hold them for an operation in
   * progress. Purged entries are destroyed. */
  async get(id: string, kmsKeyId: string, load: () => Promise<Uint8Array>): Promise<SecretKey> {
    const e = this.#entries.get(id);
    if (e) {
      if (this.#now() - e.createdAt < this.maxAgeMs && e.uses < this.maxUses) {
        e.uses++;
        this.stats.hits++;
        return e.key;
      }
      this.#entries.delete(id);
    }
    this.stats.misses++;
    const flight = this.#flights.get(id);
    if (flight) return flight.promise;

    this.stats.loads++;
    const startEpoch = this.#epoch;
    const promise = (async () => {
      try {
        const bytes = await load();
        const key = new SecretKey(bytes);
        bytes.fill(0);
        if (this.#purgedSince(kmsKeyId, startEpoch)) {
          // Purged while the load was in flight: the key must not come back.
          key.destroy();
          throw new KeyUnavailableError(`keys of ${kmsKeyId} were purged while loading`);
        }
        this.#entries.set(id, { key, kmsKeyId, createdAt: this.#now(), uses: 1 });
        return key;
      } finally {
        this.#flights.delete(id);
      }
    })();
    this.#flights.set(id, { promise, kmsKeyId });
    return promise;
  }

  #purgedSince(kmsKeyId: string, epoch: number): boolean {
    if (this.#lastGlobalPurge > epoch) return true;
    for (const [k, at] of this.#killed) if (at > epoch && sameKmsKey(k, kmsKeyId)) return true;
    return false;
  }

  /** Stores a key obtained some other way (e.g. from GenerateDataKey) under `id`. */
  put(id: string, kmsKeyId: string, bytes: Uint8Array): SecretKey {
    const key = new SecretKey(bytes);
    this.#entries.set(id, { key, kmsKeyId, createdAt: this.#now(), uses: 0 });
    return key;
  }

  /** Drops one entry without destroying it. */
  delete(id: string): boolean {
    return this.#entries.delete(id);
  }

  /** Destroys every key: all later uses of keys handed out earlier throw KeyUnavailableError. */
  purge(): number {
    this.#lastGlobalPurge = ++this.#epoch;
    const n = this.#entries.size;
    for (const e of this.#entries.values()) e.key.destroy();
    this.#entries.clear();
    this.stats.purged += n;
    return n;
  }

  /** Destroys the keys that depend on one KMS key (it was disabled, revoked, scheduled for
   * deletion). Accepts the key id or ARN the entries were tagged with. */
  purgeKmsKey(kmsKeyId: string): number {
    this.#epoch++;
    this.#killed.set(kmsKeyId, this.#epoch);
    let n = 0;
    for (const [id, e] of this.#entries) {
      if (sameKmsKey(e.kmsKeyId, kmsKeyId)) {
        e.key.destroy();
        this.#entries.delete(id);
        n++;
      }
    }
    this.stats.purged += n;
    return n;
  }
}
