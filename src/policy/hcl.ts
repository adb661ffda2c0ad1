// `.tf` / `.tf.json` configurations (and cdktf stack directories) → `PolicyResource`s, through
// the engine's config loader with foreign resource types allowed. Every resource is taken as
// created by the plan. Expressions are evaluated with variables at their defaults; a variable
// without a default, a resource attribute and anything depending on them is unknown, and an
// unknown value that references a resource keeps that resource's address, so the rules still
// link keys, rings and parents. Positions give file:line for every finding. Local module calls
// are followed (the loader has read them): a module's resources get its address
// (`module.a.TYPE.NAME`), its variables the call's arguments; remote calls get a note.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withModule } from '../model/address.js';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import {
  isUnknown,
  stripMarks,
  UNKNOWN,
  Unknown,
  type Attrs,
  type Value,
} from '../model/values.js';
import { loadConfig } from '../engine/config/index.js';
import type { Config, EvalScope, Expr, SourcePos } from '../engine/config/index.js';
import type { PolicyResource } from './types.js';
import { commentSkips } from './suppress.js';
import { FOREIGN_ROLES } from '../rules/index.js';

/** A resource reference as an address (`google_kms_crypto_key.key`). */
function firstResourceRef(e: Expr): string | undefined {
  for (const r of e.references) {
    if (r.kind === 'resource') return `${r.resource.type}.${r.resource.name}`;
  }
  return undefined;
}

/** Replace unknown leaves by Unknowns that carry `ref`, and record the paths they are at. */
function linkUnknowns(
  v: Value,
  ref: string | undefined,
  path: string,
  refs: Record<string, string>,
): Value {
  if (isUnknown(v)) {
    // An unknown that came in through a module variable already names its resource.
    const carried = v instanceof Unknown ? v.facts?.address : undefined;
    if (ref === undefined && carried !== undefined) refs[path] ??= carried;
    if (ref === undefined) return v;
    refs[path] ??= ref;
    return new Unknown({ address: ref });
  }
  if (Array.isArray(v)) return v.map((x) => linkUnknowns(x, ref, path, refs));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v))
      out[k] = linkUnknowns(x as Value, ref, `${path}.${k}`, refs);
    return out;
  }
  return v;
}

/** One module's scope and those of the local modules it calls (made on demand, once). */
interface ModuleScope {
  scope: EvalScope;
  child(name: string): ModuleScope | undefined;
}

/** The scope of one module (at address `prefix`): variables at the call's argument values
 * (`inputs`, a child module) or their defaults, locals evaluated on demand, and
 * `module.NAME.OUTPUT` read from the child's outputs; an unknown value keeps the address of the
 * resource it comes from, across modules too. */
