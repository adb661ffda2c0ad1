// The planner: configuration + prior state → a Plan value. It walks the dependency graph once,
// evaluating each resource instance (unknown values flow through references carrying the key
// facts known at plan time), validates it against its type's schema, asks the type for the
// proposed new attributes, decides the action, then runs the CMEK rules over the whole plan.
// Every problem is collected as a diagnostic; nothing is thrown for user errors.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKeyRef } from '../model/key-ref.js';
import { diag, DiagnosticError, hasErrors, type Diagnostic } from '../model/diagnostics.js';
import type { Attrs, ProviderContext, ProviderSettings, ResourceType } from '../resources/types.js';
import type { KeyView } from '../rules/model.js';
import type { Config, EvalScope, ResourceBlock, SourcePos } from './config/types.js';
import type { EngineDeps, RuleAdapterOptions, RuleChange } from './deps.js';
import { formatAddress, refRoot } from '../model/address.js';
import { buildGraph, resourceDependencies, type Graph } from './graph.js';
import { validateAttributes } from './schema.js';
import { entryKey, stateInstances, type InstanceEntry, type StateFile } from './state.js';
import { mapLimit, errorMessage } from './util.js';
import { Unknown, containsUnknown, unknownMask, type Value } from '../model/values.js';

export const PLAN_FORMAT_VERSION = 1;

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'noop';

export type ActionReason =
  | 'replace_because_cannot_update'
  | 'replace_because_tainted'
  | 'delete_because_no_resource_config'
  | 'delete_because_count_index'
  | 'delete_because_no_resource_config_destroy_mode';

export interface PlannedChange {
  /** Instance address: `TYPE.NAME` or `TYPE.NAME[i]`. */
  address: string;
  /** Block address `TYPE.NAME`. */
  block: string;
  type: string;
  name: string;
  index?: number;
  /** Set when this deletes a deposed object (the old half of an interrupted
   * create_before_destroy replacement). */
  deposed?: string;
  /** Index the object had in the state when `count` was added (`x` → `x[0]`) or removed
   * (`x[0]` → `x`): Terraform moves it instead of replacing it. null = it had no index. */
  movedFromIndex?: number | null;
  action: ChangeAction;
  /** Prior attributes (after refresh), null on create. */
  before: Attrs | null;
  /** Proposed attributes, null on delete. In memory it may hold Unknown; serialized, unknown
   * places are null and listed in `afterUnknown`. */
  after: Attrs | null;
  afterUnknown: boolean | Record<string, unknown> | unknown[];
  /** Attribute paths that force replacement (Terraform's replace_paths). */
  replacePaths: string[][];
  actionReason?: ActionReason;
  /** Reasons for notable changes per attribute (rotations and the like). */
  notes?: Record<string, string>;
  /** Resource blocks this instance depends on (from the configuration, or from state for
   * resources no longer configured). */
  dependencies: string[];
  createBeforeDestroy: boolean;
  preventDestroy: boolean;
  /** Where the block is (absent for resources only in state). */
  pos?: SourcePos;
}

export interface DriftEntry {
  address: string;
  block: string;
  type: string;
  name: string;
  index?: number;
  action: 'update' | 'delete';
  before: Attrs;
  after: Attrs | null;
}

export interface OutputChange {
  action: 'create' | 'update' | 'delete' | 'noop';
  before: Value | null;
  after: Value | null;
  afterUnknown: boolean;
  sensitive: boolean;
}

export interface Plan {
  cmek_plan_format: typeof PLAN_FORMAT_VERSION;
  createdAt: string;
  mode: 'normal' | 'destroy';
  refresh: boolean;
  /** Variable values the plan was made with; apply re-evaluates with the same ones. */
  variables: Record<string, Value>;
  /** sha256 over the configuration files: applying a plan after the configuration changed
   * would apply something nobody reviewed. */
  configDigest: string;
  /** Lineage and serial of the state the plan was made against (null: no state yet). */
  prior: { lineage: string; serial: number } | null;
  /** The prior state after refresh (what apply starts from). */
  priorState: StateFile | null;
  changes: PlannedChange[];
  drift: DriftEntry[];
  outputChanges: Record<string, OutputChange>;
  diagnostics: Diagnostic[];
  errored: boolean;
}

