// Helpers shared by the resource types: reading typed values out of `Attrs` (which may hold
// Unknown at plan time), value equality, and the generic part of `plan` (defaults, computed
// attributes, replacement detection) so every resource decides only what is specific to it.
import { isKmsError } from '../kms/types.js';
import { Unknown, isUnknown, type Value } from '../model/values.js';
import type { Attrs, PlannedResource } from './types.js';

export function str(v: Value | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function bool(v: Value | undefined, dflt = false): boolean {
  return typeof v === 'boolean' ? v : dflt;
}

export function num(v: Value | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** A string map (tags); non-string members are dropped. */
export function strMap(v: Value | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v) && !isUnknown(v)) {
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  }
  return out;
}

/** Structural equality of plain values; anything unknown is never equal (it may change). */
export function valuesEqual(a: Value | undefined, b: Value | undefined): boolean {
  if (isUnknown(a) || isUnknown(b)) return false;
  if (a === undefined || a === null) return b === undefined || b === null;
  if (b === undefined || b === null) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => valuesEqual(x, b[i]));
  }
  if (typeof a === 'object') {
    if (typeof b !== 'object' || Array.isArray(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (!valuesEqual((a as Record<string, Value>)[k], (b as Record<string, Value>)[k]))
        return false;
    }
    return true;
  }
  return a === b;
}

export interface GenericPlanSpec {
  /** Defaults for optional configuration attributes (applied when absent or null). */
  defaults?: Record<string, Value>;
  computed: readonly string[];
  forceNew: readonly string[];
  /** Optional attributes the provider fills in when the configuration leaves them out (a
   * generated name, the provider's service principal): absent in config = keep prior. */
  optionalComputed?: readonly string[];
  /** Facts carried by unknown computed values (e.g. a key's region and provider). */
  unknownFor?: (attr: string, after: Attrs) => Unknown;
}

/** The generic diff: config + defaults; computed attributes unknown on create/replace, kept from
 * prior on update; `requiresReplace` = forceNew attributes whose value changes. */
export function planGeneric(
  config: Attrs,
  prior: Attrs | undefined,
  spec: GenericPlanSpec,
): PlannedResource {
  const after: Attrs = {};
  for (const [k, v] of Object.entries(spec.defaults ?? {})) after[k] = v;
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    if (v === null && spec.defaults && k in spec.defaults) continue;
    after[k] = v;
  }
  for (const k of spec.optionalComputed ?? []) {
    if ((after[k] === undefined || after[k] === null) && prior?.[k] != null) after[k] = prior[k];
  }
  const requiresReplace = prior
    ? spec.forceNew.filter((a) => !valuesEqual(prior[a] ?? null, after[a] ?? null))
    : [];
  const fresh = !prior || requiresReplace.length > 0;
  for (const c of spec.computed) {
    if (c in config && config[c] !== null && config[c] !== undefined) continue;
    after[c] = fresh
      ? (spec.unknownFor?.(c, after) ?? new Unknown())
      : ((prior?.[c] as Value | undefined) ?? null);
  }
  return { after, requiresReplace };
}

/** True for the KMS errors that mean "the object is gone". */
export function isGone(e: unknown): boolean {
  return isKmsError(e, 'NotFoundException');
}

/** Drop undefined members so attribute objects stay plain JSON. */
export function clean(attrs: Record<string, Value | undefined>): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out[k] = v;
  return out;
}
