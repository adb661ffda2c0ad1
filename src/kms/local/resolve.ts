// Key resolution of the local KMS: a key id, key ARN, alias name, alias ARN or GCP key name to
// the stored key, choosing among multi-region copies by the caller's region. Pure functions over
// a keystore snapshot.
import { parseKeyRef, type KeyRef } from '../../model/key-ref.js';
import { KmsError } from '../types.js';
import type { Keystore, StoredKey } from './store.js';

export function resolveKey(st: Keystore, ref: string, region: string | undefined): StoredKey {
  const p = parseKeyRef(ref);
  if (!p.ok) throw new KmsError('NotFoundException', `Invalid keyId ${ref} (${p.reason})`);
  const r = p.ref;
  const key = lookup(st, ref, r, region);
  if (!key) throw new KmsError('NotFoundException', `Key '${ref}' does not exist`);
  return key;
}

function lookup(
  st: Keystore,
  s: string,
  r: KeyRef,
  region: string | undefined,
): StoredKey | undefined {
  switch (r.kind) {
    case 'key-arn':
      return st.keys[s];
    case 'key-id':
      return pickRegion(
        region,
        Object.values(st.keys).filter((k) => k.keyId === r.id),
      );
    case 'alias-arn': {
      const a = st.aliases[s];
      return a && st.keys[a.targetArn];
    }
    case 'alias-name': {
      const a = pickRegion(
        region,
        Object.values(st.aliases).filter((x) => x.name === r.id),
      );
      return a && st.keys[a.targetArn];
    }
    case 'gcp-key':
      return st.keys[s];
    case 'gcp-key-version':
      return st.keys[s.slice(0, s.lastIndexOf('/cryptoKeyVersions/'))];
  }
}

/** Among same-named things in several regions (multi-region replicas, aliases), take the one
 * in the client's region, else the multi-region primary, else the only one. */
export function pickRegion<T extends { region: string; multiRegionRole?: string }>(
  region: string | undefined,
  xs: T[],
): T | undefined {
  if (xs.length <= 1) return xs[0];
  const inRegion = xs.find((x) => x.region === region);
  if (inRegion) return inRegion;
  const primary = xs.find((x) => x.multiRegionRole === 'PRIMARY');
  if (primary) return primary;
  throw new KmsError(
    'ValidationException',
    `the name exists in several regions (${xs.map((x) => x.region).join(', ')}): use an ARN`,
  );
}

export function findAlias(
  st: Keystore,
  name: string,
  region: string | undefined,
): [string, Keystore['aliases'][string]] {
  if (name.startsWith('arn:')) {
    const a = st.aliases[name];
    if (!a) throw new KmsError('NotFoundException', `Alias ${name} is not found.`);
    return [name, a];
  }
  const matches = Object.entries(st.aliases).filter(([, a]) => a.name === name);
  const pick = pickRegion(
    region,
    matches.map(([arn, a]) => ({ arn, a, region: a.region })),
  );
  if (!pick) throw new KmsError('NotFoundException', `Alias ${name} is not found.`);
  return [pick.arn, pick.a];
}

export function resolveTarget(st: Keystore, ref: string, region: string | undefined): StoredKey {
  if (ref.startsWith('alias/') || /:alias\//.test(ref))
    throw new KmsError('ValidationException', 'TargetKeyId must be a key id or key ARN');
  const key = resolveKey(st, ref, region);
  if (key.provider !== 'aws')
    throw new KmsError('ValidationException', 'aliases apply to AWS-style keys only');
  return key;
}