export interface PlanOptions {
  deps: EngineDeps;
  /** Destroy everything in state (`plan -destroy`, `cmek destroy`). */
  destroy?: boolean;
  /** Read every resource in state first and report drift (default true). */
  refresh?: boolean;
  /** `-var K=V` values (strings, parsed by the variable resolver). */
  cliVars?: Record<string, string>;
  /** Environment for TF_VAR_*; default process.env. */
  env?: Record<string, string | undefined>;
  /** Variable values already resolved (apply of a saved plan). Takes precedence over cliVars. */
  variables?: Record<string, Value>;
  /** A provider context to reuse (refresh and key lookups need one). Created lazily otherwise. */
  ctx?: ProviderContext;
  /** Bound for parallel refresh reads. Default 10. */
  parallelism?: number;
  /** `cmek validate`: variables may be unknown, so a count that is unknown plans no instances
   * instead of being an error. */
  validateOnly?: boolean;
}

/** What the planner needs besides the config: the prior state (already loaded, unlocked reads
 * are the caller's business) and the provider settings. */
export interface PlanInputs {
  config: Config;
  state: StateFile | null;
  settings: ProviderSettings;
}

export function configDigest(config: Config): string {
  const h = createHash('sha256');
  for (const f of [...config.files].sort()) {
    h.update(f);
    h.update('\0');
    try {
      h.update(readFileSync(join(config.dir, f)));
    } catch {
      h.update('(unreadable)');
    }
    h.update('\0');
  }
  return h.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Evaluation scope

/** Values visible to expressions: variables, evaluated locals, resource objects (an object per
 * block, or a list of objects for blocks with count). */
export interface EvalEnv {
  vars: Record<string, Value>;
  locals: Map<string, Value>;
  resources: Map<string, Value>;
  baseDir: string;
}

export function makeScope(env: EvalEnv, countIndex?: number): EvalScope {
  return {
    baseDir: env.baseDir,
    lookup(root: string): Value | undefined {
      if (root === 'count.index') return countIndex;
      if (root.startsWith('var.')) {
        const name = root.slice(4);
        return Object.prototype.hasOwnProperty.call(env.vars, name) ? env.vars[name] : undefined;
      }
      if (root.startsWith('local.')) return env.locals.get(root.slice(6));
      return env.resources.get(root);
    },
  };
}

/** Evaluate an expression, turning a DiagnosticError into diagnostics. */
export function evalExpr(
  expr: { evaluate(scope: EvalScope): Value },
  scope: EvalScope,
  diags: Diagnostic[],
): Value | undefined {
  try {
    return expr.evaluate(scope);
  } catch (e) {
    if (e instanceof DiagnosticError) {
      diags.push(...e.diagnostics);
      return undefined;
    }
    throw e;
  }
}

export function attrPositions(block: ResourceBlock): Record<string, SourcePos> {
  const out: Record<string, SourcePos> = {};
  for (const [k, e] of Object.entries(block.attributes)) out[k] = e.pos;
  return out;
}

/** Attribute → address of the resource (instance) its expression reads; for the rules. */
export function attrRefs(
  block: ResourceBlock,
  index: number | undefined,
  countBlocks: Set<string>,
  values?: Attrs,
  blockValue?: (key: string) => Value | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attr, e] of Object.entries(block.attributes)) {
    for (const ref of e.refs) {
      const root = refRoot(ref);
      if (root.kind !== 'resource') continue;
      if (typeof root.index === 'number') out[attr] = `${root.key}[${root.index}]`;
      else if (root.index === 'count.index' && index !== undefined)
        out[attr] = `${root.key}[${index}]`;
      else if (countBlocks.has(root.key))
        out[attr] = instanceOf(root.key, values?.[attr], blockValue?.(root.key)) ?? root.key;
      else out[attr] = root.key;
      break;
    }
  }
  return out;
}

/** Which instance of a counted block an attribute's value came from (the loader reports
 * references by block, `cmek_kms_key.k`, whatever the index expression): an unknown value
 * carries its key's instance address; a known one is found among the instances' values. */
