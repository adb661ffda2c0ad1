// Terraform's JSON plan and state representations (`terraform show -json`, format 0.1 to 1.x;
// also `cmek plan -json`) → one `PolicyResource` per managed resource. Unknown values are read
// from `after_unknown`; which resource an unknown value points at comes from the configuration's
// expression `references`, so a key created in the same plan keeps its region. An unknown value
// the configuration does not write is computed by the provider (`master_instance_name` of a
// primary, the default `kms_key_id` of RDS) and is left out. The region of each resource's
// provider configuration (aliases and module inheritance included) is resolved from
// `provider_config`, reading variables from the plan's `variables`.

import { UNKNOWN, Unknown, type Attrs, type Value } from '../model/values.js';
import type { Action } from '../rules/index.js';
import type { PolicyResource } from './types.js';

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a parsed JSON document is a plan or state representation. */
export function isPlanOrState(doc: Json): 'plan' | 'state' | undefined {
  if (!isObj(doc)) return undefined;
  if (Array.isArray(doc.resource_changes) || isObj(doc.planned_values)) return 'plan';
  if (isObj(doc.values) && typeof doc.format_version === 'string') return 'state';
  if (typeof doc.format_version === 'string' && typeof doc.terraform_version === 'string')
    return 'state'; // an empty state: `terraform show -json` of nothing
  return undefined;
}

function action(actions: Json): Action | undefined {
  if (!Array.isArray(actions)) return undefined;
  const a = actions.join(',');
  switch (a) {
    case 'no-op':
      return 'noop';
    case 'create':
      return 'create';
    case 'update':
      return 'update';
    case 'delete':
      return 'delete';
    case 'delete,create':
    case 'create,delete':
      return 'replace';
    case 'forget':
    case 'delete,forget':
      return 'noop'; // leaves the real object alone
    default:
      return undefined; // read (data sources) and anything newer
  }
}

/** `module.a[0].module.b` → `a.b` (the configuration's module-call path). */
function callPath(moduleAddress: string | undefined): string {
  if (!moduleAddress) return '';
  return [...moduleAddress.matchAll(/module\.([\w-]+)/g)].map((m) => m[1]).join('.');
}

interface ConfigResource {
  /** Attribute path (nested blocks joined by `.`) → the first resource it references. */
  refs: Record<string, string>;
  /** Attribute paths written in the configuration. */
  written: Set<string>;
  providerKey?: string;
}

/** Flatten a configuration `expressions` object into written paths and resource refs. */
function flattenExpressions(
  exprs: Json,
  prefix: string,
  modulePrefix: string,
  into: ConfigResource,
): void {
  if (!isObj(exprs)) return;
  for (const [k, e] of Object.entries(exprs)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const blocks = Array.isArray(e) ? e : [e];
    for (const b of blocks) {
      if (!isObj(b)) continue;
      if ('constant_value' in b || 'references' in b) {
        into.written.add(path);
        const ref = resourceRef(b.references, modulePrefix);
        if (ref !== undefined && into.refs[path] === undefined) into.refs[path] = ref;
      } else {
        into.written.add(path);
        flattenExpressions(b, path, modulePrefix, into);
      }
    }
  }
}

