// Attribute paths: the protocol's AttributePath (steps of attribute names, string keys and
// integer indexes) and the provider's TfPath (names, keys and indexes as plain strings and
// numbers). A string step is an attribute name where the value there is an object, and a map
// key where it is a map: the schema's type decides.

import type { CtyType, TfPath } from '../handler.js';

export interface ProtoStep {
  attribute_name?: string;
  element_key_string?: string;
  element_key_int?: number;
  selector?: string;
}

export interface ProtoPath {
  steps: ProtoStep[];
}

/** A TfPath as an AttributePath, walking `type` to tell attributes from map keys. */
export function toProtoPath(path: TfPath, type: CtyType | undefined): ProtoPath {
  const steps: ProtoStep[] = [];
  let t: CtyType | undefined = type;
  for (const step of path) {
    if (typeof step === 'number') {
      steps.push({ element_key_int: step });
      t = t && typeof t === 'object' ? elementType(t, step) : undefined;
      continue;
    }
    if (t && typeof t === 'object' && 'map' in t) {
      steps.push({ element_key_string: step });
      t = t.map;
    } else {
      steps.push({ attribute_name: step });
      t = t && typeof t === 'object' && 'object' in t ? t.object[step] : undefined;
    }
  }
  return { steps };
}

function elementType(t: Exclude<CtyType, string>, i: number): CtyType | undefined {
  if ('list' in t) return t.list;
  if ('set' in t) return t.set;
  if ('tuple' in t) return t.tuple[i];
  return undefined;
}

/** An AttributePath as a TfPath (steps decoded with their oneof member named in `selector`). */
export function fromProtoPath(p: ProtoPath | null | undefined): TfPath {
  return (p?.steps ?? []).map((s) => {
    if (s.selector === 'element_key_int') return Number(s.element_key_int);
    if (s.selector === 'element_key_string') return s.element_key_string ?? '';
    return s.attribute_name ?? '';
  });
}
