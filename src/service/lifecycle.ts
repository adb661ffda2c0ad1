// Replicas, clones and restores: services made from another service's data.
//
// Every one of them is a full service with its OWN key hierarchy (service key, DEKs) and its
// own id. Clones and restores copy the data by re-encryption: each object is decrypted from the
// source (as a stream, chunk by chunk) and encrypted again under the new service's keys and
// context. Replicas copy ciphertext instead (ObjectStore.copyCiphertext): the object's DEK is
// re-wrapped under the replica's service key and the body copied byte for byte, still bound to
// the primary's context (docs/core.md, "Replicas copy ciphertext").
// The alternative — sharing the source's key record under a "data lineage" id — would make the
// copies share one service key: rotating, purging or crypto-shredding one would silently
// affect the others, and a cross-region replica would keep depending on the primary's key.
// Re-encryption costs one pass over the data at creation (and one extra encrypt per replicated
// write), and buys independent keys. Backups are the exception, on purpose (backups.ts): they
// keep the ciphertext and the wrapped keys as they were, so they live and die with the key.
//
// Replicas follow their primary: the data plane's hooks (objects.ts) apply every put/remove on
// the primary to each replica (listed in the primary's record; a put writes the in-sync
// replicas' files in its own loop, the others are copied after it), and refuse user writes to a
// replica. A replica that cannot take a write (not RUNNING) is marked out of sync and is copied
// in full at the next replicated write.
import type { Readable } from 'node:stream';
import { diag, DiagnosticError, type DiagnosticCode } from '../model/diagnostics.js';
import {
  cloneKeyMessage,
  cloneRegionConflict,
  cloneRegionMessage,
  inheritedKeyConflict,
  replicaKeyInheritedMessage,
  replicaKeyRequiredMessage,
  replicaUnencryptedPrimaryMessage,
  restoreKeyInheritedMessage,
} from '../rules/inheritance.js';
import type { Profile, RuleMessage } from '../rules/model.js';
import { profileFacts } from '../rules/profiles.js';
import { CmekRuleError, subjectOf } from './rule-error.js';
import type { BackupReader } from './backups.js';
import { checkKeyAccess } from './key-check.js';
import type { ObjectInfo, ObjectStore } from './objects.js';
import type {
  CreateServiceInput,
  ReplicaKind,
  ServiceEvent,
  ServiceRecord,
  UpdateServiceInput,
} from './types.js';
import type { Kms } from '../kms/types.js';

/** What replicas, clones and restores need of the control plane (a ControlPlane is one): the
 * services and their records, the data plane and its hooks, backups, the service principal's
 * KMS client (to compare keys), the event log. */
export interface LifecycleHost {
  readonly kms: Kms;
  readonly principal: string | undefined;
  readonly objects: ObjectStore;
  readonly backups: { open(id: string): Promise<BackupReader> };
  require(ref: string): Promise<ServiceRecord>;
  get(ref: string): Promise<ServiceRecord | undefined>;
  create(input: CreateServiceInput, opts?: { address?: string }): Promise<ServiceRecord>;
  delete(ref: string): Promise<void>;
  update(
    ref: string,
    input: UpdateServiceInput,
    opts?: { address?: string },
  ): Promise<ServiceRecord>;
  edit(
    ref: string,
    operation: string,
    fn: (rec: ServiceRecord) => Promise<ServiceRecord | undefined>,
  ): Promise<ServiceRecord>;
  log(rec: ServiceRecord, type: ServiceEvent['type'], reason: string): Promise<void>;
}

export interface CreateReplicaInput {
  /** Primary service id or name. */
  primary: string;
  name: string;
  region: string;
  kind?: ReplicaKind;
  /** Own key: required for a cross-region replica of an encrypted primary; a same-region one
   * may only repeat the primary's key. */
  kmsKey?: string | null;
}

export interface CreateCloneInput {
  source: string;
  name: string;
  /** Default: the source's region (the only one allowed). */
  region?: string;
  /** Default: the source's key (the only one allowed). */
  kmsKey?: string | null;
}