function instanceOf(
  key: string,
  v: Value | undefined,
  list: Value | undefined,
): string | undefined {
  if (v instanceof Unknown) {
    const a = v.facts?.address;
    return a && a.startsWith(`${key}[`) ? a : undefined;
  }
  if (typeof v !== 'string' || !Array.isArray(list)) return undefined;
  const i = valueIndex(list).get(v);
  return i !== undefined && i >= 0 ? `${key}[${i}]` : undefined;
}

// String attribute value → instance index, per counted block's value list, built once: with
// thousands of instances a scan per reference would be quadratic.
const valueIndexes = new WeakMap<Value[], Map<string, number>>();
function valueIndex(list: Value[]): Map<string, number> {
  let m = valueIndexes.get(list);
  if (m) return m;
  m = new Map();
  list.forEach((inst, i) => {
    if (inst === null || typeof inst !== 'object' || inst instanceof Unknown || Array.isArray(inst))
      return;
    // A value several instances share (a region) identifies none of them: -1.
    for (const x of Object.values(inst)) {
      if (typeof x === 'string') m!.set(x, m!.has(x) && m!.get(x) !== i ? -1 : i);
    }
  });
  valueIndexes.set(list, m);
  return m;
}

/** Evaluate a block's attributes for one instance; nulls mean "not set" as in Terraform. */
export function evaluateAttributes(
  block: ResourceBlock,
  scope: EvalScope,
  diags: Diagnostic[],
): Attrs | undefined {
  const attrs: Attrs = {};
  let ok = true;
  for (const [k, e] of Object.entries(block.attributes)) {
    const before = diags.length;
    const v = evalExpr(e, scope, diags);
    if (v === undefined) {
      if (diags.length > before) ok = false;
      continue;
    }
    if (v !== null) attrs[k] = v;
  }
  return ok ? attrs : undefined;
}

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
  action: ChangeAction;
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
): InstancePlan {
  const effective = applyIgnoreChanges(config, prior, ignore);
  const planned = rt.plan(prior ? { config: effective, prior } : { config: effective });
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

// ---------------------------------------------------------------------------------------------
// The planner

export interface PlanResult {
  plan: Plan;
  graph?: Graph;
}

interface Work {
  config: Config;
  settings: ProviderSettings;
  deps: EngineDeps;
  diags: Diagnostic[];
}

/** Plan a loaded configuration against a prior state. */
export async function planConfig(inputs: PlanInputs, opts: PlanOptions): Promise<Plan> {
  const { config, settings } = inputs;
  const deps = opts.deps;
  const refresh = opts.refresh ?? true;
  const destroy = opts.destroy ?? false;
  const w: Work = { config, settings, deps, diags: [] };
  const plan: Plan = {
    cmek_plan_format: PLAN_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    mode: destroy ? 'destroy' : 'normal',
    refresh,
    variables: {},
    configDigest: configDigest(config),
    prior: inputs.state ? { lineage: inputs.state.lineage, serial: inputs.state.serial } : null,
    priorState: inputs.state,
    changes: [],
    drift: [],
    outputChanges: {},
    diagnostics: w.diags,
    errored: false,
  };

  // Variables.
  if (opts.variables) plan.variables = opts.variables;
  else {
    const vr = deps.resolveVariables(config, {
      cliVars: opts.cliVars ?? {},
      env: opts.env ?? process.env,
    });
    w.diags.push(...vr.diagnostics);
    plan.variables = vr.values;
  }

  // Unknown resource types and depends_on targets.
  const blocks = new Map(config.resources.map((b) => [b.address, b]));
  for (const b of config.resources) {
    if (!deps.resourceTypes[b.type]) {
      w.diags.push(
        diag(
          'CONFIG_UNSUPPORTED',
          `Unsupported resource type "${b.type}"`,
          `cmek manages ${Object.keys(deps.resourceTypes).sort().join(', ')}. Remove or rename the block.`,
          { address: b.address, file: b.pos.file, line: b.pos.line },
        ),
      );
    }
    for (const d of b.dependsOn) {
      const root = refRoot(d);
      if (root.kind !== 'resource' || !blocks.has(root.key)) {
        w.diags.push(
          diag(
            'CONFIG_REFERENCE',
            `Reference to undeclared resource "${d}" in depends_on`,
            'depends_on must name a resource block of this configuration (TYPE.NAME).',
            {
              address: b.address,
              attribute: 'depends_on',
              file: b.pos.file,
              line: b.pos.line,
            },
          ),
        );
      }
    }
  }

  const { graph, diagnostics: cycleDiags } = buildGraph(config);
  w.diags.push(...cycleDiags);
  if (hasErrors(w.diags)) return finish(plan);

  // Refresh.
  let ctx = opts.ctx;
  const getCtx = async () => (ctx ??= await deps.createProviderContext(settings));
  const allEntries = stateInstances(inputs.state);
  // Creates an interrupted apply recorded but never finished (see apply.ts): find the object
  // the create may have made (ResourceType.adopt), or plan it afresh.
  const pendingEntries = allEntries.filter((e) => e.instance.cmek_pending === 'create');
  const priorEntries = allEntries.filter((e) => e.instance.cmek_pending !== 'create');
  const refreshed = new Map<string, Attrs | null>();
  for (const e of pendingEntries) {
    const rt = deps.resourceTypes[e.type];
    let found: Attrs | null = null;
    if (refresh && rt?.adopt) {
      try {
        found = await rt.adopt(e.instance.attributes, await getCtx());
      } catch (err) {
        w.diags.push(interruptedWarning(e.address, `looking for it failed: ${errorMessage(err)}`));
      }
      if (found)
        w.diags.push(
          interruptedWarning(
            e.address,
            `found it${typeof found.id === 'string' ? ` (id ${found.id})` : ''} and recorded it again`,
          ),
        );
    } else {
      w.diags.push(
        interruptedWarning(
          e.address,
          refresh
            ? `cmek cannot look for an object it may have made (${e.type} has no adopt); if one exists, it is not managed — check and delete it`
            : 'with -refresh=false it is planned as new; run plan with refresh to look for the object the create may have made',
        ),
      );
    }
    refreshed.set(entryKey(e), found);
  }
  if (refresh && priorEntries.length) {
    const c = await getCtx();
    const read = await refreshInstances(priorEntries, deps, c, opts.parallelism ?? 10, w.diags);
    for (const [k, v] of read) refreshed.set(k, v);
    for (const e of priorEntries) {
      const now = refreshed.get(entryKey(e));
      if (now === undefined) continue;
      if (now === null || !sameValue(now, e.instance.attributes)) {
        plan.drift.push({
          address: e.address,
          block: e.block,
          type: e.type,
          name: e.name,
          ...(e.index !== undefined ? { index: e.index } : {}),
          action: now === null ? 'delete' : 'update',
          before: e.instance.attributes,
          after: now,
        });
      }
    }
  }
  if (refreshed.size) plan.priorState = refreshedState(inputs.state!, refreshed);
  const priorByAddr = new Map<string, InstanceEntry>();
  for (const e of stateInstances(plan.priorState)) if (!e.deposed) priorByAddr.set(e.address, e);

  // Walk the graph.
  const env: EvalEnv = {
    vars: plan.variables,
    locals: new Map(),
    resources: new Map(),
    baseDir: config.dir,
  };
  const countBlocks = new Set(config.resources.filter((b) => b.count).map((b) => b.address));
  const planned = new Set<string>();
  const ruleChanges: RuleChange[] = [];
  const localsByName = new Map(config.locals.map((l) => [l.name, l]));
  const outputsByName = new Map(config.outputs.map((o) => [o.name, o]));

  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    if (node.kind === 'local') {
      const l = localsByName.get(id.slice(6))!;
      const v = evalExpr(l.value, makeScope(env), w.diags);
      env.locals.set(l.name, v === undefined ? new Unknown() : v);
      continue;
    }
    if (node.kind === 'output') continue; // after resources, below
    const block = blocks.get(id)!;
    const rt = deps.resourceTypes[block.type];
    if (destroy || !rt) {
      env.resources.set(id, new Unknown());
      continue;
    }
    const dependencies = resourceDependencies(graph, id);
    const instances = instanceIndexes(block, env, w.diags, opts.validateOnly ?? false);
    if (instances === undefined) {
      env.resources.set(id, new Unknown());
      // Keep existing instances untouched rather than planning their deletion on an error.
      for (const e of priorEntries) if (e.block === id) planned.add(e.address);
      continue;
    }
    const values: Value[] = [];
    const attrPos = attrPositions(block);
    for (const index of instances) {
      const address = formatAddress(block.type, block.name, index);
      planned.add(address);
      const scope = makeScope(env, index);
      const before = w.diags.length;
      const evaluated = evaluateAttributes(block, scope, w.diags);
      const schemaDiags = evaluated
        ? validateAttributes(rt, evaluated, address, attrPos, block.pos)
        : [];
      w.diags.push(...schemaDiags);
      let priorEntry = priorByAddr.get(address);
      // Adding or removing `count` moves the single object rather than replacing it.
      let movedFromIndex: number | null | undefined;
      if (!priorEntry && index === undefined && priorByAddr.has(`${id}[0]`)) {
        priorEntry = priorByAddr.get(`${id}[0]`);
        movedFromIndex = 0;
      } else if (!priorEntry && index === 0 && priorByAddr.has(id)) {
        priorEntry = priorByAddr.get(id);
        movedFromIndex = null;
      }
      if (movedFromIndex !== undefined) planned.add(priorEntry!.address);
      const prior = priorEntry?.instance.attributes;
      if (!evaluated || (w.diags.length > before && hasErrors(w.diags.slice(before)))) {
        values.push(new Unknown());
        continue;
      }
      let ip: InstancePlan;
      try {
        ip = diffInstance(rt, evaluated, prior, block.lifecycle.ignoreChanges, address);
      } catch (e) {
        if (e instanceof DiagnosticError) {
          w.diags.push(
            ...e.diagnostics.map((d) => ({
              address,
              file: block.pos.file,
              line: block.pos.line,
              ...d,
            })),
          );
          values.push(new Unknown());
          continue;
        }
        throw e;
      }
      values.push(ip.after);
      const change: PlannedChange = {
        address,
        block: id,
        type: block.type,
        name: block.name,
        ...(index !== undefined ? { index } : {}),
        ...(movedFromIndex !== undefined ? { movedFromIndex } : {}),
        action: ip.action,
        before: prior ?? null,
        after: ip.after,
        afterUnknown: unknownMask(ip.after),
        replacePaths: ip.replacePaths,
        ...(ip.action === 'replace'
          ? { actionReason: 'replace_because_cannot_update' as const }
          : {}),
        ...(ip.notes ? { notes: ip.notes } : {}),
        dependencies,
        createBeforeDestroy: block.lifecycle.createBeforeDestroy,
        preventDestroy: block.lifecycle.preventDestroy,
        pos: block.pos,
      };
      plan.changes.push(change);
      ruleChanges.push({
        address,
        type: block.type,
        action: ip.action,
        before: prior ?? null,
        after: ip.after,
        pos: block.pos,
        attrPos,
        refs: attrRefs(block, index, countBlocks, ip.after, (k) => env.resources.get(k)),
      });
    }
    env.resources.set(id, block.count ? values : (values[0] ?? new Unknown()));
  }

  // Instances in state that the configuration no longer has (or all of them with -destroy).
  for (const e of stateInstances(plan.priorState)) {
    if (planned.has(e.address) && !e.deposed) continue;
    const block = blocks.get(e.block);
    const reason: ActionReason = destroy
      ? 'delete_because_no_resource_config_destroy_mode'
      : block
        ? 'delete_because_count_index'
        : 'delete_because_no_resource_config';
    const change: PlannedChange = {
      address: e.address,
      block: e.block,
      type: e.type,
      name: e.name,
      ...(e.index !== undefined ? { index: e.index } : {}),
      ...(e.deposed ? { deposed: e.deposed } : {}),
      action: 'delete',
      before: e.instance.attributes,
      after: null,
      afterUnknown: false,
      replacePaths: [],
      ...(destroy || e.deposed ? {} : { actionReason: reason }),
      dependencies: e.instance.dependencies ?? [],
      createBeforeDestroy: false,
      // A deposed object is already replaced: deleting it is finishing the replacement.
      preventDestroy: e.deposed
        ? false
        : block
          ? block.lifecycle.preventDestroy
          : (e.instance.prevent_destroy ?? false),
      ...(block ? { pos: block.pos } : {}),
    };
    if (destroy && block) change.dependencies = resourceDependencies(graph, e.block);
    plan.changes.push(change);
    if (e.deposed) continue; // the live object at this address is what the rules look at
    ruleChanges.push({
      address: e.address,
      type: e.type,
      action: 'delete',
      before: e.instance.attributes,
      after: null,
      ...(block ? { pos: block.pos, attrPos: attrPositions(block) } : {}),
    });
  }

  // prevent_destroy.
  for (const c of plan.changes) {
    if ((c.action === 'delete' || c.action === 'replace') && c.preventDestroy) {
      const fromState = !blocks.has(c.block);
      w.diags.push(
        diag(
          'PREVENT_DESTROY',
          `Instance cannot be destroyed: ${c.address} has lifecycle.prevent_destroy set`,
          (c.action === 'replace'
            ? `The plan would replace ${c.address} (${c.replacePaths.map((p) => p.join('.')).join(', ')} forces replacement), which destroys it. `
            : `The plan would destroy ${c.address}. `) +
            (fromState
              ? 'The block was removed from the configuration but the state still records prevent_destroy. To really destroy it, put the block back with prevent_destroy = false and apply, then remove it; or `cmek state rm` it to stop managing it.'
              : 'Set lifecycle { prevent_destroy = false } if you really mean to destroy it, or change the configuration so it is not destroyed.'),
          { address: c.address, ...(c.pos ? { file: c.pos.file, line: c.pos.line } : {}) },
        ),
      );
    }
  }

  // Plan-time checks against the real world (ResourceType.checkLive): a literal parent id
  // that names nothing is reported here, at its line, rather than failing the apply.
  if (refresh && !destroy) await checkLive(ruleChanges, deps, getCtx, w.diags);

  // Rules.
  if (ruleChanges.length) {
    const resolveKey = await keyResolver(
      plan.priorState,
      ruleChanges,
      deps,
      refresh ? getCtx : undefined,
    );
    const external = refresh ? await externalKeyUses(plan, deps, getCtx, resolveKey, w.diags) : [];
    const input = deps.cmekRuleInput(ruleChanges, {
      servicePrincipal: settings.servicePrincipal,
      resolveKey,
      ...ruleAccount(settings),
      ...(external.length ? { external } : {}),
    });
    w.diags.push(...deps.checkRules(input));
  }

  // Outputs (after resources: they read them).
  if (!destroy) {
    for (const id of graph.order) {
      if (!id.startsWith('output.')) continue;
      const o = outputsByName.get(id.slice(7))!;
      const v = evalExpr(o.value, makeScope(env), w.diags);
      const prior = inputs.state?.outputs?.[o.name];
      const after = v === undefined ? new Unknown() : v;
      const unknown = containsUnknown(after);
      const action = !prior
        ? 'create'
        : !unknown && sameValue(after, prior.value)
          ? 'noop'
          : 'update';
      plan.outputChanges[o.name] = {
        action,
        before: prior?.value ?? null,
        after,
        afterUnknown: unknown,
        sensitive: o.sensitive,
      };
    }
  }
  for (const [name, o] of Object.entries(inputs.state?.outputs ?? {})) {
    if (destroy || !outputsByName.has(name)) {
      plan.outputChanges[name] = {
        action: 'delete',
        before: o.value,
        after: null,
        afterUnknown: false,
        sensitive: o.sensitive ?? false,
      };
    }
  }
  return finish(plan);
}

