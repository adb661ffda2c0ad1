// The embedded control plane: it ties together the service records (records.ts), the event log
// (events.ts), the provider-managed keys (managed-keys.ts), the status machine (status.ts), the
// key hierarchies (keys.ts) and the data plane (objects.ts), and carries out the operations:
// create, update (with rotation.ts), key checks, start, delete. It is a library: the resources,
// the CLI verbs and the poller all drive the same object, and several processes may share one data
// directory (per-service lock files; every record replaced atomically).
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { parseDuration } from '../model/duration.js';
import { isServiceName, SERVICE_NAME_RULE } from '../model/service-name.js';
import type { Kms, KmsAdmin } from '../kms/types.js';
import { isKmsError } from '../kms/types.js';
import { DEFAULT_PROFILE, isProfile } from '../rules/profiles.js';
import { subjectOf } from './rule-error.js';
import { rewrap, rotate, type RotationHost } from './rotation.js';
import { withLock } from './fsutil.js';
import { EventLog } from './events.js';
import { managedKey } from './managed-keys.js';
import { ServiceRecords } from './records.js';
import { afterKeyCheck } from './status.js';
import { checkKeyAccess, type KeyCheckOk } from './key-check.js';
import { ServiceKeys, withLocalDataKeys, type KeyRecord } from './keys.js';
import { EnvelopeCodec } from './codec.js';
import { ObjectStore } from './objects.js';
import { BackupStore } from './backups.js';
import { Lifecycle } from './lifecycle.js';
import { destroyedKey, shreddedError } from './shredding.js';
import type { ControlPlaneApi } from './api.js';
import type {
  CreateServiceInput,
  KeyDestroyed,
  ServiceEvent,
  ServiceRecord,
  ServiceStatus,
  UpdateServiceInput,
} from './types.js';

export interface ControlPlaneOptions {
  /** The data directory (`.cmek`). */
  dataDir: string;
  /** The KMS as the service principal: what services use for customer keys. */
  kms: Kms;
  /** The principal `kms` acts as, for messages (default: unnamed). */
  principal?: string;
  /** The control plane's own KMS identity, owner of the provider-managed keys that protect
   * services created without `kms_key`. Needed only to create such services. */
  admin?: KmsAdmin;
  /** Time source (tests). */
  now?: () => Date;
  /** fsync object bodies before their rename (default true). Turning it off keeps writes
   * atomic (temp + rename) but not durable across a power loss: for tests and scratch data. */
  durable?: boolean;
  /** Chunks encrypted/decrypted at once per stream (see EnvelopeCodecOptions). Default 1. */
  concurrency?: number;
}

/** Go-style durations (`key_check_interval`): the one parser, src/model/duration.ts. */
export { parseDuration };

export { managedKeyAlias } from './managed-keys.js';
export { notFound } from './records.js';

export class ControlPlane implements ControlPlaneApi {
  readonly dataDir: string;
  readonly servicesDir: string;
  readonly eventsPath: string;
  readonly kms: Kms;
  readonly admin: KmsAdmin | undefined;
  readonly principal: string | undefined;
  /** Key hierarchies of the services; holds the unwrapped-key cache. */
  readonly keys: ServiceKeys;
  /** The data plane. */
  readonly objects: ObjectStore;
  /** Backups (snapshots with their own copy of the wrapped keys), src/service/backups.ts. */
  readonly backups: BackupStore;
  /** Replicas, clones and restores, src/service/lifecycle.ts. */
  readonly lifecycle: Lifecycle;
  readonly #now: () => Date;
  /** The records on disk (records.ts) and the event log (events.ts). */
  readonly records: ServiceRecords;
  readonly #events: EventLog;
  /** `kms` as the data path uses it (see #shreddingAware). One object for the process's life:
   * ServiceKeys keeps key sets open per KMS client identity. */
  readonly #dataKms: Kms;
  /** What rotation (rotation.ts) may use of the control plane. */
  readonly #rotation: RotationHost;

