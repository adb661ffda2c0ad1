// The applier: walks a plan's changes as a DAG of operations (creates in dependency order,
// deletes in reverse, create_before_destroy replacements create first), at most `parallelism`
// at a time. Right before each create/update the block's expressions are evaluated again
// against what has been applied so far, so values that were unknown at plan time are real now,
// and the CMEK rules are re-run for resources whose plan held unknowns — before the call that
// would fail. The state is written after EVERY resource, so a crash loses at most the resource
// whose call was in flight.

import { randomBytes } from 'node:crypto';
import { compareKeys, type InstanceKey } from '../model/address.js';
import { diag, DiagnosticError, hasErrors, type Diagnostic } from '../model/diagnostics.js';
import type {
  Attrs,
  ProviderContext,
  ProviderSettings,
  ReferencedChange,
} from '../resources/types.js';
import type { Config, EvalScope, Expr, ResourceBlock } from './config/types.js';
import { checkAddress, checkConditions, selfScope } from './conditions.js';
import {
  dataBlockAddress,
  dataInstanceScope,
  dataRootsOf,
  dataValueAt,
  readDataBlock,
} from './data.js';
import { expandModules } from './expand.js';
import type { EngineDeps, RuleChange } from './deps.js';
import {
  attrPositions,
  attrRefs,
  blockValue,
  evalExpr,
  evaluateAttributes,
  forEachInstances,
  makeScope,
  type EachBinding,
  type EvalEnv,
} from './eval.js';
import { diffInstance, sameValue } from './diff.js';
import { ruleAccount } from './plan-steps.js';
import type { Plan, PlannedChange } from './plan-types.js';
import { validateAttributes } from './schema.js';
import {
  addDeposed,
  emptyState,
  entryKey,
  removeDeposed,
  setDataInstances,
  setInstance,
  instancesAt,
  stateInstances,
  withModule,
  typeOfValue,
  StateWriter,
  type StateSink,
  type StateFile,
  type StateInstance,
} from './state.js';
import { errorMessage } from './util.js';
import { Unknown, containsUnknown, markPaths, stripMarks, type Value } from '../model/values.js';
import { sensitiveVariables, toStateSensitive } from './sensitive.js';

export type OpKind = 'create' | 'update' | 'delete';

export type ApplyEvent =
  | { type: 'start'; address: string; op: OpKind; id?: string; deposed?: string }
  | {
      type: 'complete';
      address: string;
      op: OpKind;
      elapsedMs: number;
      id?: string;
      deposed?: string;
    }
  | { type: 'error'; address: string; op: OpKind; diagnostics: Diagnostic[] };

export interface ApplyOptions {
  deps: EngineDeps;
  /** The configuration the plan was made from (apply re-evaluates its expressions). */
  config: Config;
  settings: ProviderSettings;
  statePath: string;
  /** Where the state is written (a state backend's workspace); default: the file statePath. */
  stateSink?: StateSink;
  /** Text of the state file before this run, kept as `<state>.backup` on the first write. */
  priorStateText?: string;
  ctx?: ProviderContext;
  /** Operations in flight at once (terraform -parallelism). Default 10. */
  parallelism?: number;
  onEvent?: (e: ApplyEvent) => void;
  /** Abort = stop starting operations (Ctrl-C); those in flight finish and are recorded. */
  signal?: AbortSignal;
}

export interface ApplyResult {
  diagnostics: Diagnostic[];
  added: number;
  changed: number;
  destroyed: number;
  /** The state as written by this apply; the prior state (or null) when it stopped before
   * changing anything. */
  state: StateFile | null;
}

interface Op {
  id: string;
  kind: OpKind;
  change: PlannedChange;
  deps: Set<string>;
  /** A barrier: no work, it only waits for a group of operations (see buildOps). */
  barrier?: true;
}

/** Rebuild Unknown values from a serialized plan's after + after_unknown mask. */
export function rehydrate(v: Value, mask: unknown): Value {
  if (mask === true) return new Unknown();
  if (!mask || typeof mask !== 'object') return v;
  if (Array.isArray(mask)) {
    const arr = Array.isArray(v) ? [...v] : [];
    mask.forEach((m, i) => (arr[i] = rehydrate(arr[i] ?? null, m)));
    return arr;
  }
  const obj: Record<string, Value> =
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Unknown)
      ? { ...(v as Record<string, Value>) }
      : {};
  for (const [k, m] of Object.entries(mask as Record<string, unknown>))
    obj[k] = rehydrate(obj[k] ?? null, m);
  return obj;
}