export interface RestoreInput {
  backupId: string;
  name: string;
  /** Default: the backup's region. */
  region?: string;
  /** Default: the backup's key (encrypted backup) or a provider-managed key (unencrypted). */
  kmsKey?: string | null;
}

interface Where {
  address?: string;
}

function refuse(code: DiagnosticCode, message: RuleMessage, attribute: string, w: Where): never {
  throw new CmekRuleError(code, message, attribute, w.address);
}

export class Lifecycle {
  readonly #cp: LifecycleHost;

  constructor(cp: LifecycleHost) {
    this.#cp = cp;
    const hooks = cp.objects.hooks;
    hooks.beforeWrite.push((rec) => {
      if (rec.kind !== 'replica') return;
      throw new DiagnosticError(
        diag(
          'USAGE',
          `Service ${rec.name} is a ${rec.replicaKind ?? 'read'} replica: it is read-only`,
          `A replica follows the writes of its primary (${rec.parentId ?? 'unknown'}); it takes no ` +
            'writes of its own. Write to the primary instead, or make a writable copy with ' +
            'cmek_clone (or a backup and cmek_backup_restore).',
        ),
      );
    });
    hooks.afterPut.push((rec, name, _info, mirrored) => this.#fanOut(rec, name, 'put', mirrored));
    // A put writes its in-sync replicas' copies in its own loop (objects.ts); the rest are
    // copied after it by #fanOut.
    hooks.mirrorsOf = async (rec) => {
      const out: ServiceRecord[] = [];
      for (const id of rec.replicas ?? []) {
        const r = await this.#cp.get(id);
        if (r && r.id === id && !r.outOfSync && r.status === 'RUNNING') out.push(r);
      }
      return out;
    };
    hooks.afterRemove.push((rec, name) => this.#fanOut(rec, name, 'remove'));
  }

  /** Same key? Compares the references, then what the KMS says they resolve to. */
  async #sameness(
    a: string,
    aArn: string,
    b: string,
    profile: Profile,
    region: string,
  ): Promise<'same' | 'different'> {
    if (a === b || aArn === b) return 'same';
    const check = await checkKeyAccess(this.#cp.kms, b, {
      profile,
      ...(this.#cp.principal ? { principal: this.#cp.principal } : {}),
      region,
    }).catch(() => undefined);
    return check?.arn === aArn ? 'same' : 'different';
  }

  /** Create a replica: check the key rules again (defence in depth: the plan already did),
   * create the service, register it with the primary, copy the primary's objects. */
  async createReplica(input: CreateReplicaInput, w: Where = {}): Promise<ServiceRecord> {
    const primary = await this.#cp.require(input.primary);
    if (primary.kind === 'replica') {
      // A replica's own copies are system writes, which do not fan out: a chain would stop at
      // the first link. Replicate the primary itself instead.
      throw new DiagnosticError(
        diag(
          'USAGE',
          `${primary.name} is a replica; a replica cannot have replicas`,
          `Make the new replica a replica of the primary (${primary.parentId ?? 'its primary'}).`,
          { attribute: 'primary_id', ...(w.address ? { address: w.address } : {}) },
        ),
      );
    }
    const encrypted = primary.keyOwner === 'customer';
    const own = input.kmsKey ?? null;
    const sameRegion = input.region === primary.region;
    // The own key is compared with the primary's (a KMS call) only where that decides.
    const conflict = inheritedKeyConflict(primary.profile, 'replica', {
      parentEncrypted: encrypted,
      sameRegion,
      own: !own
        ? 'none'
        : encrypted && sameRegion
          ? await this.#sameness(
              primary.kmsKey!,
              primary.kekArn,
              own,
              primary.profile,
              primary.region,
            )
          : 'unknown',
    });
    const subject = subjectOf('replica', input.name, w.address);
    const attribute = 'kms_key';
    if (conflict === 'CMEK_REPLICA_UNENCRYPTED_PRIMARY') {
      refuse(
        conflict,
        replicaUnencryptedPrimaryMessage({
          subject,
          own: own!,
          parent: `service ${primary.name}`,
          attribute,
        }),
        attribute,
        w,
      );
    }
    if (conflict === 'CMEK_REPLICA_KEY_INHERITED') {
      refuse(
        conflict,
        replicaKeyInheritedMessage({
          subject,
          region: input.region,
          own: own!,
          primaryKey: primary.kmsKey!,
          attribute,
        }),
        attribute,
        w,
      );
    }
    if (conflict === 'CMEK_REPLICA_KEY_REQUIRED') {
      refuse(
        conflict,
        replicaKeyRequiredMessage({
          subject,
          parent: `service ${primary.name}`,
          primaryRegion: primary.region,
          region: input.region,
          attribute,
        }),
        attribute,
        w,
      );
    }
    const kmsKey = !encrypted ? null : sameRegion ? primary.kmsKey : own;
    const rec = await this.#cp.create(
      {
        name: input.name,
        region: input.region,
        profile: primary.profile,
        kmsKey,
        keyCheckInterval: primary.keyCheckInterval,
        kind: 'replica',
        parentId: primary.id,
        replicaKind: input.kind ?? 'read',
        populating: true,
      },
      w,
    );
    return this.#populateOrDelete(rec);
  }

  /** Create a clone: a point-in-time copy under the source's key, writable, independent. */
  async createClone(input: CreateCloneInput, w: Where = {}): Promise<ServiceRecord> {
    const source = await this.#cp.require(input.source);
    const region = input.region ?? source.region;
    const own = input.kmsKey ?? null;
    const encrypted = source.keyOwner === 'customer';
    const subject = subjectOf('clone', input.name, w.address);
    const parent = `service ${source.name}`;
    const sourceKey = encrypted ? source.kmsKey : null;
    // A clone of an encrypted source stays in its source's region: its key exists only there
    // (the rule's own predicate, so plan and apply agree). A clone of an unencrypted source
    // may go elsewhere; it gets the provider-managed key of its region.
    if (
      cloneRegionConflict(source.profile, {
        parentEncrypted: encrypted,
        sameRegion: region === source.region,
      })
    ) {
      const m = cloneRegionMessage({
        subject,
        region,
        parent,
        sourceKey,
        sourceRegion: source.region,
      });
      refuse('CMEK_CLONE_KEY_INHERITED', m, 'region', w);
    }
    const conflict = inheritedKeyConflict(source.profile, 'clone', {
      parentEncrypted: encrypted,
      own: !own
        ? 'none'
        : encrypted
          ? await this.#sameness(source.kmsKey!, source.kekArn, own, source.profile, region)
          : 'different',
    });
    if (conflict === 'CMEK_CLONE_KEY_INHERITED') {
      const m = cloneKeyMessage({ subject, own: own!, parent, sourceKey, attribute: 'kms_key' });
      refuse(conflict, m, 'kms_key', w);
    }
    const rec = await this.#cp.create(
      {
        name: input.name,
        region,
        profile: source.profile,
        kmsKey: encrypted ? source.kmsKey : null,
        keyCheckInterval: source.keyCheckInterval,
        kind: 'clone',
        parentId: source.id,
        populating: true,
      },
      w,
    );
    return this.#populateOrDelete(rec);
  }

  /** Restore a backup into a new service (re-encrypting every object under its keys). */
  async restore(input: RestoreInput, w: Where = {}): Promise<ServiceRecord> {
    const reader = await this.#cp.backups.open(input.backupId);
    const b = reader.backup;
    const region = input.region ?? b.region;
    const own = input.kmsKey ?? null;
    // The backup's key is compared with the own one (a KMS call) only where that decides.
    const inherits = b.encrypted && profileFacts(b.profile).restoreEncryptedBackup === 'inherit';
    const conflict = inheritedKeyConflict(b.profile, 'restore', {
      parentEncrypted: b.encrypted,
      own: !own
        ? 'none'
        : inherits
          ? await this.#sameness(b.kmsKey!, b.kekArn, own, b.profile, region)
          : 'unknown',
    });
    if (conflict === 'CMEK_RESTORE_KEY_INHERITED') {
      const m = restoreKeyInheritedMessage({
        subject: subjectOf('restore', input.name, w.address),
        parent: `backup ${b.id}`,
        backupKey: b.kmsKey!,
        own: own!,
        profile: b.profile,
        attribute: 'kms_key',
      });
      refuse(conflict, m, 'kms_key', w);
    }
    const kmsKey = own ?? (b.encrypted ? b.kmsKey : null);
    const rec = await this.#cp.create(
      {
        name: input.name,
        region,
        profile: b.profile,
        kmsKey,
        kind: 'restore',
        parentId: b.id,
        populating: true,
      },
      w,
    );
    return this.#populateOrDelete(rec);
  }

  /** A failed copy leaves no half-made service behind. */
  async #populateOrDelete(rec: ServiceRecord): Promise<ServiceRecord> {
    try {
      return await this.finish(rec.id);
    } catch (e) {
      await this.#cp.delete(rec.id).catch(() => undefined);
      throw e;
    }
  }

  /** Copy the data a replica, clone or restore is made of, then clear `populating`. Creation
   * calls it; so does the next run's adopt when a create died half way (the copy is idempotent:
   * every object is written again, extra ones of a replica removed). */
  async finish(ref: string): Promise<ServiceRecord> {
    const rec = await this.#cp.require(ref);
    if (!rec.populating || !rec.parentId) return rec;
    if (rec.kind === 'replica') {
      const primary = await this.#cp.require(rec.parentId);
      // Register first, then copy: a write to the primary during the copy is replicated too.
      await this.#cp.edit(primary.id, 'add replica', async (p) => {
        if (p.replicas?.includes(rec.id)) return undefined;
        p.replicas = [...(p.replicas ?? []), rec.id];
        return p;
      });
      await this.#mirror(primary, rec);
    } else if (rec.kind === 'clone') {
      await this.#copyService(await this.#cp.require(rec.parentId), rec);
    } else if (rec.kind === 'restore') {
      const reader = await this.#cp.backups.open(rec.parentId);
      await this.#copyFrom(reader, rec);
      const b = reader.backup;
      await this.#cp.log(rec, 'restore', `restored from backup ${b.id} of ${b.serviceName}`);
    }
    return this.#cp.edit(rec.id, 'populated', async (r) => {
      if (!r.populating) return undefined;
      delete r.populating;
      return r;
    });
  }

  /** Make `replica` hold exactly the primary's objects. */
  async #mirror(primary: ServiceRecord, replica: ServiceRecord): Promise<void> {
    const objects = this.#cp.objects;
    const keep = new Set<string>();
    for (const o of await objects.list(primary.id)) {
      keep.add(o.name);
      await objects.copyCiphertext(primary, replica, o.name);
    }
    for (const o of await objects.list(replica.id)) {
      if (!keep.has(o.name)) await objects.remove(replica.id, o.name, { system: true });
    }
  }

  /** Copy every object of `from` into `to` (decrypt, encrypt again; streamed). */
  async #copyService(from: ServiceRecord, to: ServiceRecord): Promise<void> {
    const objects = this.#cp.objects;
    for (const o of await objects.list(from.id)) await this.#copyOne(from, to, o);
  }

  async #copyOne(from: ServiceRecord, to: ServiceRecord, o: ObjectInfo): Promise<void> {
    const objects = this.#cp.objects;
    let body;
    try {
      body = await objects.get(from.id, o.name);
    } catch (e) {
      // Removed since the listing: nothing to copy.
      if (e instanceof DiagnosticError && e.diagnostics[0]?.summary.startsWith('No object')) return;
      throw e;
    }
    await this.#putClosing(to, o.name, body);
  }

  async #copyFrom(reader: BackupReader, to: ServiceRecord): Promise<void> {
    for (const o of await reader.list())
      await this.#putClosing(to, o.name, await reader.get(o.name));
  }

  /** A system put of a source stream; a put refused before it read the stream (the target is
   * not RUNNING) still closes the source's file. */
  async #putClosing(to: ServiceRecord, name: string, body: Readable): Promise<void> {
    try {
      await this.#cp.objects.put(to.id, name, body, { system: true });
    } catch (e) {
      body.destroy();
      throw e;
    }
  }

  /** Apply one write of a primary to its replicas. A replica that cannot take it is marked out
   * of sync (and logged) instead of failing the primary's write, which is already done. */
  async #fanOut(
    primary: ServiceRecord,
    name: string,
    op: 'put' | 'remove',
    done: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    for (const id of primary.replicas ?? []) {
      if (done.has(id)) continue;
      const replica = await this.#cp.get(id);
      if (!replica || replica.id !== id) continue;
      try {
        if (replica.outOfSync) await this.resyncReplica(id);
        else if (op === 'put') await this.#cp.objects.copyCiphertext(primary, replica, name);
        else await this.#cp.objects.remove(id, name, { system: true });
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
        const why = e.diagnostics[0]?.summary ?? e.message;
        await this.#cp.edit(id, 'replica out of sync', async (r) => {
          r.outOfSync = true;
          return r;
        });
        await this.#cp.log(replica, 'replication', `${op} ${name} not applied: ${why}`);
      }
    }
  }

  /** A same-region replica inherits its primary's key: once the primary has rotated to another
   * key (clickhouse), move the replica there too (its service key is re-wrapped, no object is
   * rewritten). Idempotent. A replica with a key of its own (cross-region), a replica of an
   * unencrypted primary, and clones and restores are left as they are. */
  async followPrimaryKey(ref: string): Promise<ServiceRecord> {
    const replica = await this.#cp.require(ref);
    if (replica.kind !== 'replica' || !replica.parentId) return replica;
    const primary = await this.#cp.get(replica.parentId);
    if (!primary || primary.keyOwner !== 'customer' || replica.keyOwner !== 'customer') {
      return replica;
    }
    if (primary.region !== replica.region || !primary.kmsKey) return replica;
    if (primary.kmsKey === replica.kmsKey) return replica;
    return this.#cp.update(replica.id, { kmsKey: primary.kmsKey });
  }

  /** Bring a replica to its primary's contents (after it missed writes). */
  async resyncReplica(ref: string): Promise<ServiceRecord> {
    const replica = await this.#cp.require(ref);
    if (replica.kind !== 'replica' || !replica.parentId) return replica;
    await this.#mirror(await this.#cp.require(replica.parentId), replica);
    const rec = await this.#cp.edit(replica.id, 'replica resynced', async (r) => {
      if (!r.outOfSync) return undefined;
      delete r.outOfSync;
      return r;
    });
    await this.#cp.log(rec, 'replication', 'resynchronized with the primary');
    return rec;
  }

  /** Called by ControlPlane.delete: a primary with replicas is refused (they would stop
   * following it silently); a replica leaves its primary's list. */
  async beforeDelete(rec: ServiceRecord): Promise<void> {
    const live: string[] = [];
    for (const id of rec.replicas ?? []) if (await this.#cp.get(id)) live.push(id);
    if (live.length) {
      throw new DiagnosticError(
        diag(
          'APPLY_FAILED',
          `Service ${rec.name} still has ${live.length} replica(s): ${live.join(', ')}`,
          'Delete its replicas first (in Terraform terms: destroy the cmek_replica resources, ' +
            'which depend on the primary, in the same or an earlier run).',
        ),
      );
    }
    if (rec.kind === 'replica' && rec.parentId && (await this.#cp.get(rec.parentId))) {
      await this.#cp.edit(rec.parentId, 'remove replica', async (p) => {
        if (!p.replicas?.includes(rec.id)) return undefined;
        p.replicas = p.replicas.filter((x) => x !== rec.id);
        if (!p.replicas.length) delete p.replicas;
        return p;
      });
    }
  }
}