  constructor(opts: ControlPlaneOptions) {
    this.dataDir = opts.dataDir;
    this.servicesDir = join(opts.dataDir, 'services');
    this.eventsPath = join(opts.dataDir, 'events.log');
    this.kms = opts.kms;
    this.admin = opts.admin;
    this.principal = opts.principal;
    this.#now = opts.now ?? (() => new Date());
    this.records = new ServiceRecords(this.servicesDir, this.#now);
    this.#events = new EventLog(this.eventsPath, this.#now);
    this.keys = new ServiceKeys();
    this.#dataKms = this.#shreddingAware(opts.kms);
    this.#rotation = {
      kms: this.kms,
      principal: this.principal,
      keys: this.keys,
      kmsFor: (rec) => this.kmsFor(rec),
      readKeyRecord: (id) => this.records.readKeyRecord(id),
      writeKeyRecord: (id, rec) => this.records.writeKeyRecord(id, rec),
      log: (rec, type, reason) => this.#log(rec, type, reason),
      now: () => this.#now(),
    };
    // The data plane looks services up through this: a crypto-shredded service answers with
    // the plain "unrecoverable" diagnostic before any KMS call is attempted.
    const lookup = {
      dataDir: this.dataDir,
      require: async (ref: string) => {
        const rec = await this.require(ref);
        if (rec.keyDestroyed) throw shreddedError(rec, rec.keyDestroyed);
        return rec;
      },
    };
    this.objects = new ObjectStore(
      lookup,
      new EnvelopeCodec(this, opts.concurrency ? { concurrency: opts.concurrency } : {}),
      {
        durable: opts.durable ?? true,
      },
    );
    this.backups = new BackupStore(this);
    // Registers the data plane hooks (read-only replicas, replication).
    this.lifecycle = new Lifecycle(this);
  }

  /** See ControlPlaneApi.location: the data directory. */
  get location(): string {
    return this.dataDir;
  }

  /** The control plane's clock (the poller schedules on it). */
  now(): Date {
    return this.#now();
  }

  keyRecordPath(id: string): string {
    return this.records.keyRecordPath(id);
  }

  /** The KMS client that can unwrap a service's keys: the service principal for customer keys,
   * the control plane itself for provider-managed ones. */
  kmsFor(rec: ServiceRecord): Kms {
    if (rec.keyOwner === 'customer') return this.#dataKms;
    if (rec.keyOwner === 'managed') {
      if (!this.admin) {
        throw new Error(
          `service ${rec.name} uses a provider-managed key, but this control plane was opened ` +
            'without an admin KMS client',
        );
      }
      return this.admin;
    }
    return this.kms;
  }

  /** Every service record. A record that cannot be parsed throws CONTROL_PLANE_CORRUPT, unless
   * `problems` is given: then it is skipped and its diagnostic pushed there. */
  list(problems?: Diagnostic[]): Promise<ServiceRecord[]> {
    return this.records.list(problems);
  }

  /** A service by id or name; undefined when there is none. */
  get(ref: string): Promise<ServiceRecord | undefined> {
    return this.records.get(ref);
  }

  /** Like get, but a missing service is an error. */
  require(ref: string): Promise<ServiceRecord> {
    return this.records.require(ref);
  }

  readKeyRecord(id: string): Promise<KeyRecord> {
    return this.records.readKeyRecord(id);
  }

  events(serviceId?: string): Promise<ServiceEvent[]> {
    return this.#events.read(serviceId);
  }

  /** Append an event (for the lifecycle module). */
  log(rec: ServiceRecord, type: ServiceEvent['type'], reason: string): Promise<void> {
    return this.#log(rec, type, reason);
  }

  /** Read-modify-write of one record under its lock, for the lifecycle module (replica lists,
   * sync markers). `fn` returns undefined to leave the record as it is. */
  edit(
    ref: string,
    operation: string,
    fn: (rec: ServiceRecord) => Promise<ServiceRecord | undefined>,
  ): Promise<ServiceRecord> {
    return this.records.mutate(ref, operation, fn);
  }