/** Terraform propagates create_before_destroy to what a CBD resource depends on: otherwise the
 * dependency would be destroyed before its dependent's replacement exists (a cycle). */
function propagateCbd(changes: PlannedChange[]): Set<string> {
  const cbd = new Set(
    changes.filter((c) => c.action === 'replace' && c.createBeforeDestroy).map((c) => c.address),
  );
  const byBlock = groupByBlock(changes);
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of changes) {
      if (!cbd.has(c.address)) continue;
      for (const d of c.dependencies) {
        for (const x of byBlock.get(d) ?? []) {
          if (x.action === 'replace' && !cbd.has(x.address)) {
            cbd.add(x.address);
            grew = true;
          }
        }
      }
    }
  }
  return cbd;
}

function groupByBlock(changes: PlannedChange[]): Map<string, PlannedChange[]> {
  const m = new Map<string, PlannedChange[]>();
  for (const c of changes) {
    let l = m.get(c.block);
    if (!l) m.set(c.block, (l = []));
    l.push(c);
  }
  return m;
}

/** The operations of a plan and their ordering edges. */
export function buildOps(plan: Plan): { ops: Map<string, Op>; diagnostics: Diagnostic[] } {
  const changes = plan.changes.filter((c) => c.action !== 'noop');
  const cbd = propagateCbd(changes);
  const ops = new Map<string, Op>();
  const cuId = (c: PlannedChange) => `${c.address}#${c.action === 'update' ? 'update' : 'create'}`;
  const delId = (c: PlannedChange) => `${entryKey(c)}#delete`;
  const hasCu = (c: PlannedChange) =>
    c.action === 'create' || c.action === 'update' || c.action === 'replace';
  const hasDel = (c: PlannedChange) => c.action === 'delete' || c.action === 'replace';
  for (const c of changes) {
    if (hasCu(c))
      ops.set(cuId(c), {
        id: cuId(c),
        kind: c.action === 'update' ? 'update' : 'create',
        change: c,
        deps: new Set(),
      });
    if (hasDel(c)) ops.set(delId(c), { id: delId(c), kind: 'delete', change: c, deps: new Set() });
  }
  const priorDeps = new Map<string, string[]>();
  for (const e of stateInstances(plan.priorState))
    priorDeps.set(entryKey(e), e.instance.dependencies ?? []);
  const byBlock = groupByBlock(changes);
  // Who depends on a block, by configuration or by state.
  const dependents = new Map<string, PlannedChange[]>();
  for (const c of changes) {
    const all = new Set([...c.dependencies, ...(priorDeps.get(entryKey(c)) ?? [])]);
    for (const d of all) {
      let l = dependents.get(d);
      if (!l) dependents.set(d, (l = []));
      l.push(c);
    }
  }
  // Dependencies are on whole blocks (as in Terraform): every instance of a service block
  // waits for every instance of the key block it reads. With count that is n×m edges, so
  // groups go through barrier operations (n+m edges) that do nothing but wait.
  const barriers = new Map<string, Op>();
  const barrier = (id: string, members: () => string[]): string => {
    let b = barriers.get(id);
    if (!b) {
      b = { id, kind: 'create', change: changes[0]!, deps: new Set(members()), barrier: true };
      barriers.set(id, b);
    }
    return id;
  };
  for (const c of changes) {
    if (hasCu(c)) {
      const op = ops.get(cuId(c))!;
      for (const d of c.dependencies) {
        if (d === c.block) continue;
        const members = (byBlock.get(d) ?? []).filter(hasCu);
        if (members.length) op.deps.add(barrier(`${d}#applied`, () => members.map(cuId)));
      }
      if (c.action === 'replace' && !cbd.has(c.address)) op.deps.add(delId(c));
    }
    if (hasDel(c)) {
      const op = ops.get(delId(c))!;
      if (c.action === 'replace' && cbd.has(c.address)) op.deps.add(cuId(c));
      // A removed resource, or the old object of a create_before_destroy replacement, goes
      // only once what used it is gone or has moved on (updated/replaced).
      const pureOrCbd = c.action === 'delete' || cbd.has(c.address);
      const users = groupByBlock(
        (dependents.get(c.block) ?? []).filter((y) => y.block !== c.block),
      );
      for (const [yBlock, ys] of users) {
        const dels = ys.filter(hasDel);
        if (dels.length)
          op.deps.add(barrier(`${yBlock}#deleted-before-${c.block}`, () => dels.map(delId)));
        const cus = ys.filter(hasCu);
        if (pureOrCbd && cus.length)
          op.deps.add(barrier(`${yBlock}#moved-off-${c.block}`, () => cus.map(cuId)));
      }
    }
  }
  for (const [id, b] of barriers) ops.set(id, b);
  const cycle = findOpCycle(ops);
  return {
    ops,
    diagnostics: cycle
      ? [
          diag(
            'APPLY_FAILED',
            'The changes cannot be ordered',
            `These operations wait for each other: ${cycle.join(' → ')}. Nothing was changed. ` +
              'Split the change in two applies (e.g. first update the dependents, then replace or remove the dependency), or set create_before_destroy on the replaced resource.',
          ),
        ]
      : [],
  };
}

