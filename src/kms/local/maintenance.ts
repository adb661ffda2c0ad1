// The local KMS's maintenance of the keystore: automatic rotations that fell due, deletions
// whose waiting period has passed, and `purge` (every pending deletion now). Each call of the
// client runs it under the keystore lock before its own work (client.ts), so a key's state is
// always what the clock says. Destroying a key drops its sealed material: crypto-shredding.
import { randomBytes } from 'node:crypto';
import type { Keystore, KeystoreFiles, StoredKey } from './store.js';
import type { PurgeResult } from './types.js';

export const DAY_MS = 86_400_000;

/** When the key's next automatic rotation is due (ms since epoch), if it rotates at all. */
export function rotationDue(k: StoredKey): number | undefined {
  const r = k.rotation;
  if (!r.enabled || !r.periodStart || !r.periodDays || k.state !== 'Enabled') return undefined;
  if (k.multiRegionRole === 'REPLICA') return undefined;
  return Date.parse(r.periodStart) + r.periodDays * DAY_MS;
}

/** Whether `maintain` would change anything at `now`. */
export function maintenanceDue(st: Keystore, now: Date): boolean {
  const t = now.getTime();
  return Object.values(st.keys).some(
    (k) =>
      (k.state === 'PendingDeletion' && Date.parse(k.deletionDate!) <= t) ||
      (rotationDue(k) !== undefined && rotationDue(k)! <= t),
  );
}

/** Complete deletions whose window has passed and automatic rotations that are due (each due
 * period adds one version, dated when it fell due). Returns whether anything changed. */
export function maintain(files: KeystoreFiles, st: Keystore, now: Date): boolean {
  let changed = false;
  const t = now.getTime();
  for (const key of Object.values(st.keys)) {
    if (key.state === 'PendingDeletion' && Date.parse(key.deletionDate!) <= t) {
      destroy(files, st, key, new Date(key.deletionDate!));
      changed = true;
    }
    for (let i = 0; i < 1000; i++) {
      const due = rotationDue(key);
      if (due === undefined || due > t) break;
      addVersion(files, st, key, 'AUTOMATIC', new Date(due), randomBytes(32));
      key.rotation.periodStart = new Date(due).toISOString();
      changed = true;
    }
  }
  return changed;
}

/** Add a new primary version to a key, and to its multi-region replicas (same material). The
 * material is sealed under the root key and zeroed. */
export function addVersion(
  files: KeystoreFiles,
  st: Keystore,
  key: StoredKey,
  type: 'AUTOMATIC' | 'ON_DEMAND',
  at: Date,
  material: Buffer,
): void {
  const version = Math.max(...key.versions.map((v) => v.version)) + 1;
  const sealed = files.seal(key.keyId, version, material);
  material.fill(0);
  const siblings = key.multiRegion
    ? Object.values(st.keys).filter((k) => k.keyId === key.keyId && k.state !== 'Destroyed')
    : [key];
  for (const k of siblings) {
    k.versions.push({ version, createdAt: at.toISOString(), rotationType: type, sealed });
    k.primaryVersion = version;
  }
}

/** Destroy a key's material for good (and, as on AWS, its aliases). */
export function destroy(files: KeystoreFiles, st: Keystore, key: StoredKey, at: Date): void {
  key.state = 'Destroyed';
  key.destroyedAt = at.toISOString();
  for (const v of key.versions) delete v.sealed;
  key.rotation.enabled = false;
  delete key.rotation.periodStart;
  // As on AWS, deleting a key deletes its aliases.
  for (const [arn, a] of Object.entries(st.aliases))
    if (a.targetArn === key.arn) delete st.aliases[arn];
  files.forget(key.keyId);
}

/** Complete every pending deletion now, for the keys `authorize` lets the caller delete (it
 * throws otherwise: that key is skipped, with the reason). */
export function purgePending(
  files: KeystoreFiles,
  st: Keystore,
  now: Date,
  authorize: (key: StoredKey) => void,
): PurgeResult {
  const destroyed: string[] = [];
  const skipped: Array<{ arn: string; reason: string }> = [];
  for (const key of Object.values(st.keys)) {
    if (key.state !== 'PendingDeletion') continue;
    try {
      authorize(key);
    } catch (e) {
      skipped.push({ arn: key.arn, reason: (e as Error).message });
      continue;
    }
    destroy(files, st, key, now);
    destroyed.push(key.arn);
  }
  return skipped.length ? { destroyed, skipped } : { destroyed };
}
