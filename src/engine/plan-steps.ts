// The planner's steps, each a named function from (configuration, state, earlier results) to
// (changes, diagnostics), in the order planConfig (plan.ts) runs them, as Terraform core walks
// its plan graph:
//   checkBlocks  – unknown resource types, depends_on naming nothing
//   refreshStep  – read every object in state (and look for interrupted creates): drift
//   expandBlock  – a block's instances (count)
//   diffStep     – walk the graph: evaluate locals and each instance, diff against the prior
//   orphansStep  – instances in state the configuration no longer has (or all with -destroy)
//   checksStep   – prevent_destroy and the CMEK rules over the whole plan
//   outputsStep  – output values after the resources they read
// Targeting (-target) and forced replacement (-replace) are steps too (targetStep,
// replaceStep).

import { parseKeyRef } from '../model/key-ref.js';
import { diag, DiagnosticError, hasErrors, type Diagnostic } from '../model/diagnostics.js';
import {
  blockAddress,
  formatAddress,
  filterMatches,
  formatResourceAddress,
  moduleContains,
  parseModuleAddress,
  parseResourceAddress,
  type InstanceKey,
} from '../model/address.js';
import { parseReference, referenceAddress, referenceKey } from '../model/reference.js';
import {
  Unknown,
  containsSensitive,
  containsUnknown,
  markPaths,
  stripMarks,
  unknownMask,
  type SensitivePath,
  type Value,
} from '../model/values.js';
import type {
  Attrs,
  ProviderContext,
  ProviderSettings,
  ReferencedChange,
} from '../resources/types.js';
import type { KeyView, RuleInput } from '../rules/model.js';
import type { Condition, Config, EvalScope, ResourceBlock } from './config/types.js';
import type { EngineDeps, RuleAdapterOptions, RuleChange } from './deps.js';
import { diffInstance, sameValue, type InstancePlan } from './diff.js';
import {
  attrPositions,
  attrRefs,
  blockValue,
  countInstances,
  evalExpr,
  evaluateAttributes,
  forEachInstances,
  makeScope,
  type EachBinding,
  type EvalEnv,
  type Expandable,
} from './eval.js';
import { resourceDependencies, type Graph } from './graph.js';
import { checkAddress, checkConditions, selfScope } from './conditions.js';
import { readDataInstances } from './data.js';
import type {
  ActionReason,
  DataRead,
  DriftEntry,
  OutputChange,
  PlannedChange,
} from './plan-types.js';
import { validateAttributes } from './schema.js';
import {
  instanceSensitivePaths,
  sensitiveOf,
  sensitiveOutputError,
  sensitiveVariables,
  stateSensitivePaths,
} from './sensitive.js';
import {
  entryKey,
  isManaged,
  keyOf,
  stateInstances,
  withModule,
  type InstanceEntry,
  type StateFile,
} from './state.js';
import { mapLimit, errorMessage } from './util.js';

/** What every step may read. */
export interface StepContext {
  config: Config;
  settings: ProviderSettings;
  deps: EngineDeps;
  /** The provider context, created on first use. */
  getCtx: () => Promise<ProviderContext>;
}

// ---------------------------------------------------------------------------------------------
// checkBlocks