function findOpCycle(ops: Map<string, Op>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    path.push(id);
    for (const d of ops.get(id)?.deps ?? []) {
      const s = state.get(d);
      if (s === 1) return [...path.slice(path.indexOf(d)), d];
      if (s === undefined) {
        const c = visit(d);
        if (c) return c;
      }
    }
    path.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const id of ops.keys()) {
    if (!state.has(id)) {
      const c = visit(id);
      if (c) return c;
    }
  }
  return undefined;
}

/** Run ops respecting deps, at most `limit` at once. A failed op skips everything after it. */
async function walk(
  ops: Map<string, Op>,
  limit: number,
  run: (op: Op) => Promise<boolean>,
  signal?: AbortSignal,
): Promise<{ skipped: Set<string>; started: number }> {
  const indeg = new Map<string, number>();
  const after = new Map<string, string[]>();
  for (const op of ops.values()) {
    indeg.set(op.id, op.deps.size);
    for (const d of op.deps) {
      let l = after.get(d);
      if (!l) after.set(d, (l = []));
      l.push(op.id);
    }
  }
  const skipped = new Set<string>();
  const skip = (id: string) => {
    if (skipped.has(id)) return;
    skipped.add(id);
    for (const n of after.get(id) ?? []) skip(n);
  };
  const ready = [...ops.keys()].filter((id) => indeg.get(id) === 0);
  let running = 0;
  let started = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      // Interrupted: start nothing new; what is in flight finishes and is recorded.
      if (signal?.aborted) ready.length = 0;
      while (running < limit && ready.length) {
        const id = ready.shift()!;
        if (skipped.has(id)) continue;
        running++;
        if (!ops.get(id)!.barrier) started++;
        run(ops.get(id)!).then((ok) => {
          running--;
          if (!ok) for (const n of after.get(id) ?? []) skip(n);
          else
            for (const n of after.get(id) ?? []) {
              const k = indeg.get(n)! - 1;
              indeg.set(n, k);
              if (k === 0 && !skipped.has(n)) ready.push(n);
            }
          pump();
        }, reject);
      }
      if (running === 0 && ready.length === 0) resolve();
    };
    pump();
  });
  return { skipped, started };
}

