// Values flowing through configuration, plans and rules. A value is plain JSON data, or
// `Unknown` where it is known only after apply (an ARN of a key not yet created). An Unknown may
// carry facts that ARE known at plan time — for a key reference: the key's address, region and
// provider — so the CMEK rules run on the whole graph before anything exists.

import type { KeyProvider } from './kms.js';

/** Facts about a key that are known before apply. */
export interface KeyFacts {
  /** Address of the cmek_kms_key resource in this configuration, if it comes from one. */
  address?: string;
  region?: string;
  provider?: KeyProvider;
}

/** What terraform calls a refinement of an unknown value: promises about the final value that
 * hold before it is known (the Terraform provider plugin reads and writes them). */
export interface Refinement {
  /** The final value will not be null. */
  notNull?: boolean;
  /** A string's final value starts with this prefix (`arn:aws:kms:eu-west-1:123456789012:key/`). */
  prefix?: string;
  /** Bounds of a number's final value; `inclusive` false where the bound is exclusive. */
  numberLower?: { value: number; inclusive: boolean };
  numberUpper?: { value: number; inclusive: boolean };
  /** Bounds of a collection's final length. */
  lengthLower?: number;
  lengthUpper?: number;
}

export class Unknown {
  readonly facts: KeyFacts | undefined;
  readonly refinement: Refinement | undefined;
  constructor(facts?: KeyFacts, refinement?: Refinement) {
    this.facts = facts;
    this.refinement = refinement;
  }
  toJSON(): null {
    return null;
  }
}

export const UNKNOWN = new Unknown();

export type Value =
  null | boolean | number | string | Unknown | Sensitive | Value[] | { [k: string]: Value };

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

/** True if the value or anything inside it is unknown. */
export function containsUnknown(v: Value): boolean {
  if (v instanceof Unknown) return true;
  if (v instanceof Sensitive) return containsUnknown(v.value);
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === 'object') return Object.values(v).some(containsUnknown);
  return false;
}

/** Terraform's `after_unknown` shape: true where unknown, nested objects/arrays mirrored, and
 * keys with nothing unknown omitted. Returns false when nothing inside is unknown. */
