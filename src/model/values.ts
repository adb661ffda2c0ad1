// Values flowing through configuration, plans and rules. A value is plain JSON data, or
// `Unknown` where it is known only after apply (an ARN of a key not yet created). An Unknown may
// carry facts that ARE known at plan time — for a key reference: the key's address, region and
// provider — so the CMEK rules run on the whole graph before anything exists (SPEC 3, issue 4).

import type { KeyProvider } from './kms.js';

/** Facts about a key that are known before apply. */
export interface KeyFacts {
  /** Address of the cmek_kms_key resource in this configuration, if it comes from one. */
  address?: string;
  region?: string;
  provider?: KeyProvider;
}

export class Unknown {
  readonly facts: KeyFacts | undefined;
  constructor(facts?: KeyFacts) {
    this.facts = facts;
  }
  toJSON(): null {
    return null;
  }
}

export const UNKNOWN = new Unknown();

export type Value = null | boolean | number | string | Unknown | Value[] | { [k: string]: Value };

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

/** True if the value or anything inside it is unknown. */
export function containsUnknown(v: Value): boolean {
  if (v instanceof Unknown) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === 'object') return Object.values(v).some(containsUnknown);
  return false;
}

/** Terraform's `after_unknown` shape: true where unknown, nested objects/arrays mirrored, and
 * keys with nothing unknown omitted. Returns false when nothing inside is unknown. */
export function unknownMask(v: Value): boolean | Record<string, unknown> | unknown[] {
  if (v instanceof Unknown) return true;
  if (Array.isArray(v)) {
    const items = v.map(unknownMask);
    return items.some((x) => x !== false) ? items : false;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const m = unknownMask(x);
      if (m !== false) out[k] = m;
    }
    return Object.keys(out).length ? out : false;
  }
  return false;
}

/** A resource's attributes by name (configuration or state), values possibly Unknown. */
export type Attrs = Record<string, Value>;
