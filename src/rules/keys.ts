// Comparing keys whose identity may be only partly known at plan time. A KeyView can be a full
// ARN, an alias, a bare key id, a key resource of this plan whose ARN is still unknown, or
// nothing but a region. The rules must not invent a difference out of missing facts
// ("unknown ≠ different"), so comparison is three-valued.

import { parseKeyRef, type KeyRef } from '../model/key-ref.js';
import type { KeyProvider } from '../model/kms.js';
import type { KeyView } from './model.js';

export type Sameness = 'same' | 'different' | 'unknown';

interface Identity {
  provider: KeyProvider;
  /** AWS account or GCP project. */
  owner?: string;
  region?: string;
  /** GCP key ring (part of a GCP key's identity). */
  ring?: string;
  id: string;
  /** Aliases name a key indirectly: two different aliases may point at one key. */
  alias: boolean;
}

function identityOf(ref: KeyRef): Identity {
  return {
    provider: ref.provider,
    owner: ref.account ?? ref.project,
    region: ref.region,
    ring: ref.keyRing,
    id: ref.id,
    alias: ref.kind === 'alias-name' || ref.kind === 'alias-arn',
  };
}

// Parsing is the hot path of key comparison (a plan of 10k resources compares keys many
// times), so parsed references are memoized. The cache only saves work: parseKeyRef is pure.
const PARSE_CACHE_MAX = 50_000;
const parseCache = new Map<string, KeyRef | null>();

/** The parsed form of a reference, or undefined when it does not parse. */
export function parseRef(ref: string | undefined): KeyRef | undefined {
  if (typeof ref !== 'string') return undefined;
  let hit = parseCache.get(ref);
  if (hit === undefined) {
    const r = parseKeyRef(ref);
    hit = r.ok ? r.ref : null;
    if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
    parseCache.set(ref, hit);
  }
  return hit ?? undefined;
}

/** Index tokens of a key: whenever sameKey(a, b) is `same`, a and b share at least one token
 * (equal address, equal ref, or equal provider + kind + id), so an index on tokens finds every
 * candidate without comparing all pairs. */
export function keyTokens(k: KeyView): string[] {
  const t: string[] = [];
  if (k.address !== undefined) t.push(`a:${k.address}`);
  if (k.ref !== undefined) t.push(`r:${k.ref}`);
  const p = parseRef(k.ref);
  if (p) {
    const alias = p.kind === 'alias-name' || p.kind === 'alias-arn';
    t.push(`i:${p.provider}:${alias ? 'alias' : 'key'}:${p.id}`);
  }
  return t;
}

/** The region of a key: stated on the view, else from its reference. */
export function keyRegion(k: KeyView): string | undefined {
  return k.region ?? parseRef(k.ref)?.region;
}

/** The KMS provider of a key: stated on the view, else from its reference. */
export function keyProvider(k: KeyView): KeyProvider | undefined {
  return k.provider ?? parseRef(k.ref)?.provider;
}

/** Equal when both sides are known; undefined when either is missing. */
function bothEqual(a: string | undefined, b: string | undefined): boolean | undefined {
  return a === undefined || b === undefined ? undefined : a === b;
}

/**
 * Whether two keys are the same key.
 * - `same`: equal refs, equal addresses, or refs that parse to the same
 *   provider + account/project + region (+ key ring) + id (an ARN and its bare key id count as
 *   the same key; a GCP key version belongs to its key).
 * - `different`: a known fact tells them apart: regions, providers, two distinct key resources
 *   of the plan, or two concrete (non-alias) references with different identities.
 * - `unknown`: anything else (e.g. an alias vs an ARN, or two keys not created yet whose
 *   addresses are not known). Rules emit nothing on `unknown`.
 */
export function sameKey(a: KeyView, b: KeyView): Sameness {
  if (a.ref !== undefined && a.ref === b.ref) return 'same';
  if (a.address !== undefined && a.address === b.address) return 'same';
  const pa = parseRef(a.ref);
  const pb = parseRef(b.ref);
  const ia = pa && identityOf(pa);
  const ib = pb && identityOf(pb);
  if (ia && ib && ia.alias === ib.alias && ia.provider === ib.provider && ia.id === ib.id) {
    const owner = bothEqual(ia.owner, ib.owner);
    const region = bothEqual(ia.region, ib.region);
    const ring = bothEqual(ia.ring, ib.ring);
    if (owner !== false && region !== false && ring !== false) {
      // Aliases with the same name are the same alias only within one account and region.
      if (!ia.alias || (owner === true && region === true)) return 'same';
    }
  }
  if (bothEqual(keyRegion(a), keyRegion(b)) === false) return 'different';
  if (bothEqual(keyProvider(a), keyProvider(b)) === false) return 'different';
  if (a.address !== undefined && b.address !== undefined) return 'different';
  if (ia && ib && !ia.alias && !ib.alias) return 'different';
  return 'unknown';
}

/**
 * `sameKey`, plus one fact only the plan knows: a key the plan creates (`created` holds the
 * addresses of key resources with action `create`) cannot be any key that already exists, so it
 * differs from every key given by a known reference and from every other address.
 */
export function sameKeyInPlan(a: KeyView, b: KeyView, created: ReadonlySet<string>): Sameness {
  const s = sameKey(a, b);
  if (s !== 'unknown') return s;
  const newA = a.address !== undefined && created.has(a.address);
  const newB = b.address !== undefined && created.has(b.address);
  if ((newA && b.ref !== undefined) || (newB && a.ref !== undefined)) return 'different';
  return 'unknown';
}

/** A short human rendering of a key for one-line summaries. */
export function describeKey(k: KeyView, withRegion = true): string {
  if (k.ref !== undefined) return k.ref;
  const where = withRegion ? keyRegion(k) : undefined;
  if (k.address !== undefined) return `${k.address} (not created yet${where ? `, ${where}` : ''})`;
  return where ? `a key in ${where}` : 'a key not known until apply';
}
