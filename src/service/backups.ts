// Backups ("backup: encrypted with the service's key"): a snapshot of a service's objects
// AS CIPHERTEXT plus a copy of the service's key hierarchy record (wrapped keys only), under
// `<data_dir>/backups/<id>/`:
//
//   backup.json                  what `cmek_backup` shows (service, key, size, time)
//   keys.json                    the service's KeySetRecord at backup time (no plaintext)
//   objects/<service id>/*.obj   the object files, byte for byte
//
// Why ciphertext and not a re-encrypted copy: a backup must stay under the key the service used
// (no new key material, no KMS call to take it), survive the deletion of the service (its own
// key record copy), and die with the key: once the KMS key is destroyed its wrapped service key
// can never be unwrapped again, so the backup is crypto-shredded exactly like the service. The
// objects stay bound to the source service's id (their encryption context), which the backup
// records as its data lineage; a restore re-encrypts them under the new service's own keys.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Transform } from 'node:stream';
import {
  ObjectReader,
  ServiceKeySet,
  createDecryptStream,
  objectContext,
  type KeySetRecord,
} from '../core/index.js';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import type { Profile } from '../rules/model.js';
import type { Kms } from '../kms/types.js';
import { dataError } from './codec.js';
import { fsyncDir, readJsonIfExists, writeJsonAtomic } from './fsutil.js';
import {
  ObjectStore,
  objectFileName,
  type BodyRef,
  type CiphertextSource,
  type ObjectCodec,
  type ObjectInfo,
  type RangeReader,
} from './objects.js';
import type { KeyRecord, ServiceKeys } from './keys.js';
import type { KeyOwner, ServiceEvent, ServiceRecord } from './types.js';

/** What backups need of the control plane (a ControlPlane is one): its data directory, the
 * services, their key records and objects, the key cache, the event log. */
export interface BackupHost {
  readonly dataDir: string;
  readonly keys: ServiceKeys;
  readonly objects: ObjectStore;
  kmsFor(rec: ServiceRecord): Kms;
  require(ref: string): Promise<ServiceRecord>;
  readKeyRecord(id: string): Promise<KeyRecord>;
  log(rec: ServiceRecord, type: ServiceEvent['type'], reason: string): Promise<void>;
}

export interface BackupRecord {
  version: 1;
  /** `bkp-` + 16 hex. */
  id: string;
  /** The service the backup was taken of: also the data lineage id its objects are bound to. */
  serviceId: string;
  serviceName: string;
  region: string;
  profile: Profile;
  description?: string;
  /** True when the service was CMEK (a customer key wraps the data). */
  encrypted: boolean;
  /** The customer key reference of the service when the backup was taken; null = provider-managed
   * key (not CMEK). */
  kmsKey: string | null;
  /** The KMS key that wraps the backup's copy of the service key. */
  kekArn: string;
  keyOwner: KeyOwner;
  kmsKeyVersion?: string;
  /** Plaintext bytes of all objects. */
  sizeBytes: number;
  objectCount: number;
  createdAt: string;
}

const ID = /^bkp-[0-9a-f]{16}$/;

export function backupNotFound(ref: string): DiagnosticError {
  return new DiagnosticError(
    diag(
      'USAGE',
      `No backup ${ref}`,
      'The backup does not exist (deleted, or another data directory). List the backups of a ' +
        'service with `cmek service describe SERVICE`.',
    ),
  );
}

/** Reads the objects of a backup: the core's streams with the backup's own key record and the
 * source service's contexts. Backups are immutable, so there is no encryptor. */