/** The first reference that names a managed resource, as an address in the plan's terms. */
function resourceRef(refs: Json, modulePrefix: string): string | undefined {
  if (!Array.isArray(refs)) return undefined;
  for (const r of refs) {
    if (typeof r !== 'string') continue;
    if (/^(var|local|each|count|path|terraform|module|data|self)\./.test(r)) continue;
    const m = /^[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?/.exec(r);
    if (m) return modulePrefix + m[0];
  }
  return undefined;
}

interface ConfigIndex {
  resources: Map<string, ConfigResource>;
  providerRegion(key: string | undefined, providerName: string | undefined): string | undefined;
  present: boolean;
}

function indexConfiguration(doc: Obj): ConfigIndex {
  const resources = new Map<string, ConfigResource>();
  const conf = isObj(doc.configuration) ? doc.configuration : undefined;
  const vars = isObj(doc.variables) ? doc.variables : {};
  const varValue = (name: string): string | undefined => {
    const v = vars[name];
    return isObj(v) && typeof v.value === 'string' ? v.value : undefined;
  };
  const walk = (mod: Json, path: string, modulePrefix: string): void => {
    if (!isObj(mod)) return;
    for (const r of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isObj(r) || r.mode === 'data' || typeof r.address !== 'string') continue;
      const cr: ConfigResource = { refs: {}, written: new Set() };
      if (typeof r.provider_config_key === 'string') cr.providerKey = r.provider_config_key;
      flattenExpressions(r.expressions, '', modulePrefix, cr);
      const local = r.address.replace(/^(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*/, '');
      resources.set(`${path}|${local}`, cr);
    }
    const calls = isObj(mod.module_calls) ? mod.module_calls : {};
    for (const [name, call] of Object.entries(calls)) {
      if (!isObj(call)) continue;
      walk(call.module, path ? `${path}.${name}` : name, `${modulePrefix}module.${name}.`);
    }
  };
  if (conf) walk(conf.root_module, '', '');
  const providers = conf && isObj(conf.provider_config) ? conf.provider_config : {};
  const regionOf = (p: Json): string | undefined => {
    if (!isObj(p) || !isObj(p.expressions)) return undefined;
    const e = p.expressions.region;
    if (!isObj(e)) return undefined;
    if (typeof e.constant_value === 'string') return e.constant_value;
    const ref = Array.isArray(e.references)
      ? e.references.find((x) => typeof x === 'string')
      : undefined;
    const m = typeof ref === 'string' ? /^var\.([\w-]+)$/.exec(ref) : null;
    return m ? varValue(m[1]!) : undefined;
  };
  return {
    resources,
    present: conf !== undefined,
    providerRegion(key, providerName) {
      if (key !== undefined) {
        if (key in providers) return regionOf(providers[key]);
        const bare = key.includes(':') ? key.slice(key.lastIndexOf(':') + 1) : key;
        if (bare in providers) return regionOf(providers[bare]);
      }
      // No key (state, old formats): the default configuration of the resource's provider.
      const short = providerName?.split('/').pop();
      return short !== undefined && short in providers ? regionOf(providers[short]) : undefined;
    },
  };
}

/** Merge `after` with its `after_unknown` mask. Unknown leaves become Unknown values (with the
 * referenced address when the configuration names one); unknown leaves the configuration does
 * not write are computed defaults and are left out. */
function withUnknowns(
  after: Json,
  mask: Json,
  path: string,
  cr: ConfigResource | undefined,
  configPresent: boolean,
): Value | undefined {
  if (mask === true) {
    const ref = cr?.refs[path];
    if (ref !== undefined) return new Unknown({ address: ref });
    if (configPresent && cr !== undefined && !cr.written.has(path) && after == null)
      return undefined;
    return UNKNOWN;
  }
  if (Array.isArray(after)) {
    const m = Array.isArray(mask) ? mask : [];
    return after.map((x, i) => withUnknowns(x, m[i], path, cr, configPresent) ?? null);
  }
  if (isObj(after) || isObj(mask)) {
    const a = isObj(after) ? after : {};
    const m = isObj(mask) ? mask : {};
    const out: Record<string, Value> = {};
    for (const k of new Set([...Object.keys(a), ...Object.keys(m)])) {
      const v = withUnknowns(a[k], m[k], path ? `${path}.${k}` : k, cr, configPresent);
      if (v !== undefined) out[k] = v;
    }
    if (after === null && Object.keys(out).length === 0) return null;
    return out;
  }
  return after === undefined ? undefined : (after as Value);
}

function attrs(v: Value | undefined): Attrs | null {
  return v !== null &&
    v !== undefined &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !(v instanceof Unknown)
    ? (v as Attrs)
    : null;
}

/** Every managed resource of a plan or state document. */
export function planResources(doc: Obj): PolicyResource[] {
  const cfg = indexConfiguration(doc);
  const out: PolicyResource[] = [];
  const configOf = (moduleAddress: string | undefined, type: string, name: string) =>
    cfg.resources.get(`${callPath(moduleAddress)}|${type}.${name}`);
  const moduleOf = (address: string): string | undefined =>
    /^((?:module\.[\w-]+(?:\[[^\]]*\])?\.)*)/.exec(address)?.[1]?.replace(/\.$/, '') || undefined;

  if (Array.isArray(doc.resource_changes)) {
    for (const rc of doc.resource_changes) {
      if (!isObj(rc) || rc.mode === 'data' || !isObj(rc.change)) continue;
      const { address, type, name } = rc;
      if (typeof address !== 'string' || typeof type !== 'string' || typeof name !== 'string')
        continue;
      const act = action(rc.change.actions);
      if (act === undefined) continue;
      const mod = typeof rc.module_address === 'string' ? rc.module_address : moduleOf(address);
      const cr = configOf(mod, type, name);
      const before = attrs(rc.change.before as Value);
      const after =
        act === 'delete'
          ? null
          : attrs(withUnknowns(rc.change.after, rc.change.after_unknown, '', cr, cfg.present));
      const r: PolicyResource = { address, type, action: act, before, after };
      if (cr && Object.keys(cr.refs).length) r.refs = { ...cr.refs };
      const region = cfg.providerRegion(
        cr?.providerKey,
        typeof rc.provider_name === 'string' ? rc.provider_name : undefined,
      );
      if (region !== undefined) r.providerRegion = region;
      out.push(r);
    }
    return out;
  }
  // A state (or a plan without resource_changes): every resource as it is, unchanged.
  const root = isObj(doc.values)
    ? doc.values.root_module
    : isObj(doc.planned_values)
      ? doc.planned_values.root_module
      : undefined;
  const walk = (mod: Json): void => {
    if (!isObj(mod)) return;
    for (const res of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isObj(res) || res.mode === 'data') continue;
      const { address, type, name } = res;
      if (typeof address !== 'string' || typeof type !== 'string' || typeof name !== 'string')
        continue;
      const values = attrs(res.values as Value) ?? {};
      const r: PolicyResource = { address, type, action: 'noop', before: values, after: values };
      const cr = configOf(moduleOf(address), type, name);
      if (cr && Object.keys(cr.refs).length) r.refs = { ...cr.refs };
      const region = cfg.providerRegion(
        cr?.providerKey,
        typeof res.provider_name === 'string' ? res.provider_name : undefined,
      );
      if (region !== undefined) r.providerRegion = region;
      out.push(r);
    }
    for (const c of Array.isArray(mod.child_modules) ? mod.child_modules : []) walk(c);
  };
  walk(root);
  return out;
}

/** A function from a resource address to the 1-based line where the JSON text first names it
 * (`"address": "..."`), built lazily on first use. */
export function addressLines(text: string): (address: string) => number | undefined {
  let index: Map<string, number> | undefined;
  return (address) => {
    if (!index) {
      index = new Map();
      const re = /"address"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
      let line = 1;
      let last = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        for (let i = last; i < m.index; i++) if (text.charCodeAt(i) === 10) line++;
        last = m.index;
        let a: string;
        try {
          a = JSON.parse(`"${m[1]}"`) as string;
        } catch {
          continue;
        }
        if (!index.has(a)) index.set(a, line);
      }
    }
    return index.get(address);
  };
}