function finish(plan: Plan): Plan {
  // One problem reported by two layers (loader and engine) should print once.
  const seen = new Set<string>();
  plan.diagnostics = plan.diagnostics.filter((d) => {
    const k = `${d.code}|${d.address ?? ''}|${d.attribute ?? ''}|${d.file ?? ''}|${d.line ?? ''}|${d.summary}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  plan.errored = hasErrors(plan.diagnostics);
  return plan;
}

/** The instance indexes of a block: [undefined] without count, 0..n-1 with it. */
function instanceIndexes(
  block: ResourceBlock,
  env: EvalEnv,
  diags: Diagnostic[],
  validateOnly = false,
): Array<number | undefined> | undefined {
  if (!block.count) return [undefined];
  const v = evalExpr(block.count, makeScope(env), diags);
  if (v === undefined) return undefined;
  if ((v instanceof Unknown || containsUnknown(v)) && validateOnly) return [];
  if (v instanceof Unknown || containsUnknown(v)) {
    diags.push(
      diag(
        'CONFIG_UNSUPPORTED',
        'Invalid count argument',
        'The count value depends on attributes that are known only after apply, so cmek cannot tell how many instances to plan. ' +
          'Use a value known at plan time (a literal, a variable or a local), or apply the resources it depends on first with -target-like staging.',
        {
          address: block.address,
          attribute: 'count',
          file: block.count.pos.file,
          line: block.count.pos.line,
        },
      ),
    );
    return undefined;
  }
  // Terraform converts a numeric string (an untyped -var) to a number for count.
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    diags.push(
      diag(
        'CONFIG_SCHEMA',
        'Invalid count argument',
        `Expected: a whole number >= 0.\nFound: ${JSON.stringify(v)}.`,
        {
          address: block.address,
          attribute: 'count',
          file: block.count.pos.file,
          line: block.count.pos.line,
        },
      ),
    );
    return undefined;
  }
  return Array.from({ length: n }, (_, i) => i);
}

async function refreshInstances(
  entries: InstanceEntry[],
  deps: EngineDeps,
  ctx: ProviderContext,
  parallelism: number,
  diags: Diagnostic[],
): Promise<Map<string, Attrs | null>> {
  const out = new Map<string, Attrs | null>();
  await mapLimit(entries, parallelism, async (e) => {
    const rt = deps.resourceTypes[e.type];
    if (!rt) return;
    try {
      out.set(entryKey(e), await rt.read(e.instance.attributes, ctx));
    } catch (err) {
      if (err instanceof DiagnosticError)
        diags.push(...err.diagnostics.map((d) => ({ address: e.address, ...d })));
      else
        diags.push(
          diag(
            'APPLY_FAILED',
            `Refreshing ${e.address} failed`,
            `${errorMessage(err)}\nRetry, or plan with -refresh=false to skip reading the real objects.`,
            {
              address: e.address,
            },
          ),
        );
    }
  });
  return out;
}

function interruptedWarning(address: string, what: string): Diagnostic {
  return diag(
    'APPLY_FAILED',
    `An earlier apply was interrupted while creating ${address}`,
    `The run stopped after the create call started and before its result was recorded: ${what}.`,
    { severity: 'warning', address },
  );
}

function refreshedState(state: StateFile, refreshed: Map<string, Attrs | null>): StateFile {
  const copy: StateFile = JSON.parse(JSON.stringify(state));
  for (const r of copy.resources) {
    r.instances = r.instances.filter((inst) => {
      const addr = formatAddress(
        r.type,
        r.name,
        typeof inst.index_key === 'number' ? inst.index_key : undefined,
      );
      const now = refreshed.get(
        entryKey({ address: addr, ...(inst.deposed ? { deposed: inst.deposed } : {}) }),
      );
      if (now === null) return false;
      if (now !== undefined) {
        inst.attributes = now;
        delete inst.cmek_pending;
      }
      return true;
    });
  }
  copy.resources = copy.resources.filter((r) => r.instances.length);
  return copy;
}

/** Facts about keys named by literal references: from state (by arn, key id or alias), and
 * with refresh on, from the KMS (describeKey), fetched up front because the rules are pure. */
async function keyResolver(
  state: StateFile | null,
  changes: RuleChange[],
  deps: EngineDeps,
  getCtx: (() => Promise<ProviderContext>) | undefined,
): Promise<(ref: string) => KeyView | undefined> {
  const known = new Map<string, KeyView>();
  for (const e of stateInstances(state)) {
    const rt = deps.resourceTypes[e.type];
    if (!rt?.keyFacts) continue;
    const a = e.instance.attributes;
    const facts = rt.keyFacts(a, e.address);
    for (const k of ['arn', 'key_id', 'id', 'alias']) {
      const v = a[k];
      if (typeof v === 'string' && v)
        known.set(v, {
          ref: v,
          address: e.address,
          ...(facts?.region ? { region: facts.region } : {}),
          ...(facts?.provider ? { provider: facts.provider } : {}),
        });
    }
  }
  if (getCtx) {
    const wanted = new Set<string>();
    for (const c of changes) {
      for (const v of Object.values(c.after ?? {})) {
        if (typeof v === 'string' && !known.has(v) && looksLikeKeyRef(v)) wanted.add(v);
      }
    }
    if (wanted.size) {
      const ctx = await getCtx();
      await mapLimit([...wanted], 10, async (ref) => {
        try {
          const m = await ctx.kms.describeKey(ref);
          known.set(ref, { ref, region: m.region, provider: m.provider });
        } catch {
          // Not found / no access: the rules that need facts report what they can from the
          // reference itself; the live check at apply says what is wrong with the key.
        }
      });
    }
  }
  return (ref) => known.get(ref);
}

/** Users of keys outside this state (services created by other configurations in the same
 * data directory), asked only when the plan deletes or replaces a key. */
async function externalKeyUses(
  plan: Plan,
  deps: EngineDeps,
  getCtx: () => Promise<ProviderContext>,
  resolveKey: (ref: string) => KeyView | undefined,
  diags: Diagnostic[],
): Promise<NonNullable<RuleAdapterOptions['external']>> {
  if (!deps.keyUses) return [];
  const dropsKey = plan.changes.some(
    (c) =>
      (c.action === 'delete' || c.action === 'replace') && deps.resourceTypes[c.type]?.keyFacts,
  );
  if (!dropsKey) return [];
  const ours = new Set<string>();
  for (const e of stateInstances(plan.priorState)) {
    if (typeof e.instance.attributes.id === 'string') ours.add(e.instance.attributes.id);
  }
  try {
    const uses = await deps.keyUses(await getCtx());
    return uses
      .filter((u) => !ours.has(u.id))
      .map((u) => ({
        description: u.description,
        key: { ref: u.keyRef, ...resolveKey(u.keyRef) },
      }));
  } catch (e) {
    diags.push(
      diag(
        'APPLY_FAILED',
        'Could not list the services that use keys',
        `${errorMessage(e)}\nThe plan could not check whether a key it deletes is used outside this configuration.`,
        { severity: 'warning' },
      ),
    );
    return [];
  }
}

async function checkLive(
  changes: RuleChange[],
  deps: EngineDeps,
  getCtx: () => Promise<ProviderContext>,
  diags: Diagnostic[],
): Promise<void> {
  const todo = changes.filter(
    (c) =>
      (c.action === 'create' || c.action === 'replace') &&
      c.after &&
      deps.resourceTypes[c.type]?.checkLive,
  );
  await mapLimit(todo, 10, async (c) => {
    try {
      for (const d of await deps.resourceTypes[c.type]!.checkLive!(c.after!, getCtx)) {
        const pos = (d.attribute ? c.attrPos?.[d.attribute] : undefined) ?? c.pos;
        diags.push({
          ...d,
          address: c.address,
          ...(pos ? { file: pos.file, line: pos.line } : {}),
        });
      }
    } catch (e) {
      if (e instanceof DiagnosticError)
        diags.push(...e.diagnostics.map((d) => ({ address: c.address, ...d })));
      else throw e;
    }
  });
}

function looksLikeKeyRef(v: string): boolean {
  if (!/^(arn:|alias\/|projects\/|mrk-|[0-9a-f]{8}-)/.test(v)) return false;
  return parseKeyRef(v).ok;
}

/** The local KMS creates keys in account 000000000000 (SPEC 3); with AWS the account is the
 * caller's, which plan does not look up, so rules fall back to the keys' ARNs. */
export function ruleAccount(settings: ProviderSettings): { keyAccount?: string } {
  return settings.kms.backend === 'local' ? { keyAccount: LOCAL_ACCOUNT } : {};
}

export const LOCAL_ACCOUNT = '000000000000';

/** Summary counts like Terraform's "Plan: N to add, N to change, N to destroy." */
export function planCounts(plan: Plan): { add: number; change: number; destroy: number } {
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const c of plan.changes) {
    if (c.action === 'create') add++;
    else if (c.action === 'update') change++;
    else if (c.action === 'delete') destroy++;
    else if (c.action === 'replace') {
      add++;
      destroy++;
    }
  }
  return { add, change, destroy };
}

export function planHasChanges(plan: Plan): boolean {
  return (
    plan.changes.some((c) => c.action !== 'noop' || c.movedFromIndex !== undefined) ||
    Object.values(plan.outputChanges).some((o) => o.action !== 'noop')
  );
}
