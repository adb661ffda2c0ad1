// Rotation of a service's key: to another customer key (`kms_key` changed), or re-wrapping under
// the same key's current primary version (`reencrypt` trigger). Either way the service key is
// re-wrapped (O(1) KMS calls); no object is rewritten. The control plane calls these inside its
// record lock with the record being edited; what they need of it is the narrow RotationHost.
import type { Kms } from '../kms/types.js';
import { parseKeyRef } from '../model/key-ref.js';
import {
  keyChangeRefusal,
  keyImmutableMessage,
  keyRemovalMessage,
  noRetrofitMessage,
  rotationCrossProviderMessage,
} from '../rules/lifecycle.js';
import { profileFacts } from '../rules/profiles.js';
import { checkKeyAccess } from './key-check.js';
import type { KeyRecord, ServiceKeys } from './keys.js';
import { CmekRuleError, subjectOf } from './rule-error.js';
import type { ServiceEvent, ServiceRecord } from './types.js';

export interface RotationHost {
  /** The KMS as the service principal: the new key is checked live as the service uses it. */
  readonly kms: Kms;
  readonly principal: string | undefined;
  /** Key hierarchies (re-wrap). */
  readonly keys: ServiceKeys;
  /** The KMS client that unwraps the service's keys. */
  kmsFor(rec: ServiceRecord): Kms;
  readKeyRecord(id: string): Promise<KeyRecord>;
  writeKeyRecord(id: string, record: KeyRecord): Promise<void>;
  log(rec: ServiceRecord, type: ServiceEvent['type'], reason: string): Promise<void>;
  now(): Date;
}

/** Re-wrap the service key of `rec` under `kekArn` and log it; updates `rec` in place (the
 * caller writes it). */
export async function rewrap(
  host: RotationHost,
  rec: ServiceRecord,
  kekArn: string,
  why: string,
): Promise<void> {
  const kms = host.kmsFor(rec);
  const current = await host.readKeyRecord(rec.id);
  const next = await host.keys.rewrap(kms, current, kekArn);
  await host.writeKeyRecord(rec.id, next.record);
  const from = rec.kekArn;
  rec.kekArn = kekArn;
  if (next.keyVersion !== undefined) rec.kmsKeyVersion = next.keyVersion;
  else delete rec.kmsKeyVersion;
  await host.log(rec, 'rotated', `${why}: service key re-wrapped from ${from} to ${kekArn}`);
}

/** Rotation to another customer key: validate the new key live, then re-wrap the service
 * key. Retrofit and removal are refused here too, whatever the plan said (the rules' own
 * predicate and text, src/rules/lifecycle.ts): they would silently change what protects the
 * data. Updates `rec` in place. */
export async function rotate(
  host: RotationHost,
  rec: ServiceRecord,
  kmsKey: string | null,
  opts: { address?: string } = {},
): Promise<void> {
  const before = rec.keyOwner === 'customer' ? rec.kmsKey : null;
  const refusal = keyChangeRefusal(rec.profile, before, kmsKey);
  const subject = subjectOf(rec.kind, rec.name, opts.address);
  if (refusal === 'CMEK_KEY_REMOVAL') {
    const m = keyRemovalMessage({ subject, key: before!, attribute: 'kms_key' });
    throw new CmekRuleError(refusal, m, 'kms_key', opts.address);
  }
  if (refusal === 'CMEK_NO_RETROFIT') {
    const m = noRetrofitMessage({ subject, key: kmsKey! });
    throw new CmekRuleError(refusal, m, 'kms_key', opts.address);
  }
  if (!kmsKey || before === null) {
    // Only a profile that allowed adding or removing a key would get here; none does.
    throw new Error(`profile ${rec.profile}: no way to change the key of ${rec.name}`);
  }
  // Another KMS provider, or (cloudsql) any other key: refused as the plan-time rules refuse
  // it, with their text. Both ends are judged as resolved by the KMS, so an alias of the key in
  // use is no change.
  const from = parseKeyRef(rec.kekArn);
  const to = parseKeyRef(kmsKey);
  if (from.ok && to.ok && from.ref.provider !== to.ref.provider) {
    const m = rotationCrossProviderMessage({
      subject,
      from: from.ref.provider,
      to: to.ref.provider,
      before,
      after: kmsKey,
    });
    throw new CmekRuleError('CMEK_ROTATION_CROSS_PROVIDER', m, 'kms_key', opts.address);
  }
  const check = await checkKeyAccess(host.kms, kmsKey, {
    region: rec.region,
    profile: rec.profile,
    subject,
    ...(host.principal ? { principal: host.principal } : {}),
    ...(opts.address ? { address: opts.address } : {}),
  });
  if (check.arn === rec.kekArn) {
    // The same key under another name: record the name, nothing to re-wrap.
    rec.kmsKey = kmsKey;
    rec.lastKeyCheckAt = host.now().toISOString();
    return;
  }
  if (profileFacts(rec.profile).liveKeyChange === 'immutable') {
    const m = keyImmutableMessage({
      subject,
      profile: rec.profile,
      before,
      after: kmsKey,
      attribute: 'kms_key',
    });
    throw new CmekRuleError('CMEK_KEY_IMMUTABLE', m, 'kms_key', opts.address);
  }
  await rewrap(host, rec, check.arn, 'rotation');
  rec.kmsKey = kmsKey;
  rec.lastKeyCheckAt = host.now().toISOString();
}
