// The local KMS's files: one keystore document, its id, a root key kept elsewhere, and a lock.
//
//   <dir>/keystore.json   all keys (metadata, policies, versions) and aliases; every version's key
//                         material is sealed with AES-256-GCM under the root key, bound (AAD) to
//                         the key id and version, so nothing plaintext is ever on disk
//   <dir>/keystore-id     a uuid naming this keystore's root key file
//   root key              base64 of 32 random bytes, mode 0600, NOT in <dir> (a copied data
//                         directory must not decrypt on its own): CMEK_KMS_ROOT_KEY (base64), else
//                         the file CMEK_KMS_ROOT_KEY_FILE, else <dir>/root.key left by an older
//                         version (used, with a warning to move it), else
//                         $XDG_DATA_HOME/cmek/root-keys/<keystore-id>.key (directory 0700;
//                         ~/.local/share without XDG_DATA_HOME). Created, exclusively, only for a
//                         keystore that does not exist yet: a missing root key of an existing
//                         keystore is CMEK_KMS_ROOT_KEY_MISSING, never silently replaced.
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
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import { fsyncDir, writeFileAtomic } from '../../support/atomic.js';
import { acquireLockFile, describeHolder } from '../../support/lock.js';
import { KmsError } from '../types.js';
import { KEYSTORE_LOCK, ROOT_KEY_ENV, ROOT_KEY_FILE_ENV } from './constants.js';

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
        `keystore ${this.storePath} was created under a different root key than the one from ` +
          `${this.rootSource}; restore the right one (see ${ROOT_KEY_ENV}, ${ROOT_KEY_FILE_ENV})`,
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

  /** Where the root key came from (a path, or the env var / option name), for messages. */
  private rootSource = '';

  private async root(): Promise<Buffer> {
    if (this.rootKey) return this.rootKey;
    if (this.rootKeyOption) {
      this.rootSource = 'the rootKey option';
      this.rootKey = checkRootKey(Buffer.from(this.rootKeyOption), this.rootSource);
      return this.rootKey;
    }
    const env = process.env[ROOT_KEY_ENV];
    if (env !== undefined && env !== '') {
      this.rootSource = ROOT_KEY_ENV;
      this.rootKey = checkRootKey(Buffer.from(env, 'base64'), ROOT_KEY_ENV);
      return this.rootKey;
    }
    const existing = await exists(this.storePath);
    const fileEnv = process.env[ROOT_KEY_FILE_ENV];
    if (fileEnv !== undefined && fileEnv !== '')
      return this.rootFromFile(resolve(fileEnv), existing);
    // Data directories made before the root key moved out keep theirs beside the keystore.
    const legacy = join(this.dir, 'root.key');
    if (await exists(legacy)) {
      const id = await this.keystoreId(true);
      warnOnce(
        legacy,
        `cmek: warning: the local KMS root key ${legacy} sits beside the data it protects, so a ` +
          `copy of the data directory decrypts on its own; move it out: ` +
          `mkdir -p -m 700 ${userRootKeyDir()} && mv ${legacy} ${defaultRootKeyPath(id ?? '<keystore-id>')}`,
      );
      return this.rootFromFile(legacy, existing);
    }
    const id = await this.keystoreId(!existing);
    if (id === undefined)
      throw rootKeyMissing(this.dir, [legacy, join(userRootKeyDir(), '<keystore-id>.key')]);
    return this.rootFromFile(defaultRootKeyPath(id), existing);
  }

  /** Read the root key at `path`; create it there (exclusively) only for a keystore that does not
   * exist yet: a new key could never open an existing one, so a missing key is an error. */
  private async rootFromFile(path: string, keystoreExists: boolean): Promise<Buffer> {
    this.rootSource = path;
    const read = async () =>
      checkRootKey(Buffer.from(await fsp.readFile(path, 'utf8'), 'base64'), path);
    try {
      this.rootKey = await read();
      return this.rootKey;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (keystoreExists) throw rootKeyMissing(this.dir, [path]);
    if (await createExclusive(path, `${randomBytes(32).toString('base64')}\n`))
      notice(
        `cmek: created the local KMS root key ${path} (mode 0600) for ${this.dir}; back it up ` +
          'and keep it apart from the data: without it the keys there, and all data encrypted ' +
          'under them, cannot be recovered.',
      );
    this.rootKey = await read();
    return this.rootKey;
  }

  /** The keystore's id (`<dir>/keystore-id`), which names its root key file; created (once,
   * whoever races) when `create`, else undefined when absent. */
  private async keystoreId(create: boolean): Promise<string | undefined> {
    const path = join(this.dir, 'keystore-id');
    const read = async () => {
      const id = (await fsp.readFile(path, 'utf8')).trim();
      if (!/^[0-9a-f-]{36}$/.test(id))
        throw new KmsError('KMSInternalException', `${path}: not a keystore id`);
      return id;
    };
    try {
      return await read();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!create) return undefined;
    await this.ensureDir();
    await createExclusive(path, `${randomUUID()}\n`);
    return read();
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

/** Where root keys live by default: `$XDG_DATA_HOME/cmek/root-keys`, else
 * `~/.local/share/cmek/root-keys` — outside any data directory, so a copied `.cmek/` is noise. */
export function userRootKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'share');
  return join(base, 'cmek', 'root-keys');
}

export function defaultRootKeyPath(keystoreId: string): string {
  return join(userRootKeyDir(), `${keystoreId}.key`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Write `text` to `path` only if nothing is there: a complete temp file (0600) linked into
 * place, so concurrent first uses agree on one content and nobody reads a partial file. The
 * parent directory is created 0700. Returns whether this call created it. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  const dir = dirname(path);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
  const fh = await fsp.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.link(tmp, path);
    await fsyncDir(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

function rootKeyMissing(dir: string, looked: string[]): DiagnosticError {
  return new DiagnosticError(
    diag(
      'CMEK_KMS_ROOT_KEY_MISSING',
      `The local KMS in ${dir} has keys but its root key is missing`,
      `Looked for: ${looked.join(', ')}. A new root key cannot open existing keys, so none is ` +
        `created. Restore the root key file from your backup to that path, or set ` +
        `${ROOT_KEY_FILE_ENV}=PATH (or ${ROOT_KEY_ENV}=BASE64) to where it is. If it is lost, ` +
        'the keys and the data encrypted under them are unrecoverable.',
    ),
  );
}

const warned = new Set<string>();

function warnOnce(key: string, line: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  notice(line);
}

function notice(line: string): void {
  process.stderr.write(`${line}\n`);
}