class SnapshotCodec implements ObjectCodec {
  readonly #cp: BackupHost;
  readonly #keys: KeySetRecord;
  readonly #lineage: string;
  #set: ServiceKeySet | undefined;
  constructor(cp: BackupHost, keys: KeySetRecord, lineage: string) {
    this.#cp = cp;
    this.#keys = keys;
    this.#lineage = lineage;
  }
  #open(rec: ServiceRecord): ServiceKeySet {
    // The shared cache: the poller's purge of a KMS key also drops what backups unwrapped.
    this.#set ??= ServiceKeySet.open(this.#keys, {
      kms: this.#cp.kmsFor(rec),
      cache: this.#cp.keys.cache,
    });
    return this.#set;
  }
  encryptor(): Promise<Transform> {
    return Promise.reject(new Error('backups are immutable'));
  }
  async decryptor({ rec, name }: BodyRef): Promise<Transform> {
    try {
      const set = this.#open(rec);
      await set.primaryDek(); // a KMS failure surfaces here, not mid-stream
      return createDecryptStream({ keys: set, context: objectContext(this.#lineage, name) });
    } catch (e) {
      throw dataError(rec, e);
    }
  }
  async rangeReader({ rec, name }: BodyRef, source: CiphertextSource): Promise<RangeReader> {
    try {
      const reader = await ObjectReader.open(source, {
        keys: this.#open(rec),
        context: objectContext(this.#lineage, name),
      });
      return { plaintextLength: reader.plaintextLength, read: (s, e) => reader.read(s, e) };
    } catch (e) {
      throw dataError(rec, e);
    }
  }
}

/** A backup opened for reading: list and stream its objects (plaintext, decrypted with the
 * backup's key record; needs the KMS key, like the service did). */
export interface BackupReader {
  readonly backup: BackupRecord;
  list(): Promise<ObjectInfo[]>;
  getBuffer(name: string): Promise<Buffer>;
  get(name: string): ReturnType<ObjectStore['get']>;
}

export class BackupStore {
  readonly #cp: BackupHost;
  readonly root: string;
  constructor(cp: BackupHost) {
    this.#cp = cp;
    this.root = join(cp.dataDir, 'backups');
  }

  dirOf(id: string): string {
    return join(this.root, id);
  }

  /** Snapshot a RUNNING service. No KMS call: the ciphertext and the wrapped keys are copied. */
  async create(
    serviceRef: string,
    opts: { description?: string; address?: string } = {},
  ): Promise<BackupRecord> {
    const svc = await this.#cp.require(serviceRef);
    // Listing checks the service is RUNNING (no backups of a stopped service: its key may be
    // gone) and sweeps crashed writers' temp files.
    const infos = await this.#cp.objects.list(svc);
    const id = `bkp-${randomBytes(8).toString('hex')}`;
    const staging = join(this.root, `.${id}.tmp`);
    const objDir = join(staging, 'objects', svc.id);
    await fsp.mkdir(objDir, { recursive: true });
    try {
      for (const info of infos) {
        const file = objectFileName(info.name);
        try {
          await fsp.copyFile(join(this.#cp.objects.dirOf(svc.id), file), join(objDir, file));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // removed meanwhile
        }
      }
      // The key record is copied AFTER the objects: DEKs are only ever added, so every DEK an
      // object copied above names is in it, even if the service wrote meanwhile.
      const keys = await this.#cp.readKeyRecord(svc.id);
      await writeJsonAtomic(join(staging, 'keys.json'), keys);
      const now = await this.#cp.require(svc.id);
      const rec: BackupRecord = {
        version: 1,
        id,
        serviceId: svc.id,
        serviceName: svc.name,
        region: svc.region,
        profile: svc.profile,
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        encrypted: now.keyOwner === 'customer',
        kmsKey: now.keyOwner === 'customer' ? now.kmsKey : null,
        kekArn: keys.kek.keyId,
        keyOwner: now.keyOwner,
        ...(keys.kek.keyVersion !== undefined ? { kmsKeyVersion: keys.kek.keyVersion } : {}),
        sizeBytes: 0,
        objectCount: 0,
        createdAt: new Date().toISOString(),
      };
      // Sizes from the copied files' trailers (what the backup really holds).
      const copied = await this.#store(rec, keys, staging).list(svc.id);
      rec.objectCount = copied.length;
      rec.sizeBytes = copied.reduce((n, o) => n + o.size, 0);
      await writeJsonAtomic(join(staging, 'backup.json'), rec);
      // Publish in one rename: a crash leaves only a `.tmp` directory, never half a backup.
      await fsp.mkdir(this.root, { recursive: true });
      await fsp.rename(staging, this.dirOf(id));
      await fsyncDir(this.root);
      await this.#cp.log(svc, 'backup', `backup ${id} taken (${rec.objectCount} objects)`);
      return rec;
    } catch (e) {
      await fsp.rm(staging, { recursive: true, force: true });
      throw e;
    }
  }

  async get(id: string): Promise<BackupRecord | undefined> {
    if (!ID.test(id)) return undefined;
    return readJsonIfExists<BackupRecord>(join(this.dirOf(id), 'backup.json'));
  }

  async require(id: string): Promise<BackupRecord> {
    const b = await this.get(id);
    if (!b) throw backupNotFound(id);
    return b;
  }

  /** All backups (optionally of one service), oldest first. */
  async list(serviceId?: string): Promise<BackupRecord[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: BackupRecord[] = [];
    for (const n of names) {
      const b = await this.get(n);
      if (b && (serviceId === undefined || b.serviceId === serviceId)) out.push(b);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async delete(id: string): Promise<void> {
    if (!ID.test(id)) return;
    await fsp.rm(this.dirOf(id), { recursive: true, force: true });
  }

  /** Open a backup for reading its plaintext (restores; tests). */
  async open(id: string): Promise<BackupReader> {
    const backup = await this.require(id);
    const keys = await readJsonIfExists<KeySetRecord>(join(this.dirOf(id), 'keys.json'));
    if (!keys) throw new Error(`backup ${id}: key record is missing`);
    const store = this.#store(backup, keys, this.dirOf(id));
    const sid = backup.serviceId;
    return {
      backup,
      list: () => store.list(sid),
      getBuffer: (name) => store.getBuffer(sid, name),
      get: (name) => store.get(sid, name),
    };
  }

  /** An object store over a backup directory: the service "record" it sees is the backup's view
   * of the source service (its id is the lineage id the objects are bound to). */
  #store(b: BackupRecord, keys: KeySetRecord, dir: string): ObjectStore {
    const view = snapshotRecord(b);
    const lookup = {
      dataDir: dir,
      require: (ref: string) =>
        ref === b.serviceId ? Promise.resolve(view) : Promise.reject(backupNotFound(ref)),
    };
    return new ObjectStore(lookup, new SnapshotCodec(this.#cp, keys, b.serviceId), {
      durable: false,
    });
  }
}

function snapshotRecord(b: BackupRecord): ServiceRecord {
  return {
    version: 1,
    id: b.serviceId,
    name: `${b.serviceName} (backup ${b.id})`,
    region: b.region,
    profile: b.profile,
    kind: 'service',
    kmsKey: b.kmsKey,
    kekArn: b.kekArn,
    keyOwner: b.keyOwner,
    keyCheckInterval: '10m',
    tags: {},
    status: 'RUNNING',
    statusReason: 'backup',
    statusChangedAt: b.createdAt,
    createdAt: b.createdAt,
    updatedAt: b.createdAt,
    generation: 1,
  };
}
