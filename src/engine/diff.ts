// Deciding one instance's action: configuration (after ignore_changes) against its prior
// attributes, through the resource type's plan. Used by the planner and again by apply when
// values unknown at plan time are known.

import { Unknown, type Value } from '../model/values.js';
import type { Attrs, PlanInput, ResourceType } from '../resources/types.js';
import type { ChangeAction } from './plan-types.js';

/** `ignore_changes`: take the prior value for ignored attributes (only once the resource
 * exists; on create the configuration is used as written). */
export function applyIgnoreChanges(
  config: Attrs,
  prior: Attrs | undefined,
  ignore: string[] | 'all',
): Attrs {
  if (!prior) return config;
  const names = ignore === 'all' ? Object.keys(config) : ignore;
  if (!names.length) return config;
  const out = { ...config };
  for (const n of names) {
    if (prior[n] === undefined || prior[n] === null) delete out[n];
    else out[n] = prior[n]!;
  }
  return out;
}

/** Deep equality of plain values; Unknown is never equal to anything. */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (a === undefined || a === null) return b === undefined || b === null;
  if (b === undefined || b === null) return false;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (typeof a === 'object') {
    if (typeof b !== 'object' || Array.isArray(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys)
      if (!sameValue((a as Record<string, Value>)[k], (b as Record<string, Value>)[k]))
        return false;
    return true;
  }
  return a === b;
}

/** Put the key facts of a key resource into its unknown identifiers so references to
 * `cmek_kms_key.k.arn` carry region and provider before the key exists. */
function withKeyFacts(rt: ResourceType, after: Attrs, address: string): Attrs {
  if (!rt.keyFacts) return after;
  const facts = rt.keyFacts(after, address);
  if (!facts) return after;
  const out = { ...after };
  for (const k of ['arn', 'id', 'key_id']) {
    const v = out[k];
    if (v instanceof Unknown)
      out[k] = new Unknown({ ...v.facts, ...facts, address: facts.address ?? address });
  }
  return out;
}

export interface InstancePlan {
  action: Exclude<ChangeAction, 'forget'>;
  after: Attrs;
  replacePaths: string[][];
  notes?: Record<string, string>;
}

/** Decide the action for one instance given evaluated config and prior attributes. */
export function diffInstance(
  rt: ResourceType,
  config: Attrs,
  prior: Attrs | undefined,
  ignore: string[] | 'all',
  address: string,
  referenced?: PlanInput['referenced'],
): InstancePlan {
  const effective = applyIgnoreChanges(config, prior, ignore);
  const planned = rt.plan({
    config: effective,
    ...(prior ? { prior } : {}),
    ...(referenced && Object.keys(referenced).length ? { referenced } : {}),
  });
  const after = withKeyFacts(rt, planned.after, address);
  const notes = planned.notes && Object.keys(planned.notes).length ? planned.notes : undefined;
  if (!prior) return { action: 'create', after, replacePaths: [], ...(notes ? { notes } : {}) };
  const changed = new Set<string>();
  for (const k of new Set([...Object.keys(after), ...Object.keys(prior)])) {
    if (!sameValue(after[k], prior[k])) changed.add(k);
  }
  if (!changed.size) return { action: 'noop', after, replacePaths: [] };
  const replace = new Set(planned.requiresReplace);
  for (const k of rt.forceNew) if (changed.has(k) && k in effective) replace.add(k);
  const replacePaths = [...replace].sort().map((k) => [k]);
  return {
    action: replace.size ? 'replace' : 'update',
    after,
    replacePaths,
    ...(notes ? { notes } : {}),
  };
}
