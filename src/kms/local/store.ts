// The local KMS's files: one keystore document, a root key, and a lock.
//
//   <dir>/keystore.json   all keys (metadata, policies, versions) and aliases; every version's key
//                         material is sealed with AES-256-GCM under the root key, bound (AAD) to
//                         the key id and version, so nothing plaintext is ever on disk
//   <dir>/root.key        base64 of 32 random bytes, mode 0600, created on first use
//                         (env CMEK_KMS_ROOT_KEY overrides it; then no file is created)
//   <dir>/keystore.lock   held while a process changes the keystore (O_EXCL create)
//
// Why one document rather than a file per key: aliases are unique per region and multi-region
// replicas share material, so most changes touch more than one key; a single document under a
// single lock keeps every change atomic without a transaction log. Keystores hold tens of keys,
// so rewriting the document (a few KB) on each change costs less than the fsync it needs anyway.
//
// Concurrency: readers never lock (rename is atomic, so they see the old or the new document,
// never a torn one) and re-read the document whenever its stat (inode, size, mtime in ns)
// changes. Writers take the lock, re-read from disk, change, write a temp file, fsync, rename,
// fsync the directory, and release. The lock and the atomic write are the shared helpers of
// src/support: a lock whose holder process is gone (same host: pid and start time), a lock file
// with no readable holder (a full disk), or another host's lock older than STALE_LOCK_MS is
// broken at once; any other is waited for, then reported with the ID `cmek force-unlock` takes.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../../support/atomic.js';
import { acquireLockFile, describeHolder } from '../../support/lock.js';
import { KmsError } from '../types.js';
import { KEYSTORE_LOCK, ROOT_KEY_ENV } from './constants.js';

export const STALE_LOCK_MS = 30_000;
const LOCK_TIMEOUT_MS = 20_000;
const FORMAT = 1;

export interface StoredVersion {
  version: number;
  createdAt: string;
  rotationType?: 'AUTOMATIC' | 'ON_DEMAND';
  /** `v1:` + base64(iv ‖ ciphertext ‖ tag) of the material under the root key; absent once
   * destroyed. */
  sealed?: string;
  /** For asymmetric keys: DER SPKI public key, base64 (public, safe on disk). */
  publicKey?: string;
}

export interface StoredKey {
  /** AWS ARN, or the GCP crypto key name: the document's primary key. */
  arn: string;
  /** Bare id (uuid / mrk-...), or the GCP crypto key name. */
  keyId: string;
  provider: 'aws' | 'gcp';
  region: string;
  account: string;
  keySpec: 'SYMMETRIC_DEFAULT' | 'RSA_2048' | 'ECC_NIST_P256';
  description: string;
  createdAt: string;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion' | 'Destroyed';
  deletionDate?: string;
  pendingWindowDays?: number;
  destroyedAt?: string;
  multiRegion: boolean;
  multiRegionRole?: 'PRIMARY' | 'REPLICA';
  policy: string;
  tags: Record<string, string>;
  rotation: {
    enabled: boolean;
    periodDays?: number;
    /** Start of the current automatic-rotation period (enable time or last automatic rotation). */
    periodStart?: string;
    onDemandCount: number;
  };
  primaryVersion: number;
  versions: StoredVersion[];
}

export interface StoredAlias {
  name: string;
  region: string;
  account: string;
  targetArn: string;
  createdAt: string;
}

export interface Keystore {
  format: number;
  /** HMAC of a constant under the root key: detects a keystore opened with the wrong root key. */
  rootCheck: string;
  keys: Record<string, StoredKey>;
  /** By alias ARN. */
  aliases: Record<string, StoredAlias>;
}

interface Cached {
  stamp: string;
  store: Keystore;
}

export class KeystoreFiles {
  readonly dir: string;
  private readonly storePath: string;
  private readonly lockPath: string;
  private rootKey: Buffer | undefined;
  private readonly rootKeyOption: Uint8Array | undefined;
  private cached: Cached | undefined;
  private readonly unsealed = new Map<string, Buffer>();

  constructor(dir: string, rootKey?: Uint8Array) {
    this.dir = dir;
    this.storePath = join(dir, 'keystore.json');
    this.lockPath = join(dir, KEYSTORE_LOCK);
    this.rootKeyOption = rootKey;
  }