/** Apply a plan. The caller holds the lock and has checked the plan is not stale. */
export async function applyChanges(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  const { deps, config } = opts;
  const diags: Diagnostic[] = [];
  // MODULES: a saved plan's configuration is loaded afresh: its module instances again.
  diags.push(...expandModules(config, plan.variables));
  const emit = opts.onEvent ?? (() => undefined);
  const base: StateFile = plan.priorState ? structuredClone(plan.priorState) : emptyState();
  const writer = new StateWriter(opts.stateSink ?? opts.statePath, base, opts.priorStateText);
  const state = writer.state;
  const result: ApplyResult = { diagnostics: diags, added: 0, changed: 0, destroyed: 0, state };
  if (plan.errored) {
    diags.push(
      diag(
        'APPLY_FAILED',
        'The plan has errors and cannot be applied',
        'Fix the errors reported by plan, then plan again.',
      ),
    );
    return result;
  }
  const blocks = new Map(config.resources.map((b) => [b.address, b]));
  const { ops, diagnostics } = buildOps(plan);
  diags.push(...diagnostics);
  if (hasErrors(diags)) return result;

  // What each instance looks like right now: planned values, replaced by real ones as they
  // are applied. Expressions evaluated at apply time read these.
  const current = new Map<string, Value>();
  const changeByAddress = new Map(plan.changes.map((c) => [c.address, c]));
  const instancesOf = new Map<string, Array<{ index?: InstanceKey; address: string }>>();
  for (const c of plan.changes) {
    if (c.action === 'delete' || c.action === 'forget') continue;
    current.set(c.address, c.after ? markPaths(c.after, c.afterSensitive ?? []) : new Unknown());
    let l = instancesOf.get(c.block);
    if (!l) instancesOf.set(c.block, (l = []));
    l.push({ ...(c.index !== undefined ? { index: c.index } : {}), address: c.address });
  }
  for (const l of instancesOf.values()) l.sort((a, b) => compareKeys(a.index, b.index));
  const env: EvalEnv = {
    vars: plan.variables,
    sensitiveVars: sensitiveVariables(config),
    baseDir: config.dir,
    ...(config.workspace !== undefined ? { workspace: config.workspace } : {}),
    locals: {
      // Evaluated on demand (not cached): what they read changes as resources are applied.
      // Cycles were rejected at plan time.
      get(name: string): Value | undefined {
        const l = config.locals.find((x) => x.name === name);
        return l ? (evalExpr(l.value, scope(), []) ?? new Unknown()) : undefined;
      },
    },
    resources: {
      get(root: string): Value | undefined {
        const d = dataBlocks.get(root);
        if (d) return dataValueAt(d, plan.reads ?? [], (a) => dataValues.get(a));
        if (root.startsWith('data.')) return dataValues.get(root);
        const b = blocks.get(root);
        if (!b) return undefined;
        const insts = instancesOf.get(root) ?? [];
        return blockValue(
          b,
          insts.map((i) => ({
            ...(i.index !== undefined ? { key: i.index } : {}),
            value: current.get(i.address) ?? new Unknown(),
          })),
        );
      },
    },
  };
  // for_each values, evaluated once per block when its first instance is applied (what they
  // read is applied by then: the graph orders it first), as terraform expands at apply.
  const eachOf = new Map<string, Map<string, EachBinding>>();
  const scope = (index?: InstanceKey, block?: string): EvalScope => {
    if (typeof index !== 'string' || block === undefined)
      return makeScope(env, typeof index === 'number' ? index : undefined);
    let m = eachOf.get(block);
    const b = blocks.get(block);
    if (!m && b?.forEach) {
      m = new Map((forEachInstances(b, makeScope(env), []) ?? []).map((e) => [e.key, e]));
      eachOf.set(block, m);
    }
    return makeScope(env, m?.get(index) ?? { key: index, value: new Unknown() });
  };

  // BLOCKS: data sources. What the plan read is used as read; a read the plan deferred happens
  // right before the first operation that needs it (its dependencies are applied by then).
  const dataValues = new Map<string, Value>();
  for (const r of plan.reads ?? []) dataValues.set(r.address, r.result ?? new Unknown());
  const dataBlocks = new Map((config.dataSources ?? []).map((d) => [d.address, d]));
  const readAtApply = new Map<string, Promise<void>>();
  const appliedReads = new Map<string, Attrs>();
  let dataCtx: ProviderContext | undefined;
  const readOne = async (address: string): Promise<void> => {
    const r = (plan.reads ?? []).find((x) => x.address === address);
    const d = r && dataBlocks.get(dataBlockAddress(r));
    if (!r?.deferred || !d) return;
    let p = readAtApply.get(address);
    if (!p) {
      p = (async () => {
        // What it reads through other deferred data sources first.
        const reads = [...Object.values(d.attributes), ...(d.forEach ? [d.forEach] : [])];
        for (const dep of dataRootsOf(reads, config)) if (dep !== d.address) await readBlock(dep);
        const out = await readDataBlock(
          { ...d, address },
          deps.dataSources?.[d.type],
          dataInstanceScope(d, r.index, env),
          Object.keys(deps.dataSources ?? {}),
          {
            getCtx: async () =>
              (dataCtx ??= ctx ?? (await deps.createProviderContext(opts.settings))),
          },
        );
        dataValues.set(address, out.value);
        if (out.read?.result) appliedReads.set(address, out.read.result);
        if (hasErrors(out.diagnostics)) throw new DiagnosticError(out.diagnostics);
        diags.push(...out.diagnostics);
      })();
      readAtApply.set(address, p);
    }
    await p;
  };
  // Every instance of `data.TYPE.NAME` (one without count / for_each).
  const readBlock = async (root: string): Promise<void> => {
    for (const r of plan.reads ?? []) if (dataBlockAddress(r) === root) await readOne(r.address);
  };
  const ensureData = async (exprs: Iterable<Expr>): Promise<void> => {
    for (const root of dataRootsOf(exprs, config)) await readBlock(root);
  };

  // Imported objects are in plan.priorState only: recording them is a write even with no op.
  // So are objects moved by moved blocks (the prior state has them at their new address).
  let dirty =
    plan.drift.length > 0 || plan.changes.some((c) => c.importing || c.movedFrom !== undefined);
  // removed { lifecycle { destroy = false } }: the object leaves the state, nothing is called.
  for (const c of plan.changes) {
    if (c.action !== 'forget') continue;
    setInstance(state, c.type, c.name, c.index, null, c.module);
    dirty = true;
  }
  // Objects moved by adding or removing count: re-key them first, so every operation below
  // finds its object at its new address. (A moved block's object is at its new address in the
  // prior state already: nothing is left at movedFrom.)
  for (const c of plan.changes) {
    const from = c.movedFrom !== undefined ? countMoveIndex(c) : undefined;
    if (from === undefined) continue;
    const at = from === null ? undefined : from;
    if (instancesAt(state, c.type, c.name, c.index, c.module).some((x) => !x.deposed)) continue;
    const e = instancesAt(state, c.type, c.name, at, c.module).find((x) => !x.deposed);
    if (!e) continue;
    setInstance(state, c.type, c.name, at, null, c.module);
    setInstance(state, c.type, c.name, c.index, { ...e.instance }, c.module);
    dirty = true;
  }
  // State bookkeeping for no-op changes: lifecycle flags and dependencies may have changed.
  for (const c of plan.changes) {
    if (c.action !== 'noop') continue;
    const e = instancesAt(state, c.type, c.name, c.index, c.module).find((x) => !x.deposed);
    if (!e) continue;
    const inst = instanceRecord(e.instance.attributes, c);
    if (JSON.stringify(inst) !== JSON.stringify({ ...e.instance, index_key: undefined })) {
      setInstance(state, c.type, c.name, c.index, inst, c.module);
      dirty = true;
    }
  }
  if (dirty) await writer.persist();

  const ctx = opts.ctx ?? (ops.size ? await deps.createProviderContext(opts.settings) : undefined);
  const fail = (op: Op, e: unknown): false => {
    const list =
      e instanceof DiagnosticError
        ? e.diagnostics.map((d) => ({ address: op.change.address, ...d }))
        : [
            diag(
              'APPLY_FAILED',
              `${verb(op.kind)} ${op.change.address} failed`,
              `${errorMessage(e)}\nWhat completed before is recorded in the state; fix the cause and run apply again.`,
              {
                address: op.change.address,
              },
            ),
          ];
    diags.push(...list);
    emit({ type: 'error', address: op.change.address, op: op.kind, diagnostics: list });
    return false;
  };
  /** Record the result of an operation that has already happened. If the state cannot be
   * written, the operation is not undone: say so, truthfully, instead of a generic failure. */
  const recordDone = async (address: string, done: string): Promise<void> => {
    try {
      await writer.persist();
    } catch (e) {
      throw new DiagnosticError([
        diag(
          'IO_ERROR',
          `${address} was ${done}, but the state could not be written`,
          `${errorMessage(e)}
The change happened; the state file ${opts.statePath} does not record it. ` +
            `Make the state file and its directory writable, then run \`cmek plan\`: the refresh ` +
            `reads the real object and the plan shows what is left to do (docs/state.md).`,
          { address },
        ),
      ]);
    }
  };

  const runOp = async (op: Op): Promise<boolean> => {
    const c = op.change;
    const started = Date.now();
    const rt = deps.resourceTypes[c.type];
    if (!rt) return fail(op, new Error(`unknown resource type ${c.type}`));
    const priorId =
      op.kind !== 'create' && typeof c.before?.id === 'string' ? c.before.id : undefined;
    emit({
      type: 'start',
      address: c.address,
      op: op.kind,
      ...(priorId ? { id: priorId } : {}),
      ...(c.deposed ? { deposed: c.deposed } : {}),
    });
    try {
      if (op.kind === 'delete') {
        const entry = instancesAt(state, c.type, c.name, c.index, c.module).find((e) =>
          c.deposed ? e.deposed === c.deposed : !e.deposed,
        );
        const prior = entry?.instance.attributes ?? c.before ?? {};
        await rt.delete(prior, ctx!);
        if (c.deposed) removeDeposed(state, c.type, c.name, c.deposed, c.module);
        else if (entry?.deposed) removeDeposed(state, c.type, c.name, entry.deposed, c.module);
        else setInstance(state, c.type, c.name, c.index, null, c.module);
        await recordDone(c.address, 'destroyed');
        result.destroyed++;
        emit({
          type: 'complete',
          address: c.address,
          op: 'delete',
          elapsedMs: Date.now() - started,
          ...(c.deposed ? { deposed: c.deposed } : {}),
        });
        return true;
      }
      const block = blocks.get(c.block);
      if (!block) throw new Error(`${c.block} is not in the configuration any more`);
      await ensureData([
        ...Object.values(block.attributes),
        ...(block.lifecycle.postconditions ?? []).flatMap((x) => [x.condition, x.errorMessage]),
      ]);
      const ds: Diagnostic[] = [];
      const attrs = evaluateAttributes(block, scope(c.index, c.block), ds);
      if (!attrs) throw new DiagnosticError(ds);
      if (containsUnknown(attrs)) {
        throw new Error(
          'some values are still unknown after the resources they depend on were applied (a dependency probably failed)',
        );
      }
      const schemaDiags = validateAttributes(rt, attrs, c.address, attrPositions(block), block.pos);
      if (hasErrors(schemaDiags)) throw new DiagnosticError(schemaDiags);
      const entry = instancesAt(state, c.type, c.name, c.index, c.module).find((e) => !e.deposed);
      const prior = op.kind === 'update' ? entry?.instance.attributes : undefined;
      // What it references as planned, with the values they have now that they are applied
      // (a replica follows its primary's new key: the plan's diffStep does the same).
      const referenced: Record<string, ReferencedChange> = {};
      for (const [attr, target] of Object.entries(attrRefs(block, scope(c.index, c.block)))) {
        const planned = changeByAddress.get(target);
        const now = current.get(target);
        if (!planned || planned.action === 'forget' || now === undefined || containsUnknown(now))
          continue;
        const after = stripMarks(now);
        if (after === null || typeof after !== 'object' || Array.isArray(after)) continue;
        if (after instanceof Unknown) continue;
        referenced[attr] = {
          action: planned.action,
          before: planned.before,
          after: after as Attrs,
        };
      }
      const ip = diffInstance(
        rt,
        attrs,
        prior,
        block.lifecycle.ignoreChanges,
        c.address,
        referenced,
      );
      checkConsistent(c, ip.after);
      // Rules that could not decide at plan time (they needed unknowns) decide now.
      if (c.after && containsUnknown(configPart(c.after, block))) {
        const ruleDiags = applyTimeRules(
          plan,
          deps,
          opts.settings,
          blocks,
          current,
          c.address,
          ip.after,
          scope,
        );
        if (hasErrors(ruleDiags)) throw new DiagnosticError(ruleDiags);
      }
      let out: Attrs;
      if (op.kind === 'update') {
        out = await rt.update(prior ?? c.before ?? {}, ip.after, ctx!);
      } else {
        // Record the intent first: if this process dies during the call, the next plan knows
        // a create was in flight and looks for what it made (ResourceType.adopt).
        const pending = !entry;
        if (pending) {
          const known = JSON.parse(JSON.stringify(ip.after)) as Attrs;
          setInstance(
            state,
            c.type,
            c.name,
            c.index,
            { ...instanceRecord(known, c), cmek_pending: 'create' },
            c.module,
          );
          await writer.persist();
        }
        try {
          out = await rt.create(ip.after, ctx!);
        } catch (e) {
          // A create that failed (rather than died) made nothing to adopt.
          if (pending) {
            setInstance(state, c.type, c.name, c.index, null, c.module);
            await writer.persist();
          }
          throw e;
        }
        // create_before_destroy: the old object stays in state as "deposed" until its delete
        // runs, so a crash in between leaves it recorded (the next plan deletes it). Only
        // after the create succeeded: a failed create must leave the old object current.
        if (c.action === 'replace' && entry) {
          addDeposed(
            state,
            c.type,
            c.name,
            c.index,
            { ...entry.instance },
            randomBytes(4).toString('hex'),
            c.module,
          );
        }
      }
      const plain = JSON.parse(JSON.stringify(out)) as Attrs;
      setInstance(state, c.type, c.name, c.index, instanceRecord(plain, c), c.module);
      await recordDone(c.address, op.kind === 'update' ? 'updated' : 'created');
      current.set(c.address, markPaths(plain, c.afterSensitive ?? []));
      // Postconditions see the object as applied (`self`): a failure is an error, and the
      // object stays recorded, as terraform does.
      const post = checkConditions(
        block.lifecycle.postconditions,
        selfScope(scope(c.index), markPaths(plain, c.afterSensitive ?? [])),
        c.address,
      );
      diags.push(...post.diagnostics);
      if (op.kind === 'update') result.changed++;
      else result.added++;
      const id = typeof plain.id === 'string' ? plain.id : undefined;
      emit({
        type: 'complete',
        address: c.address,
        op: op.kind,
        elapsedMs: Date.now() - started,
        ...(id ? { id } : {}),
      });
      return true;
    } catch (e) {
      return fail(op, e);
    }
  };

  // The deposed key of a CBD replacement is only known once its create ran: resolve it then.
  const wrapped = async (op: Op): Promise<boolean> => {
    if (op.barrier) return true;
    if (op.kind === 'delete' && op.change.action === 'replace') {
      const dep = instancesAt(
        state,
        op.change.type,
        op.change.name,
        op.change.index,
        op.change.module,
      ).find((e) => e.deposed);
      if (dep) return runOp({ ...op, change: { ...op.change, deposed: dep.deposed! } });
    }
    return runOp(op);
  };
  const walked = await walk(ops, Math.max(1, opts.parallelism ?? 10), wrapped, opts.signal);
  const real = [...ops.values()].filter((o) => !o.barrier).length;
  if (opts.signal?.aborted && walked.started < real) {
    diags.push(
      diag(
        'APPLY_FAILED',
        'Apply interrupted',
        `${real - walked.started} of ${real} operations were not started. What completed is recorded in the state; run apply again to finish.`,
      ),
    );
  }

  // Data sources: every read the outputs need, then what was read recorded as terraform does
  // (`"mode": "data"`), and what is no longer declared forgotten.
  if (plan.mode !== 'destroy') {
    // Every read the plan deferred happens, needed by a resource or not (as terraform).
    for (const r of plan.reads ?? []) {
      if (!r.deferred) continue;
      try {
        await readOne(r.address);
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
        // Reported once, by the first operation that awaited it (or here).
        for (const d of e.diagnostics) if (!diags.includes(d)) diags.push(d);
      }
    }
  }
  const dataBefore = JSON.stringify(state.resources);
  for (const r of state.resources.filter((x) => x.mode === 'data'))
    if (
      plan.mode === 'destroy' ||
      !dataBlocks.has(withModule(r.module, `data.${r.type}.${r.name}`))
    )
      setDataInstances(state, r.type, r.name, [], r.module);
  if (plan.mode !== 'destroy') {
    // One state entry per data block, with an instance per key read (index_key as terraform).
    const read = new Map<string, Array<{ index?: InstanceKey; attributes: Attrs }>>();
    for (const r of plan.reads ?? []) {
      const got = r.result ?? appliedReads.get(r.address);
      if (!got || r.check) continue;
      const list = read.get(dataBlockAddress(r)) ?? [];
      list.push({ ...(r.index !== undefined ? { index: r.index } : {}), attributes: got });
      read.set(dataBlockAddress(r), list);
    }
    for (const [root, list] of read) {
      const d = dataBlocks.get(root)!;
      setDataInstances(state, d.type, d.name, list, d.module);
    }
    // Conditions that had to wait for apply: variable validations, check asserts, outputs'
    // preconditions, now with every value known.
    if (plan.deferredConditions?.length) {
      for (const v of config.variables)
        diags.push(...checkConditions(v.validations, scope(), `var.${v.name}`).diagnostics);
      for (const m of config.moduleValidations ?? [])
        diags.push(...checkConditions(m.conditions, scope(), m.subject).diagnostics);
      for (const o of config.outputs)
        diags.push(...checkConditions(o.preconditions, scope(), `output.${o.name}`).diagnostics);
    }
    for (const ch of config.checks ?? [])
      diags.push(...checkConditions(ch.asserts, scope(), checkAddress(ch)).diagnostics);
  }
  if (JSON.stringify(state.resources) !== dataBefore) await writer.persist();

  // Outputs, from what exists now.
  const before = JSON.stringify(state.outputs);
  const outputs: StateFile['outputs'] = {};
  // A targeted destroy keeps the outputs (those it made unknown keep their value).
  if (plan.mode !== 'destroy' || plan.targets) {
    for (const o of config.outputs) {
      const marked = evalExpr(o.value, scope(), []);
      const v = marked === undefined ? undefined : stripMarks(marked);
      if (v === undefined || containsUnknown(v)) {
        if (state.outputs[o.name]) outputs[o.name] = state.outputs[o.name]!;
        continue;
      }
      outputs[o.name] = {
        value: v,
        type: typeOfValue(v),
        ...(o.sensitive ? { sensitive: true } : {}),
      };
    }
  }
  state.outputs = outputs;
  if (JSON.stringify(outputs) !== before) await writer.persist();
  return result;
}