export function unknownMask(v: Value): boolean | Record<string, unknown> | unknown[] {
  if (v instanceof Unknown) return true;
  if (v instanceof Sensitive) return unknownMask(v.value);
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

// ---------------------------------------------------------------------------------------------
// Sensitivity marks (Terraform's `sensitive`)
//
// A value that must not be shown is wrapped in `Sensitive` while expressions are evaluated: a
// sensitive variable gives a marked value, and every operation or function that reads a marked
// value gives a marked result (a template, `jsonencode`, `merge`, ...). Lists and objects keep
// the marks of their elements. At the boundary of a resource or an output the marks are taken
// off (`unmark`) and kept beside the plain value as paths (`SensitivePath[]`), so resources and
// rules only ever see plain values; renderers put them back (`markPaths`) to hide what is marked.

/** A value marked sensitive. It may wrap an `Unknown` (a sensitive value known after apply). */
export class Sensitive {
  readonly value: Value;
  constructor(value: Value) {
    this.value = value instanceof Sensitive ? value.value : value;
  }
  /** Serialized, the value itself (state and plan files keep it, as Terraform's do). */
  toJSON(): Value {
    return this.value;
  }
}

/** A path to an attribute inside a value: object keys and list indexes. `[]` is the value. */
export type SensitivePath = Array<string | number>;

export function isSensitive(v: unknown): v is Sensitive {
  return v instanceof Sensitive;
}

/** The value marked sensitive (once). */
export function markSensitive(v: Value): Sensitive {
  return v instanceof Sensitive ? v : new Sensitive(v);
}

/** True if the value or anything inside it is marked. */
export function containsSensitive(v: Value): boolean {
  if (v instanceof Sensitive) return true;
  if (Array.isArray(v)) return v.some(containsSensitive);
  if (v !== null && typeof v === 'object' && !(v instanceof Unknown))
    return Object.values(v).some(containsSensitive);
  return false;
}

/** The value without marks, and the paths that were marked (outermost marks only). */
export function unmark(v: Value): { value: Value; paths: SensitivePath[] } {
  const paths: SensitivePath[] = [];
  const walk = (x: Value, path: SensitivePath): Value => {
    if (x instanceof Sensitive) {
      paths.push(path);
      return stripMarks(x.value);
    }
    if (Array.isArray(x)) return x.map((e, i) => walk(e, [...path, i]));
    if (x !== null && typeof x === 'object' && !(x instanceof Unknown)) {
      const out: Record<string, Value> = {};
      for (const [k, e] of Object.entries(x)) defineKey(out, k, walk(e, [...path, k]));
      return out;
    }
    return x;
  };
  return { value: walk(v, []), paths };
}

/** The value without any marks. */
export function stripMarks(v: Value): Value {
  if (v instanceof Sensitive) return stripMarks(v.value);
  if (Array.isArray(v)) return v.some(containsSensitive) ? v.map(stripMarks) : v;
  if (v !== null && typeof v === 'object' && !(v instanceof Unknown)) {
    if (!containsSensitive(v)) return v;
    const out: Record<string, Value> = {};
    for (const [k, e] of Object.entries(v)) defineKey(out, k, stripMarks(e));
    return out;
  }
  return v;
}

/** Unmarked operands of an operation, and whether any was marked: the result of an operation
 * on a marked value is marked as a whole (`withMark`). */
export function unmarkAll(vs: Value[]): { values: Value[]; marked: boolean } {
  const marked = vs.some(containsSensitive);
  return { values: marked ? vs.map(stripMarks) : vs, marked };
}

export function withMark(v: Value, marked: boolean): Value {
  return marked ? markSensitive(v) : v;
}

/** Put marks back at the given paths (paths that no longer exist in the value are ignored). */
export function markPaths<T extends Value>(v: T, paths: readonly SensitivePath[]): T | Sensitive {
  let out: Value = v;
  for (const p of paths) out = markAt(out, p, 0);
  return out as T | Sensitive;
}

function markAt(v: Value, path: SensitivePath, i: number): Value {
  if (i === path.length) return markSensitive(v);
  if (v instanceof Sensitive) return v;
  const k = path[i]!;
  if (Array.isArray(v)) {
    if (typeof k !== 'number' || k < 0 || k >= v.length) return v;
    const copy = v.slice();
    copy[k] = markAt(v[k]!, path, i + 1);
    return copy;
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Unknown)) {
    const key = String(k);
    if (!Object.prototype.hasOwnProperty.call(v, key)) return v;
    const copy: Record<string, Value> = { ...v };
    defineKey(copy, key, markAt(v[key]!, path, i + 1));
    return copy;
  }
  return v;
}

/** Terraform's `after_sensitive` / `sensitive_values` shape for a value with marks at `paths`:
 * `true` where marked, objects and lists mirrored, nothing else. An object with nothing
 * marked is `{}`. */
export function sensitiveMask(
  v: Value | null,
  paths: readonly SensitivePath[],
): boolean | Record<string, unknown> | unknown[] {
  if (paths.some((p) => p.length === 0)) return true;
  if (Array.isArray(v))
    return v.map((e, i) => sensitiveMask(e, subPaths(paths, i))).map((m) => m || false);
  if (v !== null && typeof v === 'object' && !(v instanceof Unknown)) {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) {
      const sub = subPaths(paths, k);
      if (!sub.length) continue;
      if (k === '__proto__')
        Object.defineProperty(out, k, { value: sensitiveMask(e, sub), enumerable: true });
      else out[k] = sensitiveMask(e, sub);
    }
    return out;
  }
  return false;
}

function subPaths(paths: readonly SensitivePath[], k: string | number): SensitivePath[] {
  return paths.filter((p) => p.length > 0 && String(p[0]) === String(k)).map((p) => p.slice(1));
}

function defineKey(o: Record<string, Value>, k: string, v: Value): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