  /** The keystore as on disk now. Shared with other readers of this instance: read-only. */
  async read(): Promise<Keystore> {
    let st;
    try {
      st = await fsp.stat(this.storePath, { bigint: true });
    } catch (e) {
      // No keystore yet: nothing to read, and nothing is created until the first change (so
      // `cmek kms ls` in a fresh directory leaves it as it was).
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return { format: FORMAT, rootCheck: '', keys: {}, aliases: {} };
      throw e;
    }
    const root = await this.root();
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}`;
    if (this.cached?.stamp === stamp) return this.cached.store;
    const store = await this.load(root);
    this.cached = { stamp, store };
    return store;
  }

  /** Run `fn` under the lock on a copy freshly read from disk; write it back if `fn` says so. */
  async update<T>(fn: (store: Keystore) => { result: T; write: boolean }): Promise<T> {
    await this.ensureDir();
    const root = await this.root();
    const release = await this.lock();
    try {
      const store = await this.load(root);
      const { result, write } = fn(store);
      if (write) await this.write(store);
      return result;
    } finally {
      await release();
    }
  }

  /** Load (or create) the root key, so that seal/unseal can run synchronously. */
  async ready(): Promise<void> {
    await this.ensureDir();
    await this.root();
  }

  seal(keyId: string, version: number, material: Uint8Array): string {
    const root = this.rootKeySync();
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', root, iv);
    c.setAAD(materialAad(keyId, version));
    const body = Buffer.concat([c.update(material), c.final(), c.getAuthTag()]);
    return `v1:${Buffer.concat([iv, body]).toString('base64')}`;
  }

  /** The plaintext material of a version; kept in memory only (cached per sealed value). */
  unseal(keyId: string, version: number, sealed: string): Buffer {
    const cacheKey = `${keyId}\0${version}\0${sealed}`;
    const hit = this.unsealed.get(cacheKey);
    if (hit) return hit;
    if (!sealed.startsWith('v1:'))
      throw new KmsError('KMSInternalException', 'keystore: unknown key material format');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const d = createDecipheriv('aes-256-gcm', this.rootKeySync(), raw.subarray(0, 12));
    d.setAAD(materialAad(keyId, version));
    d.setAuthTag(raw.subarray(raw.length - 16));
    let out: Buffer;
    try {
      out = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
    } catch {
      throw new KmsError(
        'KMSInternalException',
        `keystore: key material of ${keyId} version ${version} failed authentication`,
      );
    }
    if (this.unsealed.size > 10_000) this.unsealed.clear();
    this.unsealed.set(cacheKey, out);
    return out;
  }

  /** Forget cached plaintext material (after a key is destroyed). */
  forget(keyId: string): void {
    for (const k of this.unsealed.keys()) if (k.startsWith(`${keyId}\0`)) this.unsealed.delete(k);
  }

  private empty(root: Buffer): Keystore {
    return { format: FORMAT, rootCheck: rootCheck(root), keys: {}, aliases: {} };
  }

  private async load(root: Buffer): Promise<Keystore> {
    let text: string;
    try {
      text = await fsp.readFile(this.storePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.empty(root);
      throw e;
    }
    let store: Keystore;
    try {
      store = JSON.parse(text) as Keystore;
    } catch (e) {
      throw new KmsError(
        'KMSInternalException',
        `keystore ${this.storePath} is not valid JSON (${(e as Error).message}); it was left untouched`,
      );
    }
    if (store.format !== FORMAT)
      throw new KmsError('KMSInternalException', `keystore format ${store.format} not supported`);
    const expect = Buffer.from(rootCheck(root), 'base64');
    const got = Buffer.from(store.rootCheck ?? '', 'base64');
    if (got.length !== expect.length || !timingSafeEqual(got, expect))
      throw new KmsError(
        'KMSInternalException',
        `keystore ${this.storePath} was created under a different root key ` +
          `(check ${ROOT_KEY_ENV} or ${join(this.dir, 'root.key')})`,
      );
    return store;
  }

  private async write(store: Keystore): Promise<void> {
    await writeFileAtomic(this.storePath, `${JSON.stringify(store, null, 1)}\n`, {
      mkdir: false,
    });
    this.cached = undefined;
  }

  private async ensureDir(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private rootKeySync(): Buffer {
    if (!this.rootKey) throw new Error('bug: root key used before it was loaded');
    return this.rootKey;
  }

  private async root(): Promise<Buffer> {
    if (this.rootKey) return this.rootKey;
    if (this.rootKeyOption) {
      this.rootKey = checkRootKey(Buffer.from(this.rootKeyOption), 'rootKey option');
      return this.rootKey;
    }
    const env = process.env[ROOT_KEY_ENV];
    if (env !== undefined && env !== '') {
      this.rootKey = checkRootKey(Buffer.from(env, 'base64'), ROOT_KEY_ENV);
      return this.rootKey;
    }
    const path = join(this.dir, 'root.key');
    try {
      this.rootKey = checkRootKey(Buffer.from(await fsp.readFile(path, 'utf8'), 'base64'), path);
      return this.rootKey;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    // First use: write a complete file under a temp name and link it into place, so a
    // concurrent process either wins (we read its key) or loses; nobody reads a partial file.
    const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
    const fh = await fsp.open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(`${randomBytes(32).toString('base64')}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fsp.link(tmp, path);
      await fsyncDir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    this.rootKey = checkRootKey(Buffer.from(await fsp.readFile(path, 'utf8'), 'base64'), path);
    return this.rootKey;
  }

  private async lock(): Promise<() => Promise<void>> {
    const held = await acquireLockFile(this.lockPath, {
      operation: 'keystore update',
      timeoutMs: LOCK_TIMEOUT_MS,
      breakStale: true,
      foreignStaleMs: STALE_LOCK_MS,
      onTimeout: (path, holder) =>
        new KmsError(
          'DependencyTimeoutException',
          `keystore lock ${path} held for over ${LOCK_TIMEOUT_MS / 1000}s by ` +
            `${describeHolder(holder)}; if no process uses this KMS, remove it with ` +
            `cmek force-unlock ${holder.kind === 'free' ? '<ID>' : holder.id}`,
        ),
    });
    return () => held.release();
  }
}

function checkRootKey(key: Buffer, from: string): Buffer {
  if (key.length !== 32)
    throw new KmsError(
      'KMSInternalException',
      `${from}: the root key must be base64 of exactly 32 bytes (got ${key.length})`,
    );
  return key;
}

function rootCheck(root: Buffer): string {
  return createHmac('sha256', root).update('cmek local kms root key check v1').digest('base64');
}

function materialAad(keyId: string, version: number): Buffer {
  return Buffer.from(`cmek-kms-material\0${keyId}\0${version}`, 'utf8');
}