function verb(kind: OpKind): string {
  return kind === 'create' ? 'Creating' : kind === 'update' ? 'Updating' : 'Destroying';
}

/** The key the object had before `count` was added (null: none) or removed (0), when movedFrom
 * is the same block's `x` / `x[0]`; undefined otherwise. */
function countMoveIndex(c: PlannedChange): 0 | null | undefined {
  if (c.movedFrom === c.block) return null;
  if (c.movedFrom === `${c.block}[0]`) return 0;
  return undefined;
}

function instanceRecord(attributes: Attrs, c: PlannedChange): StateInstance {
  const inst: StateInstance = {
    schema_version: 0,
    attributes,
    sensitive_attributes: toStateSensitive(c.afterSensitive ?? []),
  };
  if (c.dependencies.length) inst.dependencies = c.dependencies;
  if (c.preventDestroy) inst.prevent_destroy = true;
  if (c.createBeforeDestroy) inst.create_before_destroy = true;
  return inst;
}

/** The attributes of `after` that come from the configuration (not computed ones). */
function configPart(after: Attrs, block: ResourceBlock): Attrs {
  const out: Attrs = {};
  for (const k of Object.keys(block.attributes)) if (k in after) out[k] = after[k]!;
  return out;
}

/** What was known at plan time must not change at apply time (Terraform: "Provider produced
 * inconsistent final plan"): otherwise the user approved something else. */