function makeScope(config: Config, prefix = '', inputs?: ReadonlyMap<string, Value>): ModuleScope {
  const children = new Map<string, ModuleScope>();
  const outputs = new Map<string, Record<string, Value>>();
  const child = (name: string): ModuleScope | undefined => {
    if (children.has(name)) return children.get(name);
    const call = (config.modules ?? []).find((m) => m.name === name);
    if (!call) return undefined;
    const args = new Map<string, Value>();
    for (const [arg, e] of Object.entries(call.args)) {
      const ref = firstResourceRef(e);
      args.set(arg, linkUnknowns(evaluate(e, scope), ref && withModule(prefix, ref), arg, {}));
    }
    const made = makeScope(call.config, withModule(prefix, `module.${name}`), args);
    children.set(name, made);
    return made;
  };
  const outputsOf = (name: string): Record<string, Value> | undefined => {
    if (outputs.has(name)) return outputs.get(name);
    const c = child(name);
    const call = (config.modules ?? []).find((m) => m.name === name);
    if (!c || !call) return undefined;
    const out: Record<string, Value> = {};
    outputs.set(name, out); // a cycle reads what is there so far
    for (const o of call.config.outputs) {
      const ref = firstResourceRef(o.value);
      const at = ref && withModule(withModule(prefix, `module.${name}`), ref);
      out[o.name] = linkUnknowns(evaluate(o.value, c.scope), at, o.name, {});
    }
    return out;
  };
  const vars = new Map(config.variables.map((v) => [v.name, v] as const));
  const locals = new Map(config.locals.map((l) => [l.name, l] as const));
  const localValues = new Map<string, Value>();
  const inProgress = new Set<string>();
  const scope: EvalScope = {
    baseDir: config.dir,
    lookup(root) {
      if (root.startsWith('var.')) {
        const input = inputs?.get(root.slice(4));
        if (input !== undefined && input !== null) return input;
        const v = vars.get(root.slice(4));
        return v?.default !== undefined ? v.default : UNKNOWN;
      }
      if (root.startsWith('local.')) {
        const name = root.slice(6);
        if (localValues.has(name)) return localValues.get(name);
        const l = locals.get(name);
        if (!l || inProgress.has(name)) return UNKNOWN;
        inProgress.add(name);
        let v: Value;
        try {
          v = l.value.evaluate(scope);
        } catch {
          v = UNKNOWN;
        }
        inProgress.delete(name);
        localValues.set(name, v);
        return v;
      }
      if (root === 'count.index') return 0;
      if (root.startsWith('module.')) {
        const [name, output] = root.slice(7).split('.');
        const outs = outputsOf(name!);
        if (outs) return output === undefined ? outs : (outs[output] ?? UNKNOWN);
      }
      return UNKNOWN; // resources, each.*, data sources: known after apply
    },
  };
  return { scope, child };
}

function evaluate(e: Expr, scope: EvalScope): Value {
  try {
    return stripMarks(e.evaluate(scope));
  } catch {
    return UNKNOWN; // an error in a foreign configuration is not ours to report
  }
}

/** The region of each provider configuration (`aws`, `aws.region2`). */
function providerRegions(config: Config, scope: EvalScope): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of config.foreignProviders ?? []) {
    const alias = p.attributes.alias ? evaluate(p.attributes.alias, scope) : undefined;
    const key = typeof alias === 'string' ? `${p.name}.${alias}` : p.name;
    const region = p.attributes.region ? evaluate(p.attributes.region, scope) : undefined;
    if (typeof region === 'string') out.set(key, region);
  }
  return out;
}

export interface HclLoad {
  resources: PolicyResource[];
  notes: Diagnostic[];
  /** Loader errors that make the input unusable (syntax errors). */
  errors: Diagnostic[];
}

/** Load a configuration directory, one .tf/.tf.json file, or `files` of a directory. */
export async function hclResources(dir: string, files?: string[]): Promise<HclLoad> {
  const loaded = await loadConfig(dir, {
    unsupportedSeverity: 'warning',
    ...(files ? { files } : {}),
  });
  const errors = loaded.diagnostics.filter(
    (d) => d.severity === 'error' && (d.code === 'CONFIG_SYNTAX' || d.code === 'IO_ERROR'),
  );
  const config = loaded.config;
  const notes: Diagnostic[] = [];
  // Remote module calls (reported by the loader at their source line) are not followed; local
  // ones are, below, through the modules the loader read (config.modules).
  const modules: Array<{ file?: string; line?: number }> = loaded.diagnostics.filter(
    (d) =>
      d.code === 'CONFIG_UNSUPPORTED' &&
      (d.address ?? '').startsWith('module.') &&
      d.summary.startsWith('The module source '),
  );
  for (const m of modules)
    notes.push({
      ...diag(
        'CONFIG_UNSUPPORTED',
        'A module call is not followed',
        'The resources inside a remote module are not checked from .tf files (cmek downloads ' +
          'nothing); check the plan instead (terraform show -json PLANFILE), which includes them.',
        {
          ...(m.file !== undefined ? { file: m.file } : {}),
          ...(m.line !== undefined ? { line: m.line } : {}),
        },
      ),
      severity: 'warning',
    });
  const root = makeScope(config);
  const regions = providerRegions(config, root.scope);
  const resources: PolicyResource[] = [];
  await moduleResources(config, '', root, regions, resources, notes);
  return { resources, notes, errors };
}

