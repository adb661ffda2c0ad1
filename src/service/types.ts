// The records the embedded control plane keeps under `<data_dir>/services/`. They are plain
// JSON (one file per service, replaced atomically) so `cmek service describe`, the poller and a
// human with `cat` all read the same thing. No plaintext key material is ever in them: the key
// hierarchy record beside each service holds wrapped keys only.
import type { Profile } from '../rules/model.js';

export type ServiceStatus = 'RUNNING' | 'SUSPENDED' | 'STOPPED';

/** Who owns the key that wraps the service key: the customer (CMEK) or the control plane (a
 * provider-managed key, not CMEK). */
export type KeyOwner = 'customer' | 'managed';

/** What kind of service this is. Only `service` is created by this issue; the others are here so
 * replicas, clones and restores of the next issue are services too (same data plane). */
export type ServiceKind = 'service' | 'replica' | 'clone' | 'restore';

export type ReplicaKind = 'read' | 'failover';

export interface ServiceRecord {
  /** Record format version, for future migrations. */
  version: 1;
  /** Stable id (`svc-` + 16 hex). */
  id: string;
  name: string;
  region: string;
  profile: Profile;
  kind: ServiceKind;
  /** Primary/source/backup id for replicas, clones and restores. */
  parentId?: string;
  /** Replicas: `read` or `failover` (both read-only; they follow the primary's writes). */
  replicaKind?: ReplicaKind;
  /** Primaries: the ids of their replicas, which every put/remove is applied to. Kept in the
   * primary's record so the data plane finds them without listing every service. */
  replicas?: string[];
  /** Replicas: a write of the primary could not be applied (the replica was not RUNNING); the
   * next replicated write (or `Lifecycle.resyncReplica`) copies the primary in full first. */
  outOfSync?: boolean;
  /** Replicas, clones, restores: set at creation until the data copy is complete, so a create
   * interrupted half way is finished (not taken over as is) by the next run's adopt. */
  populating?: boolean;
  /** The key reference as the user wrote it (ARN, key id, alias, GCP name); null = no CMEK. */
  kmsKey: string | null;
  /** The ARN (or GCP name) of the key that wraps the service key right now: the customer's key
   * or the provider-managed one. */
  kekArn: string;
  keyOwner: KeyOwner;
  /** Key version that wrapped the current service key (local KMS: "1", "2", ...). */
  kmsKeyVersion?: string;
  /** Go-style duration, e.g. `10m`. */
  keyCheckInterval: string;
  description?: string;
  tags: Record<string, string>;
  /** cloudsql: the user's re-encrypt trigger value, as last applied. */
  reencrypt?: string;
  status: ServiceStatus;
  statusReason: string;
  statusChangedAt: string;
  /** Last live key check (poller / start / create). */
  lastKeyCheckAt?: string;
  /** Set once the KMS reports the key that wraps the service key as Destroyed: the data is
   * unrecoverable (crypto-shredded) and the service can never run again. Never cleared: a
   * destroyed key does not come back. */
  keyDestroyed?: KeyDestroyed;
  createdAt: string;
  updatedAt: string;
  /** Incremented on every write; lets callers detect concurrent changes. */
  generation: number;
}

export interface KeyDestroyed {
  /** The key whose material was destroyed. */
  keyArn: string;
  /** When the material was destroyed: the KMS's deletion date when it has passed, else the
   * time the control plane first saw the key destroyed (`source: 'detected'`, e.g. after
   * `cmek kms purge` ended the waiting period early). */
  at: string;
  source: 'kms' | 'detected';
}

export interface CreateServiceInput {
  name: string;
  region: string;
  profile?: Profile;
  kmsKey?: string | null;
  keyCheckInterval?: string;
  description?: string;
  tags?: Record<string, string>;
  reencrypt?: string;
  kind?: ServiceKind;
  parentId?: string;
  replicaKind?: ReplicaKind;
  /** See ServiceRecord.populating. */
  populating?: boolean;
}

export interface UpdateServiceInput {
  description?: string | null;
  tags?: Record<string, string>;
  keyCheckInterval?: string;
  /** A different key = rotation (re-wrap the service key, O(1) KMS calls). Rules decide at plan
   * time whether that is legal; the control plane only refuses removal and retrofit. */
  kmsKey?: string | null;
  /** cloudsql: a new trigger value re-wraps the service key under the key's current primary
   * version (the cloudsql "re-encrypt after rotation" step). */
  reencrypt?: string | null;
}

/** One line of `<data_dir>/events.log`. */
export interface ServiceEvent {
  time: string;
  serviceId: string;
  name: string;
  type:
    | 'created'
    | 'updated'
    | 'rotated'
    | 'status'
    | 'deleted'
    | 'key-check'
    | 'replication'
    | 'backup'
    | 'restore';
  from?: ServiceStatus;
  to?: ServiceStatus;
  reason: string;
}