/** Unknown resource types and depends_on entries that name no resource block. */
export function checkBlocks(sc: StepContext): Diagnostic[] {
  const { config, deps } = sc;
  const diags: Diagnostic[] = [];
  const blocks = new Set(config.resources.map((b) => b.address));
  for (const b of config.resources) {
    if (!deps.resourceTypes[b.type]) {
      diags.push(
        diag(
          'CONFIG_UNSUPPORTED',
          `Unsupported resource type "${b.type}"`,
          `cmek manages ${Object.keys(deps.resourceTypes).sort().join(', ')}. Remove or rename the block.`,
          { address: b.address, file: b.pos.file, line: b.pos.line },
        ),
      );
    }
    for (const d of b.dependsOn) {
      if (blocks.has(d)) continue; // a full block address (a module instance's, expand.ts)
      const ref = parseReference(d);
      if (ref?.kind !== 'resource' || !blocks.has(referenceKey(ref)!)) {
        diags.push(
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
  return diags;
}

// ---------------------------------------------------------------------------------------------
// refreshStep

export interface RefreshStepResult {
  /** The state after refresh (the input state when nothing was read). */
  priorState: StateFile | null;
  drift: DriftEntry[];
  diagnostics: Diagnostic[];
}

/** Read the real objects of the state (with refresh on) and settle creates an interrupted
 * apply recorded but never finished (see apply.ts): find the object the create may have made
 * (ResourceType.adopt), or plan it afresh. */
export async function refreshStep(
  sc: StepContext,
  state: StateFile | null,
  refresh: boolean,
  parallelism: number,
): Promise<RefreshStepResult> {
  const { deps, getCtx } = sc;
  const diags: Diagnostic[] = [];
  const drift: DriftEntry[] = [];
  const allEntries = stateInstances(state);
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
        diags.push(interruptedWarning(e.address, `looking for it failed: ${errorMessage(err)}`));
      }
      if (found)
        diags.push(
          interruptedWarning(
            e.address,
            `found it${typeof found.id === 'string' ? ` (id ${found.id})` : ''} and recorded it again`,
          ),
        );
    } else {
      diags.push(
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
    const read = await refreshInstances(priorEntries, deps, c, parallelism, diags);
    for (const [k, v] of read) refreshed.set(k, v);
    for (const e of priorEntries) {
      const now = refreshed.get(entryKey(e));
      if (now === undefined) continue;
      if (now === null || !sameValue(now, e.instance.attributes)) {
        drift.push({
          address: e.address,
          block: e.block,
          type: e.type,
          name: e.name,
          ...(e.index !== undefined ? { index: e.index } : {}),
          action: now === null ? 'delete' : 'update',
          before: e.instance.attributes,
          after: now,
          ...sensitiveOf('sensitive', deps.resourceTypes[e.type], e.instance),
        });
      }
    }
  }
  return {
    priorState: refreshed.size ? refreshedState(state!, refreshed) : state,
    drift,
    diagnostics: diags,
  };
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
    if (!isManaged(r)) continue;
    r.instances = r.instances.filter((inst) => {
      const addr = withModule(r.module, formatAddress(r.type, r.name, keyOf(inst)));
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

// ---------------------------------------------------------------------------------------------
// targetStep, replaceStep

/** Which resources a plan covers. `all` unless -target was given; then the targeted blocks and
 * instances and every resource block they depend on (directly or through locals). */
export interface Scope {
  all: boolean;
  /** Blocks planned whole (a target `TYPE.NAME` or a dependency of a target). */
  blocks: Set<string>;
  /** Single instances targeted (`TYPE.NAME[i]`) whose block is not planned whole. */
  instances: Set<string>;
}

export const WHOLE: Scope = { all: true, blocks: new Set(), instances: new Set() };

export function inScope(scope: Scope, block: string, address: string): boolean {
  return scope.all || scope.blocks.has(block) || scope.instances.has(address);
}

/** The block address of an instance address (`TYPE.NAME["k"]` → `TYPE.NAME`). */
const blockOf = (address: string) => {
  const a = parseResourceAddress(address);
  return a.ok ? blockAddress(a.address) : address;
};

/** Resolve `-target` addresses against the configuration and the state; with -destroy the
 * scope grows to what depends on the targets instead of what they depend on. A malformed address is
 * a USAGE error; one that names nothing is a warning (as with terraform, the plan is then
 * empty for it); any targeting warns that the plan is partial. */
export function targetStep(
  config: Config,
  graph: Graph,
  state: StateFile | null,
  targets: readonly string[] | undefined,
  destroy = false,
): { scope: Scope; diagnostics: Diagnostic[] } {
  if (!targets?.length) return { scope: WHOLE, diagnostics: [] };
  const diags: Diagnostic[] = [];
  const scope: Scope = { all: false, blocks: new Set(), instances: new Set() };
  const configured = new Set(config.resources.map((b) => b.address));
  const inState = stateInstances(state);
  const roots: string[] = [];
  for (const t of targets) {
    // MODULES: a module address targets every resource in its instance(s).
    const mod = /^module\./.test(t.trim()) ? parseModuleAddress(t) : undefined;
    if (mod?.ok) {
      const inside = (address: string) => {
        const a = parseResourceAddress(address);
        return a.ok && moduleContains(mod.path, a.address);
      };
      const blocks = config.resources.filter((b) => inside(b.address)).map((b) => b.address);
      for (const b of blocks) {
        scope.blocks.add(b);
        roots.push(b);
      }
      for (const e of inState) if (inside(e.block)) scope.blocks.add(e.block);
      if (!blocks.length && !inState.some((e) => inside(e.block)))
        diags.push(
          diag(
            'USAGE',
            `-target=${t} matches no resource`,
            `Neither the configuration nor the state has a resource in ${t}, so the plan has nothing to do for it. Check the address with: cmek state list`,
            { severity: 'warning', address: t },
          ),
        );
      continue;
    }
    const parsed = parseResourceAddress(t);
    if (!parsed.ok || parsed.address.mode === 'data') {
      diags.push(badAddress('-target', t, parsed.ok ? undefined : parsed.error));
      continue;
    }
    const a = parsed.address;
    const block = blockAddress(a);
    const instance = formatResourceAddress(a);
    const known = configured.has(block);
    const stateHit = inState.some((e) =>
      a.key === undefined ? e.block === block : e.address === instance,
    );
    if (!known && !stateHit) {
      diags.push(
        diag(
          'USAGE',
          `-target=${t} matches no resource`,
          `Neither the configuration nor the state has ${t}, so the plan has nothing to do for it. Check the address with: cmek state list`,
          { severity: 'warning', address: t },
        ),
      );
      continue;
    }
    if (a.key === undefined) scope.blocks.add(block);
    else scope.instances.add(instance);
    if (configured.has(block)) roots.push(block);
  }
  if (!destroy) {
    for (const r of roots) for (const d of resourceDependencies(graph, r)) scope.blocks.add(d);
  } else {
    // Destroying a resource destroys what depends on it first (as terraform destroy -target).
    const targeted = new Set([...scope.blocks, ...[...scope.instances].map(blockOf)]);
    for (const b of config.resources)
      if (resourceDependencies(graph, b.address).some((d) => targeted.has(d)))
        scope.blocks.add(b.address);
    for (const e of inState)
      if ((e.instance.dependencies ?? []).some((d) => targeted.has(d))) scope.blocks.add(e.block);
  }
  // With a bad address the plan stops at the error: no partial-plan warning then.
  if (hasErrors(diags)) return { scope, diagnostics: diags };
  diags.push(
    diag(
      'USAGE',
      'Resource targeting is in effect',
      'You are creating a plan with the -target option, which means that the result of this plan may not represent all of the changes requested by the current configuration.\n' +
        'The -target option is not for routine use, and is provided only for exceptional situations such as recovering from errors or mistakes. Run plan without -target afterwards to see what else differs.',
      { severity: 'warning' },
    ),
  );
  return { scope, diagnostics: diags };
}

function badAddress(flag: string, text: string, why?: string): Diagnostic {
  return diag(
    'USAGE',
    `Invalid ${flag} address "${text}"`,
    `${why ? `${why}\n` : ''}${flag} takes a resource address: TYPE.NAME, TYPE.NAME[N] for one instance of a block with count, or TYPE.NAME["KEY"] for one with for_each, in a module instance as module.NAME.TYPE.NAME${flag === '-target' ? ' (-target also takes a module: module.NAME, module.NAME["KEY"])' : ''} (e.g. ${flag}=cmek_kms_key.main, or '${flag}=cmek_kms_key.k["eu"]' quoted for the shell).`,
  );
}

/** Check `-replace` addresses: each must be a resource instance that exists in the state (a
 * replacement of something that does not exist yet is meaningless) and is still configured. */
export function replaceStep(
  config: Config,
  state: StateFile | null,
  replace: readonly string[] | undefined,
): { replace: Set<string>; diagnostics: Diagnostic[] } {
  const out = new Set<string>();
  const diags: Diagnostic[] = [];
  const configured = new Set(config.resources.map((b) => b.address));
  const inState = new Set(
    stateInstances(state)
      .filter((e) => !e.deposed)
      .map((e) => e.address),
  );
  for (const r of replace ?? []) {
    const parsed = parseResourceAddress(r);
    if (!parsed.ok || parsed.address.mode === 'data') {
      diags.push(badAddress('-replace', r, parsed.ok ? undefined : parsed.error));
      continue;
    }
    const address = formatResourceAddress(parsed.address);
    const block = blockAddress(parsed.address);
    if (!inState.has(address) || !configured.has(block)) {
      diags.push(
        diag(
          'USAGE',
          `-replace=${r}: no such resource instance`,
          !inState.has(address)
            ? `The state has no ${address}, so there is nothing to replace${configured.has(block) ? ' (it will be created by a normal apply)' : ''}. See the addresses with: cmek state list`
            : `${block} is no longer in the configuration, so it would be destroyed, not replaced.`,
          { address },
        ),
      );
      continue;
    }
    out.add(address);
  }
  return { replace: out, diagnostics: diags };
}

// ---------------------------------------------------------------------------------------------
// expandBlock

/** The address of an instance of a block: `TYPE.NAME[KEY]`, in its module instance
 * (`module.a["x"].TYPE.NAME[KEY]`). */
export function instanceAddress(block: ResourceBlock, index: InstanceKey | undefined): string {
  const a = formatAddress(block.type, block.name, index);
  return block.module ? `${block.module}.${a}` : a;
}

/** One instance of a block: its key (none, a count index, a for_each key) and, with
 * for_each, its each binding. */
export interface BlockInstance {
  key?: InstanceKey;
  each?: EachBinding;
}

/** The instance keys of a block: [undefined] without count or for_each, 0..n-1 with count, the
 * for_each keys in order. */
export function expandBlock(
  block: ResourceBlock,
  env: EvalEnv,
  diags: Diagnostic[],
  validateOnly = false,
): Array<InstanceKey | undefined> | undefined {
  return expandInstances(block, env, diags, validateOnly)?.map((i) => i.key);
}

/** The instances of a block (see BlockInstance); undefined when count or for_each cannot be
 * evaluated (the diagnostic is in `diags`). */
export function expandInstances(
  block: Expandable,
  env: EvalEnv,
  diags: Diagnostic[],
  validateOnly = false,
): BlockInstance[] | undefined {
  if (block.forEach)
    return forEachInstances(block, makeScope(env), diags, validateOnly)?.map((each) => ({
      key: each.key,
      each,
    }));
  if (!block.count) return [{}];
  return countInstances(block.count, block.address, makeScope(env), diags, validateOnly)?.map(
    (key) => ({ key }),
  );
}

// ---------------------------------------------------------------------------------------------
// diffStep

export interface DiffResult {
  changes: PlannedChange[];
  /** The same changes as the rules see them. */
  ruleChanges: RuleChange[];
  /** Prior instance addresses the walk accounted for (planned, moved, or kept on an error or
   * outside the -target scope); the others are orphans. */
  planned: Set<string>;
  /** The evaluation environment after the walk (outputs read it). */
  env: EvalEnv;
  diagnostics: Diagnostic[];
  /** Data sources read (or deferred) by the walk. */
  reads: DataRead[];
  /** Where conditions could not be decided at plan time (checked at apply). */
  deferredConditions: string[];
}

export interface DiffOptions {
  destroy: boolean;
  validateOnly: boolean;
  scope: Scope;
  replace: Set<string>;
}

/** Walk the graph in dependency order: evaluate locals, expand each resource block, evaluate
 * and validate each instance, and diff it against its prior object. */
export async function diffStep(
  sc: StepContext,
  graph: Graph,
  priorState: StateFile | null,
  vars: Record<string, Value>,
  o: DiffOptions,
): Promise<DiffResult> {
  const { config, deps } = sc;
  const diags: Diagnostic[] = [];
  const priorByAddr = new Map<string, InstanceEntry>();
  for (const e of stateInstances(priorState)) if (!e.deposed) priorByAddr.set(e.address, e);
  const env: EvalEnv = {
    vars,
    sensitiveVars: sensitiveVariables(config),
    locals: new Map<string, Value>(),
    resources: new Map<string, Value>(),
    baseDir: config.dir,
    ...(config.workspace !== undefined ? { workspace: config.workspace } : {}),
  };
  const locals = env.locals as Map<string, Value>;
  const resources = env.resources as Map<string, Value>;
  const blocks = new Map(config.resources.map((b) => [b.address, b]));
  const localsByName = new Map(config.locals.map((l) => [l.name, l]));
  const planned = new Set<string>();
  const changes: PlannedChange[] = [];
  const ruleChanges: RuleChange[] = [];
  // Planned changes by address, so a dependent's plan sees what it references (a replica
  // follows its primary's key rotation): the graph order plans referenced resources first.
  const byAddress = new Map<string, ReferencedChange>();
  const keep = (id: string) => {
    for (const e of priorByAddr.values()) if (e.block === id) planned.add(e.address);
  };
  // BLOCKS: data sources read in the walk, blocks with changes (a data source that depends on
  // one waits for apply), and conditions left for apply.
  const dataByAddr = new Map((config.dataSources ?? []).map((d) => [d.address, d]));
  const reads: DataRead[] = [];
  const changedBlocks = new Set<string>();
  const deferredConditions: string[] = [];
  const deferConditions = (subject: string, list: readonly Condition[]) => {
    for (const c of list)
      deferredConditions.push(`${subject} ${c.kind} (${c.pos.file}:${c.pos.line})`);
  };

  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    if (node.kind === 'local') {
      const l = localsByName.get(id.slice(6))!;
      const v = evalExpr(l.value, makeScope(env), diags);
      // A child module's output is checked as a root output is (outputsStep).
      if (l.output && !l.output.sensitive && v !== undefined && containsSensitive(v))
        diags.push(sensitiveOutputError({ name: l.output.name, pos: l.pos }, l.output.module));
      locals.set(l.name, v === undefined ? new Unknown() : v);
      continue;
    }
    if (node.kind === 'output') continue; // outputsStep
    if (node.kind === 'data') {
      const d = dataByAddr.get(id)!;
      if (o.destroy) {
        resources.set(id, new Unknown());
        continue;
      }
      const changed = resourceDependencies(graph, id).filter((b) => changedBlocks.has(b));
      // count / for_each: one read per instance (readDataInstances).
      const instances = expandInstances(d, env, diags, o.validateOnly);
      if (!instances) {
        resources.set(id, new Unknown());
        continue;
      }
      const all = await readDataInstances(
        d,
        instances,
        deps.dataSources?.[d.type],
        env,
        Object.keys(deps.dataSources ?? {}).sort(),
        {
          getCtx: sc.getCtx,
          validateOnly: o.validateOnly,
          ...(changed.length
            ? { deferReason: `it depends on ${changed.join(', ')}, which has changes planned` }
            : {}),
        },
      );
      for (const out of all.outcomes) {
        diags.push(...out.diagnostics);
        if (out.read) reads.push(out.read);
        deferConditions(out.address, out.unknown);
      }
      resources.set(id, all.value);
      continue;
    }
    const block = blocks.get(id)!;
    const rt = deps.resourceTypes[block.type];
    if (o.destroy || !rt) {
      resources.set(id, new Unknown());
      continue;
    }
    const whole = o.scope.all || o.scope.blocks.has(id);
    if (!whole && ![...o.scope.instances].some((a) => a.startsWith(`${id}[`))) {
      // Outside -target: left as it is (nothing in scope reads it).
      resources.set(id, new Unknown());
      keep(id);
      continue;
    }
    const dependencies = resourceDependencies(graph, id);
    const instances = expandInstances(block, env, diags, o.validateOnly);
    if (instances === undefined) {
      resources.set(id, new Unknown());
      // Keep existing instances untouched rather than planning their deletion on an error.
      keep(id);
      continue;
    }
    if (!whole) keep(id);
    const values: Array<{ key?: InstanceKey; value: Value }> = [];
    const attrPos = attrPositions(block);
    for (const inst of instances) {
      const index = inst.key;
      const address = instanceAddress(block, index);
      const push = (value: Value) =>
        values.push(index === undefined ? { value } : { key: index, value });
      if (!whole && !o.scope.instances.has(address)) {
        const kept = priorByAddr.get(address)?.instance;
        push(
          kept
            ? markPaths(kept.attributes, instanceSensitivePaths(rt, stateSensitivePaths(kept)))
            : new Unknown(),
        );
        continue;
      }
      planned.add(address);
      const scope = makeScope(env, inst.each ?? (typeof index === 'number' ? index : undefined));
      const before = diags.length;
      const marked: SensitivePath[] = [];
      const evaluated = evaluateAttributes(block, scope, diags, marked);
      const schemaDiags = evaluated
        ? validateAttributes(rt, evaluated, address, attrPos, block.pos)
        : [];
      diags.push(...schemaDiags);
      let priorEntry = priorByAddr.get(address);
      // Adding or removing `count` moves the single object rather than replacing it.
      let movedFrom: string | undefined;
      if (!priorEntry && index === undefined && priorByAddr.has(`${id}[0]`)) {
        movedFrom = `${id}[0]`;
      } else if (!priorEntry && index === 0 && priorByAddr.has(id)) {
        movedFrom = id;
      }
      if (movedFrom !== undefined) {
        priorEntry = priorByAddr.get(movedFrom);
        planned.add(movedFrom);
      }
      const prior = priorEntry?.instance.attributes;
      if (!evaluated || (diags.length > before && hasErrors(diags.slice(before)))) {
        push(new Unknown());
        continue;
      }
      const refs = attrRefs(block, scope);
      const referenced: Record<string, ReferencedChange> = {};
      for (const [attr, target] of Object.entries(refs)) {
        const change = byAddress.get(target);
        if (change) referenced[attr] = change;
      }
      const pre = checkConditions(block.lifecycle.preconditions, scope, address);
      diags.push(...pre.diagnostics);
      deferConditions(address, pre.unknown);
      if (hasErrors(pre.diagnostics)) {
        push(new Unknown());
        continue;
      }
      let ip: InstancePlan;
      let reason: ActionReason | undefined;
      try {
        ip = diffInstance(rt, evaluated, prior, block.lifecycle.ignoreChanges, address, referenced);
        const trigger = prior ? replaceTrigger(block, scope, byAddress) : undefined;
        if (trigger && (ip.action === 'noop' || ip.action === 'update')) {
          // replace_triggered_by: a referenced resource (or attribute) changes.
          const fresh = diffInstance(rt, evaluated, undefined, [], address);
          ip = {
            action: 'replace',
            after: fresh.after,
            replacePaths: ip.replacePaths,
            notes: { ...ip.notes, 'lifecycle.replace_triggered_by': trigger },
          };
          reason = 'replace_by_triggers';
        }
        if (prior && o.replace.has(address)) {
          // -replace: plan it as a new object (computed attributes unknown again).
          const fresh = diffInstance(rt, evaluated, undefined, [], address);
          ip = { action: 'replace', after: fresh.after, replacePaths: ip.replacePaths };
          reason = 'replace_by_request';
        } else if (prior && priorEntry!.instance.status === 'tainted') {
          // `cmek taint`: the object may be damaged; plan it as a new one, as terraform does.
          const fresh = diffInstance(rt, evaluated, undefined, [], address);
          ip = { action: 'replace', after: fresh.after, replacePaths: ip.replacePaths };
          reason = 'replace_because_tainted';
        } else if (ip.action === 'replace' && !reason) reason = 'replace_because_cannot_update';
      } catch (e) {
        if (e instanceof DiagnosticError) {
          diags.push(
            ...e.diagnostics.map((d) => ({
              address,
              file: block.pos.file,
              line: block.pos.line,
              ...d,
            })),
          );
          push(new Unknown());
          continue;
        }
        throw e;
      }
      const afterSensitive = instanceSensitivePaths(rt, marked);
      const post = checkConditions(
        block.lifecycle.postconditions,
        selfScope(scope, markPaths(ip.after, afterSensitive)),
        address,
      );
      diags.push(...post.diagnostics);
      deferConditions(address, post.unknown);
      if (ip.action !== 'noop') changedBlocks.add(id);
      push(markPaths(ip.after, afterSensitive));
      changes.push({
        address,
        block: id,
        ...(block.module ? { module: block.module } : {}),
        type: block.type,
        name: block.name,
        ...(index !== undefined ? { index } : {}),
        ...(movedFrom !== undefined ? { movedFrom } : {}),
        action: ip.action,
        before: prior ?? null,
        after: ip.after,
        afterUnknown: unknownMask(ip.after),
        ...(priorEntry ? sensitiveOf('beforeSensitive', rt, priorEntry.instance) : {}),
        ...(afterSensitive.length ? { afterSensitive } : {}),
        replacePaths: ip.replacePaths,
        ...(reason ? { actionReason: reason } : {}),
        ...(ip.notes ? { notes: ip.notes } : {}),
        dependencies,
        createBeforeDestroy: block.lifecycle.createBeforeDestroy,
        preventDestroy: block.lifecycle.preventDestroy,
        pos: block.pos,
      });
      byAddress.set(address, { action: ip.action, before: prior ?? null, after: ip.after });
      ruleChanges.push({
        address,
        type: block.type,
        action: ip.action,
        before: prior ?? null,
        after: ip.after,
        pos: block.pos,
        attrPos,
        refs,
      });
    }
    resources.set(id, blockValue(block, values));
  }
  return { changes, ruleChanges, planned, env, diagnostics: diags, reads, deferredConditions };
}

/** What `lifecycle.replace_triggered_by` of an instance names that changes in this plan: a
 * resource instance planned to be created, updated, replaced or deleted, or an attribute of one
 * whose value changes (or is not known yet). Undefined when nothing does. */
function replaceTrigger(
  block: ResourceBlock,
  scope: EvalScope,
  byAddress: Map<string, ReferencedChange>,
): string | undefined {
  for (const e of block.lifecycle.replaceTriggeredBy ?? []) {
    for (const ref of e.instanceReferences(scope)) {
      if (ref.kind !== 'resource') continue;
      const target = referenceAddress(ref);
      const hits = [...byAddress].filter(
        ([a]) => a === target || (ref.index === undefined && a.startsWith(`${target}[`)),
      );
      for (const [a, c] of hits) {
        if (c.action === 'noop') continue;
        if (!ref.attribute)
          return `${a} is planned to ${c.action === 'create' ? 'be created' : c.action}`;
        const before = c.before?.[ref.attribute];
        const after = c.after?.[ref.attribute];
        if (
          after instanceof Unknown ||
          containsUnknown(after ?? null) ||
          !sameValue(before ?? null, after ?? null)
        )
          return `${a}.${ref.attribute} changes`;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// orphansStep

/** Instances in state that the walk did not account for: removed from the configuration, out
 * of count range, deposed, or (with -destroy) all of them. */
export function orphansStep(
  sc: StepContext,
  graph: Graph,
  priorState: StateFile | null,
  planned: Set<string>,
  destroy: boolean,
  scope: Scope,
  forget: ReadonlySet<string> = new Set(),
): { changes: PlannedChange[]; ruleChanges: RuleChange[] } {
  const blocks = new Map(sc.config.resources.map((b) => [b.address, b]));
  const changes: PlannedChange[] = [];
  const ruleChanges: RuleChange[] = [];
  for (const e of stateInstances(priorState)) {
    if (planned.has(e.address) && !e.deposed) continue;
    if (!inScope(scope, e.block, e.address)) continue;
    const block = blocks.get(e.block);
    const reason: ActionReason = destroy
      ? 'delete_because_no_resource_config_destroy_mode'
      : !block
        ? 'delete_because_no_resource_config'
        : typeof e.index === 'number' && block.count
          ? 'delete_because_count_index'
          : typeof e.index === 'string' && block.forEach
            ? 'delete_because_each_key'
            : 'delete_because_wrong_repetition';
    const change: PlannedChange = {
      address: e.address,
      block: e.block,
      ...(e.module ? { module: e.module } : {}),
      type: e.type,
      name: e.name,
      ...(e.index !== undefined ? { index: e.index } : {}),
      ...(e.deposed ? { deposed: e.deposed } : {}),
      action: 'delete',
      before: e.instance.attributes,
      after: null,
      afterUnknown: false,
      ...sensitiveOf('beforeSensitive', sc.deps.resourceTypes[e.type], e.instance),
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
    if (!block && !e.deposed && (forget.has(e.block) || forgetsModule(forget, e.address))) {
      // removed { lifecycle { destroy = false } }: out of the state, not destroyed; the
      // object lives on, so the rules do not see it go.
      change.action = 'forget';
      delete change.actionReason;
      change.preventDestroy = false;
      changes.push(change);
      continue;
    }
    changes.push(change);
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
  return { changes, ruleChanges };
}

/** Whether a `removed { from = module.NAME }` with destroy = false covers an address. */
function forgetsModule(forget: ReadonlySet<string>, address: string): boolean {
  for (const f of forget) if (f.startsWith('module.') && filterMatches(f, address)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// checksStep

/** lifecycle.prevent_destroy against the planned deletes and replacements. */
export function preventDestroyCheck(config: Config, changes: PlannedChange[]): Diagnostic[] {
  const blocks = new Set(config.resources.map((b) => b.address));
  const diags: Diagnostic[] = [];
  for (const c of changes) {
    if ((c.action === 'delete' || c.action === 'replace') && c.preventDestroy) {
      const fromState = !blocks.has(c.block);
      diags.push(
        diag(
          'PREVENT_DESTROY',
          `Instance cannot be destroyed: ${c.address} has lifecycle.prevent_destroy set`,
          (c.action === 'replace'
            ? c.actionReason === 'replace_by_request'
              ? `-replace=${c.address} asks to replace it, which destroys it. `
              : `The plan would replace ${c.address} (${c.replacePaths.map((p) => p.join('.')).join(', ')} forces replacement), which destroys it. `
            : `The plan would destroy ${c.address}. `) +
            (fromState
              ? 'The block was removed from the configuration but the state still records prevent_destroy. To really destroy it, put the block back with prevent_destroy = false and apply, then remove it; or `cmek state rm` it to stop managing it.'
              : 'Set lifecycle { prevent_destroy = false } if you really mean to destroy it, or change the configuration so it is not destroyed.'),
          { address: c.address, ...(c.pos ? { file: c.pos.file, line: c.pos.line } : {}) },
        ),
      );
    }
  }
  return diags;
}

/** Plan-time checks against the real world (ResourceType.checkLive): a literal parent id that
 * names nothing is reported here, at its line, rather than failing the apply. */
export async function liveStep(sc: StepContext, changes: RuleChange[]): Promise<Diagnostic[]> {
  const { deps, getCtx } = sc;
  const diags: Diagnostic[] = [];
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
          // file, line and, when known, the column and end of the attribute's range
          ...pos,
        });
      }
    } catch (e) {
      if (e instanceof DiagnosticError)
        diags.push(...e.diagnostics.map((d) => ({ address: c.address, ...d })));
      else throw e;
    }
  });
  return diags;
}

/** prevent_destroy, then the CMEK rules over every change of the plan. */
export async function checksStep(
  sc: StepContext,
  priorState: StateFile | null,
  changes: PlannedChange[],
  ruleChanges: RuleChange[],
  refresh: boolean,
  reads: readonly DataRead[] = [],
): Promise<Diagnostic[]> {
  const { deps, settings, getCtx } = sc;
  const diags = preventDestroyCheck(sc.config, changes);
  if (!ruleChanges.length) return diags;
  const fromData = dataKeys(reads, deps);
  const resolved = await keyResolver(priorState, ruleChanges, deps, refresh ? getCtx : undefined);
  // A key a data source read is known by its real facts, refresh or not.
  const resolveKey = (ref: string): KeyView | undefined => {
    const d = fromData.get(ref);
    if (!d) return resolved(ref);
    const { data: _d, ...view } = d;
    return { ...resolved(ref), ...view };
  };
  const external = refresh
    ? await externalKeyUses(priorState, changes, deps, getCtx, resolveKey, diags)
    : [];
  const input = deps.cmekRuleInput(ruleChanges, {
    servicePrincipal: settings.servicePrincipal,
    resolveKey,
    ...ruleAccount(settings),
    ...(external.length ? { external } : {}),
  });
  diags.push(...deps.checkRules(input));
  keyDependencies(changes, ruleChanges, input);
  return diags;
}

/** A key attribute written as a literal (`kms_key = "alias/orders"`, an ARN) that names a key
 * resource of this configuration depends on that key, as a reference would: the key is created
 * first and destroyed last. The rules' adapter already resolved which key it names. */
function keyDependencies(
  changes: PlannedChange[],
  ruleChanges: RuleChange[],
  input: RuleInput,
): void {
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const refsOf = new Map(ruleChanges.map((r) => [r.address, r.refs ?? {}]));
  for (const n of input.nodes) {
    const keyAddress = n.key?.address;
    const attr = n.keyAttribute;
    if (!keyAddress || !attr || refsOf.get(n.address)?.[attr] !== undefined) continue;
    const c = byAddress.get(n.address);
    const key = byAddress.get(keyAddress);
    if (!c || !key) continue;
    const keyBlock = blockOf(keyAddress);
    if (keyBlock === c.block || c.dependencies.includes(keyBlock)) continue;
    if (key.dependencies.includes(c.block)) continue; // never make a cycle
    c.dependencies = [...c.dependencies, keyBlock].sort();
  }
}

// ---------------------------------------------------------------------------------------------
// outputsStep

/** Output values after the resources they read; outputs in state but no longer configured (or
 * all with -destroy) are deleted. With -target, only outputs whose resources are all in scope
 * are planned. */
export function outputsStep(
  sc: StepContext,
  graph: Graph,
  env: EvalEnv,
  state: StateFile | null,
  destroy: boolean,
  scope: Scope,
): { outputChanges: Record<string, OutputChange>; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const outputChanges: Record<string, OutputChange> = {};
  const outputsByName = new Map(sc.config.outputs.map((o) => [o.name, o]));
  if (!destroy) {
    for (const id of graph.order) {
      if (!id.startsWith('output.')) continue;
      if (!scope.all && !resourceDependencies(graph, id).every((b) => scope.blocks.has(b)))
        continue;
      const o = outputsByName.get(id.slice(7))!;
      const pre = checkConditions(o.preconditions, makeScope(env), id);
      diags.push(...pre.diagnostics);
      if (hasErrors(pre.diagnostics)) continue;
      const marked = evalExpr(o.value, makeScope(env), diags);
      if (marked !== undefined && !o.sensitive && containsSensitive(marked))
        diags.push(sensitiveOutputError(o));
      const v = marked === undefined ? undefined : stripMarks(marked);
      const prior = state?.outputs?.[o.name];
      const after = v === undefined ? new Unknown() : v;
      const unknown = containsUnknown(after);
      const action = !prior
        ? 'create'
        : !unknown && sameValue(after, prior.value)
          ? 'noop'
          : 'update';
      outputChanges[o.name] = {
        action,
        before: prior?.value ?? null,
        after,
        afterUnknown: unknown,
        sensitive: o.sensitive,
      };
    }
  }
  for (const [name, o] of Object.entries(state?.outputs ?? {})) {
    if ((destroy && scope.all) || !outputsByName.has(name)) {
      outputChanges[name] = {
        action: 'delete',
        before: o.value,
        after: null,
        afterUnknown: false,
        sensitive: o.sensitive ?? false,
      };
    }
  }
  return { outputChanges, diagnostics: diags };
}

// ---------------------------------------------------------------------------------------------
// conditionsStep (BLOCKS)

/** Variable `validation` blocks and `check` blocks' asserts, evaluated once the walk knows every
 * value (terraform 1.9+ lets a validation read other variables, locals and resources). A check
 * only warns. Undecidable ones are listed for apply. */
export function conditionsStep(
  sc: StepContext,
  env: EvalEnv,
): { diagnostics: Diagnostic[]; deferred: string[] } {
  const diags: Diagnostic[] = [];
  const deferred: string[] = [];
  const scope = makeScope(env);
  const run = (list: readonly Condition[] | undefined, subject: string) => {
    const r = checkConditions(list, scope, subject);
    diags.push(...r.diagnostics);
    for (const c of r.unknown) deferred.push(`${subject} ${c.kind} (${c.pos.file}:${c.pos.line})`);
  };
  for (const v of sc.config.variables) run(v.validations, `var.${v.name}`);
  for (const m of sc.config.moduleValidations ?? []) run(m.conditions, m.subject);
  for (const c of sc.config.checks ?? []) run(c.asserts, checkAddress(c));
  return { diagnostics: diags, deferred };
}

/** Facts of the keys data sources read (region, provider, state), by every name they go by. */
export function dataKeys(
  reads: readonly DataRead[],
  deps: EngineDeps,
): Map<string, KeyView & { state?: string; data: string }> {
  const out = new Map<string, KeyView & { state?: string; data: string }>();
  for (const r of reads) {
    const rt = deps.resourceTypes[deps.dataSources?.[r.type]?.resource ?? ''];
    if (!r.result || !rt?.keyFacts) continue;
    const facts = factsOf(rt.keyFacts(r.result, r.address));
    const state = typeof r.result.key_state === 'string' ? r.result.key_state : undefined;
    for (const v of keyNames(r.result))
      out.set(v, { ref: v, data: r.address, ...facts, ...(state ? { state } : {}) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers of the steps

/** Every name a key object goes by (ARN, key id, id, alias), to find it by any of them. */
function keyNames(a: Attrs): string[] {
  return ['arn', 'key_id', 'id', 'alias']
    .map((k) => a[k])
    .filter((v): v is string => typeof v === 'string' && v !== '');
}

/** The region and provider of a key's facts, as KeyView fields. */
function factsOf(facts: Partial<KeyView> | null | undefined): Pick<KeyView, 'region' | 'provider'> {
  return {
    ...(facts?.region ? { region: facts.region } : {}),
    ...(facts?.provider ? { provider: facts.provider } : {}),
  };
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
    const facts = factsOf(rt.keyFacts(a, e.address));
    for (const v of keyNames(a)) known.set(v, { ref: v, address: e.address, ...facts });
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
  priorState: StateFile | null,
  changes: PlannedChange[],
  deps: EngineDeps,
  getCtx: () => Promise<ProviderContext>,
  resolveKey: (ref: string) => KeyView | undefined,
  diags: Diagnostic[],
): Promise<NonNullable<RuleAdapterOptions['external']>> {
  if (!deps.keyUses) return [];
  const dropsKey = changes.some(
    (c) =>
      (c.action === 'delete' || c.action === 'replace') && deps.resourceTypes[c.type]?.keyFacts,
  );
  if (!dropsKey) return [];
  const ours = new Set<string>();
  for (const e of stateInstances(priorState)) {
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

function looksLikeKeyRef(v: string): boolean {
  if (!/^(arn:|alias\/|projects\/|mrk-|[0-9a-f]{8}-)/.test(v)) return false;
  return parseKeyRef(v).ok;
}

/** The local KMS creates keys in account 000000000000 (docs/configuration.md); with AWS the account is the
 * caller's, which plan does not look up, so rules fall back to the keys' ARNs. */
export function ruleAccount(settings: ProviderSettings): { keyAccount?: string } {
  return settings.kms.backend === 'local' ? { keyAccount: LOCAL_ACCOUNT } : {};
}

export const LOCAL_ACCOUNT = '000000000000';