/** The resources of one module (the root, prefix '', or a child module `module.a.module.b`),
 * then of the local modules it calls, each with its variables set from the call's arguments.
 * A call with count / for_each is checked once, as `module.NAME`. */
async function moduleResources(
  config: Config,
  prefix: string,
  module: ModuleScope,
  regions: ReadonlyMap<string, string>,
  resources: PolicyResource[],
  notes: Diagnostic[],
): Promise<void> {
  const at = (address: string) => withModule(prefix, address);
  const scope = module.scope;
  const texts = new Map<string, string>();
  for (const f of config.files) {
    texts.set(f, await readFile(join(config.dir, f), 'utf8').catch(() => ''));
  }
  // Resource start lines per file, so a comment belongs to the block it is in or just above.
  const starts = new Map<string, number[]>();
  for (const r of config.resources) {
    const list = starts.get(r.pos.file) ?? [];
    list.push(r.pos.line);
    starts.set(r.pos.file, list);
  }
  for (const l of starts.values()) l.sort((a, b) => a - b);

  // Positions relative to the configuration directory → absolute (findings print them relative
  // to the working directory).
  const abs = (p: SourcePos): SourcePos => ({ ...p, file: join(config.dir, p.file) });
  for (const r of config.resources) {
    if (r.type.startsWith('data.')) continue;
    const after: Attrs = {};
    const refs: Record<string, string> = {};
    const attrPos: PolicyResource['attrPos'] = {};
    for (const [name, e] of Object.entries(r.attributes)) {
      const local = firstResourceRef(e);
      const ref = local === undefined ? undefined : at(local);
      after[name] = linkUnknowns(evaluate(e, scope), ref, name, refs);
      if (ref !== undefined) refs[name] ??= ref;
      attrPos[name] = abs(e.pos);
    }
    const providerKey = r.provider ?? r.type.split('_')[0]!;
    const res: PolicyResource = {
      address: at(r.address),
      type: r.type,
      action: 'create',
      before: null,
      after,
      pos: abs(r.pos),
      attrPos,
    };
    if (Object.keys(refs).length) res.refs = refs;
    // A key that depends on variables or functions of unknown values is not guessed: say so.
    const role = Object.prototype.hasOwnProperty.call(FOREIGN_ROLES, r.type)
      ? FOREIGN_ROLES[r.type]
      : undefined;
    const keyAttr =
      role && 'keyAttribute' in role && role.kind !== 'policy' && role.kind !== 'association'
        ? role.keyAttribute
        : undefined;
    if (keyAttr !== undefined && isUnknown(after[keyAttr]) && refs[keyAttr] === undefined) {
      notes.push({
        ...diag(
          'CONFIG_REFERENCE',
          `The key of ${at(r.address)} depends on variables and is not checked`,
          `${keyAttr} is computed from values not known without inputs (variables without a ` +
            'default, module inputs, for_each values). Check the plan (terraform show -json) instead.',
          { address: at(r.address), attribute: keyAttr, ...abs(r.attributes[keyAttr]!.pos) },
        ),
        severity: 'warning',
      });
    }
    const region = regions.get(providerKey);
    if (region !== undefined) res.providerRegion = region;
    const lines = starts.get(r.pos.file) ?? [];
    const next = lines.find((l) => l > r.pos.line);
    const skips = commentSkips(texts.get(r.pos.file) ?? '', r.pos.file, r.pos.line, next);
    if (skips.length) res.skips = skips;
    resources.push(res);
  }
  for (const call of config.modules ?? []) {
    const child = module.child(call.name);
    if (child)
      await moduleResources(
        call.config,
        at(`module.${call.name}`),
        child,
        regions,
        resources,
        notes,
      );
  }
}