function checkConsistent(c: PlannedChange, now: Attrs): void {
  if (!c.after) return;
  const bad: string[] = [];
  for (const [k, v] of Object.entries(c.after)) {
    if (containsUnknown(v)) continue;
    if (!sameValue(v, now[k]))
      bad.push(`${k}: planned ${JSON.stringify(v)}, now ${JSON.stringify(now[k] ?? null)}`);
  }
  if (bad.length) {
    throw new DiagnosticError(
      diag(
        'APPLY_FAILED',
        `${c.address}: the values to apply differ from the plan`,
        `${bad.join('\n')}\nSomething the configuration reads changed between plan and apply. Plan again and review.`,
        { address: c.address },
      ),
    );
  }
}

function applyTimeRules(
  plan: Plan,
  deps: EngineDeps,
  settings: ProviderSettings,
  blocks: Map<string, ResourceBlock>,
  current: Map<string, Value>,
  address: string,
  after: Attrs,
  scope: (index?: InstanceKey, block?: string) => EvalScope,
): Diagnostic[] {
  const changes: RuleChange[] = [];
  for (const c of plan.changes) {
    if (c.deposed || c.action === 'forget') continue;
    const block = blocks.get(c.block);
    const cur = current.get(c.address);
    // The rules see plain values: marks only matter for showing them.
    const now = c.address === address ? after : cur === undefined ? undefined : stripMarks(cur);
    changes.push({
      address: c.address,
      type: c.type,
      action: c.action,
      before: c.before,
      after: c.action === 'delete' ? null : ((now as Attrs | undefined) ?? c.after),
      ...(block
        ? {
            pos: block.pos,
            attrPos: attrPositions(block),
            refs: attrRefs(block, scope(c.index, c.block)),
          }
        : {}),
    });
  }
  const input = deps.cmekRuleInput(changes, {
    servicePrincipal: settings.servicePrincipal,
    ...ruleAccount(settings),
  });
  return deps.checkRules(input).filter((d) => d.address === address && d.severity === 'error');
}
