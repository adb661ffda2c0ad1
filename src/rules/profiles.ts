// The profile table (docs/rules.md) as data. The two profiles capture the two seed systems
// (`clickhouse`: ClickHouse Cloud CMEK, `cloudsql`: Cloud SQL CMEK). Rules read these facts
// instead of testing the profile name, so a difference between the systems lives in one row
// here and nowhere else.

import { CLICKHOUSE_REQUIRED_ACTIONS, ENCRYPTER_DECRYPTER_ACTIONS } from '../model/policy/index.js';
import type { KeyProvider } from '../model/kms.js';
import type { Profile } from './model.js';

export interface ProfileFacts {
  /** The key must live in the same region as the service (both seeds). */
  keyInServiceRegion: boolean;
  /** A key can be added to an existing service (neither seed allows it: "CMEK only at
   * creation"; the way to get CMEK on existing data is backup + restore with a key). */
  retrofitAllowed: boolean;
  /** The key of an encrypted service can be removed (neither seed allows it). */
  removalAllowed: boolean;
  /** What changing `kms_key` of a live service means.
   * - `rotate-same-provider`: clickhouse re-wraps the data keys under the new key, no downtime,
   *   but only to a key of the same KMS provider.
   * - `immutable`: cloudsql never changes the key; rotation is a new primary key version plus an
   *   explicit re-encrypt (`reencrypt` trigger). */
  liveKeyChange: 'rotate-same-provider' | 'immutable';
  /** A same-region replica inherits the primary's key; naming another one is an error. */
  sameRegionReplicaInherits: boolean;
  /** A cross-region replica of an encrypted primary must name a key in its own region. */
  crossRegionReplicaNeedsKey: boolean;
  /** A clone inherits its source's key (and so its region); another key is an error. */
  cloneInherits: boolean;
  /** Restoring an encrypted backup: `inherit` = the new service must use the backup's key;
   * `any-in-region` = the target may use another key, in its own region. */
  restoreEncryptedBackup: 'inherit' | 'any-in-region';
  /** Restoring an unencrypted backup may name a key (the only way to get CMEK on existing data). */
  restoreUnencryptedMayNameKey: boolean;
  /** What happens when the key becomes inaccessible: clickhouse stops the service (manual start
   * needed); cloudsql suspends it and resumes by itself once access returns. */
  onKeyInaccessible: 'stop' | 'suspend';
  resumesAutomatically: boolean;
  /** The key is also checked on every update of the service (cloudsql). */
  keyCheckOnUpdate: boolean;
  /** Default poll interval of the key poller (`key_check_interval`). */
  defaultKeyCheckInterval: string;
  /** The key formats of the seed system. Informational: the local KMS serves both families, and
   * CMEK_ROTATION_CROSS_PROVIDER presumes a clickhouse service may hold either, so the rules do
   * not reject a key for its family alone. */
  nativeKeyProviders: readonly KeyProvider[];
  /** Actions the service principal needs on the key (key policy, AWS action names). */
  requiredActions: readonly string[];
  /** The GCP IAM role that grants the same, for IAM-member style grants. */
  gcpRole?: string;
}

// The action lists themselves live with the policy evaluator (src/kms/policy), which the
// resources use to generate the grant; the table refers to them so they exist once.
const CLICKHOUSE_ACTIONS = CLICKHOUSE_REQUIRED_ACTIONS; // seed 000's key policy statement
const CLOUDSQL_ACTIONS = ENCRYPTER_DECRYPTER_ACTIONS; // seed 003: encrypter/decrypter

export const PROFILES: Readonly<Record<Profile, Readonly<ProfileFacts>>> = Object.freeze({
  clickhouse: Object.freeze({
    keyInServiceRegion: true,
    retrofitAllowed: false,
    removalAllowed: false,
    liveKeyChange: 'rotate-same-provider',
    sameRegionReplicaInherits: true,
    crossRegionReplicaNeedsKey: true,
    cloneInherits: true,
    restoreEncryptedBackup: 'inherit',
    restoreUnencryptedMayNameKey: true,
    onKeyInaccessible: 'stop',
    resumesAutomatically: false,
    keyCheckOnUpdate: false,
    defaultKeyCheckInterval: '10m',
    nativeKeyProviders: Object.freeze(['aws'] as const),
    requiredActions: Object.freeze([...CLICKHOUSE_ACTIONS]),
  }),
  cloudsql: Object.freeze({
    keyInServiceRegion: true,
    retrofitAllowed: false,
    removalAllowed: false,
    liveKeyChange: 'immutable',
    sameRegionReplicaInherits: true,
    crossRegionReplicaNeedsKey: true,
    cloneInherits: true,
    restoreEncryptedBackup: 'any-in-region',
    restoreUnencryptedMayNameKey: true,
    onKeyInaccessible: 'suspend',
    resumesAutomatically: true,
    keyCheckOnUpdate: true,
    defaultKeyCheckInterval: '10m',
    nativeKeyProviders: Object.freeze(['gcp'] as const),
    requiredActions: Object.freeze([...CLOUDSQL_ACTIONS]),
    gcpRole: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
  }),
});

export const DEFAULT_PROFILE: Profile = 'clickhouse';

/** The actions the service principal must be granted on a key, per profile. */
export const REQUIRED_ACTIONS: Readonly<Record<Profile, readonly string[]>> = Object.freeze({
  clickhouse: PROFILES.clickhouse.requiredActions,
  cloudsql: PROFILES.cloudsql.requiredActions,
});

export function isProfile(x: unknown): x is Profile {
  return x === 'clickhouse' || x === 'cloudsql';
}

/** Profile facts for a value that may not be a valid profile name (falls back to the default,
 * as an absent `profile` attribute does). */
export function profileFacts(p: unknown): Readonly<ProfileFacts> {
  return PROFILES[isProfile(p) ? p : DEFAULT_PROFILE];
}