  #log(
    rec: ServiceRecord,
    type: ServiceEvent['type'],
    reason: string,
    extra: Partial<ServiceEvent> = {},
  ): Promise<void> {
    return this.#events.append(rec, type, reason, extra);
  }

  /** The KMS clients that may describe a customer key: the service principal, then the control
   * plane's own identity. */
  #describers(): Kms[] {
    return this.admin ? [this.kms, this.admin] : [this.kms];
  }

  /** `kms` for the data path: when an unwrap (or wrap) fails because the key's material was
   * destroyed, the failure becomes the "unrecoverable (crypto-shredded)" diagnostic right away,
   * even before the poller has recorded it. Only failures pay for the extra DescribeKey. */
  #shreddingAware(kms: Kms): Kms {
    const explain = async (
      e: unknown,
      keyId: string | undefined,
      context?: Readonly<Record<string, string>>,
    ) => {
      if (!isKmsError(e, 'KMSInvalidStateException') && !isKmsError(e, 'NotFoundException'))
        return e;
      // The key of the failing call (a backup may be wrapped by an older key than its service's
      // current one), else the service's; the service (or the lineage a backup's objects are
      // bound to) names the data in the message.
      const id = context?.['cmek:service-id'];
      const rec = id ? await this.get(id).catch(() => undefined) : undefined;
      const arn = keyId ?? rec?.kekArn;
      if (!arn) return e;
      const d = await destroyedKey(this.#describers(), arn, this.#now());
      if (!d) return e;
      return shreddedError(rec ?? { name: id ?? arn, id: id ?? '-' }, d);
    };
    const fail =
      (i: { keyId?: string; context?: Readonly<Record<string, string>> }) =>
      async (e: unknown): Promise<never> => {
        throw await explain(e, i.keyId, i.context);
      };
    return {
      generateDataKey: (i) => kms.generateDataKey(i).catch(fail(i)),
      encrypt: (i) => kms.encrypt(i).catch(fail(i)),
      decrypt: (i) => kms.decrypt(i).catch(fail(i)),
      reEncrypt: (i) => kms.reEncrypt(i),
      describeKey: (k) => kms.describeKey(k),
    };
  }

  /** Find or create the provider-managed key of a region (alias/cmek/managed-REGION). */
  managedKey(region: string): Promise<string> {
    return managedKey(this.admin, this.dataDir, region);
  }

  /** Create a service: validate the key live (as the service principal), create its key
   * hierarchy, write the record. */
  async create(input: CreateServiceInput, opts: { address?: string } = {}): Promise<ServiceRecord> {
    const profile = input.profile ?? DEFAULT_PROFILE;
    if (!isProfile(profile)) throw new Error(`unknown profile ${String(profile)}`);
    if (!isServiceName(input.name)) {
      throw new DiagnosticError(
        diag(
          'CONFIG_SCHEMA',
          `Invalid service name ${JSON.stringify(input.name)}`,
          `A service name is ${SERVICE_NAME_RULE}.`,
          { attribute: 'name', ...(opts.address ? { address: opts.address } : {}) },
        ),
      );
    }
    const interval = input.keyCheckInterval ?? '10m';
    if (parseDuration(interval) === undefined) {
      throw new DiagnosticError(
        diag(
          'CONFIG_SCHEMA',
          `Invalid key_check_interval ${JSON.stringify(interval)}`,
          'Use a Go-style duration such as 30s, 10m or 1h30m.',
          { attribute: 'key_check_interval' },
        ),
      );
    }
    const kmsKey = input.kmsKey ?? null;
    let kekArn: string;
    let check: KeyCheckOk | undefined;
    if (kmsKey) {
      check = await checkKeyAccess(this.kms, kmsKey, {
        region: input.region,
        profile,
        subject: subjectOf(input.kind ?? 'service', input.name),
        ...(this.principal ? { principal: this.principal } : {}),
        ...(opts.address ? { address: opts.address } : {}),
      });
      kekArn = check.arn;
    } else {
      kekArn = await this.managedKey(input.region);
    }
    const id = `svc-${randomBytes(8).toString('hex')}`;
    const now = this.#now().toISOString();
    const rec: ServiceRecord = {
      version: 1,
      id,
      name: input.name,
      region: input.region,
      profile,
      kind: input.kind ?? 'service',
      ...(input.parentId ? { parentId: input.parentId } : {}),
      ...(input.replicaKind ? { replicaKind: input.replicaKind } : {}),
      ...(input.populating ? { populating: true } : {}),
      kmsKey,
      kekArn,
      keyOwner: kmsKey ? 'customer' : 'managed',
      keyCheckInterval: interval,
      ...(input.description !== undefined ? { description: input.description } : {}),
      tags: { ...(input.tags ?? {}) },
      ...(input.reencrypt !== undefined ? { reencrypt: input.reencrypt } : {}),
      status: 'RUNNING',
      statusReason: kmsKey ? 'created; key validated' : 'created (provider-managed key)',
      statusChangedAt: now,
      ...(check ? { lastKeyCheckAt: now } : {}),
      createdAt: now,
      updatedAt: now,
      generation: 1,
    };
    // The name lock makes "is the name free?" and "write the record" one step across processes.
    return withLock(
      this.records.namesLockPath,
      async () => {
        const existing = (await this.list()).find((s) => s.name === input.name);
        if (existing) {
          throw new DiagnosticError(
            diag(
              'APPLY_FAILED',
              `A service named ${input.name} already exists (${existing.id})`,
              'Service names are unique within a data directory. Pick another name (or another ' +
                'data_dir), or manage the existing service with this block: ' +
                `cmek import ${opts.address ?? '<this address>'} ${existing.id} (if another ` +
                'configuration manages it, `cmek state rm` it there first).',
              { attribute: 'name', ...(opts.address ? { address: opts.address } : {}) },
            ),
          );
        }
        const kms = this.kmsFor(rec);
        const created = await this.keys.create(
          profile === 'cloudsql' && rec.keyOwner === 'customer' ? withLocalDataKeys(kms) : kms,
          kekArn,
          rec.id,
        );
        if (created.keyVersion !== undefined) rec.kmsKeyVersion = created.keyVersion;
        // Key record first: a service record without its keys would be unusable.
        await this.records.writeKeyRecord(id, created.record);
        await this.records.writeNew(rec);
        await this.#log(rec, 'created', rec.statusReason, { to: 'RUNNING' });
        return rec;
      },
      { operation: `create ${input.name}` },
    );
  }

  async update(
    ref: string,
    input: UpdateServiceInput,
    opts: { address?: string } = {},
  ): Promise<ServiceRecord> {
    // cloudsql checks the key on every update too, not only at the poll interval, and
    // reacts as the poller would (suspend; crypto-shredded when destroyed) before refusing.
    // Outside the record lock: the reaction writes the record itself.
    const found = await this.require(ref);
    let checkedAt: string | undefined;
    if (found.profile === 'cloudsql' && found.keyOwner === 'customer') {
      const { failure } = await this.checkKey(found.id, opts);
      if (failure) throw failure;
      checkedAt = this.#now().toISOString();
    }
    const updated = await this.records.mutate(found.id, 'update', async (rec) => {
      const changes: string[] = [];
      if (checkedAt) rec.lastKeyCheckAt = checkedAt;
      if (input.description !== undefined && (input.description ?? undefined) !== rec.description) {
        if (input.description === null) delete rec.description;
        else rec.description = input.description;
        changes.push('description');
      }
      if (input.tags !== undefined && JSON.stringify(input.tags) !== JSON.stringify(rec.tags)) {
        rec.tags = { ...input.tags };
        changes.push('tags');
      }
      if (input.keyCheckInterval !== undefined && input.keyCheckInterval !== rec.keyCheckInterval) {
        if (parseDuration(input.keyCheckInterval) === undefined) {
          throw new DiagnosticError(
            diag(
              'CONFIG_SCHEMA',
              `Invalid key_check_interval ${JSON.stringify(input.keyCheckInterval)}`,
              'Use a Go-style duration such as 30s, 10m or 1h30m.',
              { attribute: 'key_check_interval' },
            ),
          );
        }
        rec.keyCheckInterval = input.keyCheckInterval;
        changes.push('key_check_interval');
      }
      if (input.kmsKey !== undefined && (input.kmsKey ?? null) !== rec.kmsKey) {
        await rotate(this.#rotation, rec, input.kmsKey ?? null, opts);
        changes.push('kms_key');
      }
      if (input.reencrypt !== undefined && (input.reencrypt ?? undefined) !== rec.reencrypt) {
        // A new trigger value re-wraps the service key under the key's current primary version:
        // after a key rotation, older versions can then be disabled without losing data.
        if (rec.keyOwner === 'customer' && rec.kmsKey) {
          await rewrap(this.#rotation, rec, rec.kekArn, 're-encrypt trigger');
        }
        if (input.reencrypt === null) delete rec.reencrypt;
        else rec.reencrypt = input.reencrypt;
        changes.push('reencrypt');
      }
      if (!changes.length) return undefined;
      await this.#log(rec, 'updated', `changed ${changes.join(', ')}`);
      return rec;
    });
    // Same-region replicas inherit the key: they follow a rotation at once (lifecycle.ts).
    if (updated.kmsKey !== found.kmsKey) {
      for (const id of updated.replicas ?? []) await this.lifecycle.followPrimaryKey(id);
    }
    return updated;
  }

  /** Record a status transition with its reason (the poller's entry point). Leaving RUNNING
   * purges the service's unwrapped keys from memory at once: fail closed. */
  async setStatus(ref: string, status: ServiceStatus, reason: string): Promise<ServiceRecord> {
    const rec = await this.records.mutate(ref, `status ${status}`, async (r) => {
      if (r.status === status) return undefined;
      const from = r.status;
      r.status = status;
      r.statusReason = reason;
      r.statusChangedAt = this.#now().toISOString();
      await this.#log(r, 'status', reason, { from, to: status });
      return r;
    });
    if (status !== 'RUNNING') this.keys.purge(rec.id);
    return rec;
  }

  /** `cmek service start`: re-validate the key, then RUNNING. A failed check leaves the status
   * as it was and throws CMEK_KEY_INACCESSIBLE naming the problem. */
  async start(ref: string): Promise<ServiceRecord> {
    const rec = await this.require(ref);
    if (rec.keyDestroyed) throw shreddedError(rec, rec.keyDestroyed, 'CMEK_KEY_INACCESSIBLE');
    if (rec.status === 'RUNNING') return rec;
    if (rec.keyOwner === 'customer' && rec.kmsKey) {
      const { record, failure } = await this.checkKey(rec.id);
      if (record.keyDestroyed)
        throw shreddedError(record, record.keyDestroyed, 'CMEK_KEY_INACCESSIBLE');
      if (failure) throw failure;
      // checkKey may already have resumed a SUSPENDED cloudsql service.
      if (record.status === 'RUNNING') return record;
    }
    return this.setStatus(rec.id, 'RUNNING', 'started: key access verified');
  }

  /** One live key check of a service, with the profile's reaction: an inaccessible key
   * stops a clickhouse service and suspends a cloudsql one (cached keys purged: fail closed); a
   * SUSPENDED cloudsql service whose key is back resumes by itself, a STOPPED one waits for
   * `start`. A key whose material is destroyed stops the service in both profiles for good and
   * marks it crypto-shredded (`keyDestroyed`): no key can ever come back to resume it. The
   * poller calls this every `key_check_interval`. Returns the record afterwards, the status
   * before, and the failure, if any. Services on a provider-managed key are not checked
   * (nothing the customer can revoke). */
  async checkKey(
    ref: string,
    opts: { address?: string } = {},
  ): Promise<{ record: ServiceRecord; previous: ServiceStatus; failure?: DiagnosticError }> {
    const rec = await this.require(ref);
    if (rec.keyOwner !== 'customer') return { record: rec, previous: rec.status };
    let failure: DiagnosticError | undefined;
    try {
      await checkKeyAccess(this.kms, rec.kekArn, {
        region: rec.region,
        profile: rec.profile,
        subject: subjectOf(rec.kind, rec.name),
        ...(this.principal ? { principal: this.principal } : {}),
        ...(opts.address ? { address: opts.address } : {}),
      });
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      failure = e;
    }
    const now = this.#now();
    const destroyed: KeyDestroyed | undefined =
      rec.keyDestroyed ??
      (failure ? await destroyedKey(this.#describers(), rec.kekArn, now) : undefined);
    if (failure || destroyed) this.keys.purge(rec.id);
    let previous = rec.status;
    const record = await this.records.mutate(rec.id, 'key check', async (r) => {
      previous = r.status;
      r.lastKeyCheckAt = now.toISOString();
      const { to, reason } = afterKeyCheck(r, { destroyed, failure });
      if (destroyed) r.keyDestroyed = destroyed;
      if (to !== r.status || reason !== r.statusReason) {
        const from = r.status;
        r.status = to;
        r.statusReason = reason;
        r.statusChangedAt = now.toISOString();
        await this.#log(r, 'status', reason, { from, to });
      }
      return r;
    });
    // Another process may have changed the status meanwhile: fail closed on what was written.
    if (record.status !== 'RUNNING') this.keys.purge(rec.id);
    if (destroyed && !failure) failure = shreddedError(record, destroyed, 'CMEK_KEY_INACCESSIBLE');
    return failure ? { record, previous, failure } : { record, previous };
  }

  /** Delete the service, its key hierarchy and its objects. Without the wrapped keys the
   * objects are unreadable anyway; removing them frees the space. */
  async delete(ref: string): Promise<void> {
    const rec = await this.get(ref);
    if (!rec) return;
    // A primary keeps its replicas' data flowing; they go first (lifecycle.ts).
    await this.lifecycle.beforeDelete(rec);
    await this.records.remove(rec.id, () => this.objects.removeAll(rec.id));
    this.keys.forget(rec.id);
    await this.#log(rec, 'deleted', 'deleted');
  }
}

/** Open (create on first write) the control plane in `dataDir`. */
export async function openControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  await fsp.mkdir(join(opts.dataDir, 'services'), { recursive: true });
  return new ControlPlane(opts);
}
