// Module expansion (docs/configuration.md, "Modules"): once the root variables are known, every
// local module call becomes its instances (`module.a`, `module.a[0]`, `module.a["x"]`, nested),
// and every block of every instance joins the one configuration the engine plans, under its
// full address (`module.a["x"].cmek_kms_key.k`). Each instance keeps its own scope: its
// variables, locals, outputs and the `module.NAME` value of its calls become locals of the
// whole configuration under prefixed names, and its expressions are wrapped (ScopedExpr) so
// that `var.x`, `local.y`, `TYPE.NAME`, `data.T.N`, `module.c` and `path.module` read that
// instance's values. Values pass through untouched (an unknown key ARN keeps its facts), so the
// rules see across modules as within one.

import { diag, DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { formatKey, withModule, type InstanceKey } from '../model/address.js';
import type { Reference } from '../model/reference.js';
import { markSensitive, Unknown, type Value } from '../model/values.js';
import {
  convertToType,
  parseType,
  type CheckBlock,
  type Condition,
  type Config,
  type DataBlock,
  type EvalScope,
  type Expr,
  type LocalValue,
  type ModuleCall,
  type MovedBlock,
  type RemovedBlock,
  type ResourceBlock,
  type SourcePos,
  type TypeSpec,
  type VariableBlock,
} from './config/index.js';
import { countInstances, evalExpr, forEachInstances, type EachBinding } from './eval.js';

/** The names of one module instance: its address prefix (`module.a["x"]`, '' for the root) and
 * its directory (`path.module`). */
interface Names {
  prefix: string;
  dir: string;
}

const join = withModule;

/** Translate a root (`var.x`, `TYPE.NAME`) of an instance's expression to the whole
 * configuration's: the name the engine's scope answers. */
function translateRoot(n: Names, root: string): string {
  if (!n.prefix) return root.startsWith('module.') ? `local.${root}` : root;
  if (root.startsWith('var.') || root.startsWith('local.') || root.startsWith('module.'))
    return `local.${join(n.prefix, root)}`;
  return join(n.prefix, root);
}

/** An instance's reference as the whole configuration's graph sees it. */
function translateRef(n: Names, r: Reference, bound: boolean): Reference | undefined {
  switch (r.kind) {
    case 'count':
    case 'each':
      return bound ? undefined : r;
    case 'module':
      return { kind: 'local', name: join(n.prefix, `module.${r.name}`) };
    case 'var':
    case 'local':
      if (!n.prefix) return r;
      return { kind: 'local', name: join(n.prefix, `${r.kind}.${r.name}`) };
    case 'resource':
      return n.prefix ? { ...r, module: n.prefix } : r;
    case 'other':
      return n.prefix && r.root.startsWith('data.')
        ? { kind: 'other', root: join(n.prefix, r.root) }
        : r;
  }
}

/** An expression of a module instance, evaluated in the whole configuration's scope (see the
 * header). `bind`: the count index or each binding of a module call, for the call's
 * arguments. */
/** An expression whose value is marked sensitive (a child module's `sensitive = true` output). */
class MarkedExpr implements Expr {
  constructor(private readonly inner: Expr) {}
  get pos(): SourcePos {
    return this.inner.pos;
  }
  get text(): string {
    return this.inner.text;
  }
  get refs(): readonly string[] {
    return this.inner.refs;
  }
  get references(): readonly Reference[] {
    return this.inner.references;
  }
  instanceReferences(scope: EvalScope): Reference[] {
    return this.inner.instanceReferences(scope);
  }
  evaluate(scope: EvalScope): Value {
    return markSensitive(this.inner.evaluate(scope));
  }
}

export class ScopedExpr implements Expr {
  constructor(
    readonly inner: Expr,
    private readonly names: Names,
    private readonly bind?: number | EachBinding,
  ) {}

  get pos(): SourcePos {
    return this.inner.pos;
  }
  get text(): string {
    return this.inner.text;
  }
  get refs(): readonly string[] {
    return this.inner.refs.map((r) => translateRoot(this.names, r));
  }

  private refList: readonly Reference[] | undefined;
  get references(): readonly Reference[] {
    return (this.refList ??= this.translate(this.inner.references));
  }

  private translate(refs: readonly Reference[]): Reference[] {
    const out: Reference[] = [];
    for (const r of refs) {
      const t = translateRef(this.names, r, this.bind !== undefined);
      if (t) out.push(t);
    }
    return out;
  }

  scope(outer: EvalScope): EvalScope {
    const n = this.names;
    const bind = this.bind;
    return {
      baseDir: outer.baseDir,
      lookup: (root, pos) => {
        if (bind !== undefined) {
          if (root === 'count.index') return typeof bind === 'number' ? bind : undefined;
          if (root === 'each.key') return typeof bind === 'object' ? bind.key : undefined;
          if (root === 'each.value') return typeof bind === 'object' ? bind.value : undefined;
        }
        if (root === 'path.module') return n.dir;
        if (
          root === 'count.index' ||
          root.startsWith('each.') ||
          root.startsWith('path.') ||
          root.startsWith('terraform.') ||
          root === 'self'
        )
          return outer.lookup(root, pos);
        return outer.lookup(translateRoot(n, root), pos);
      },
    };
  }

  evaluate(scope: EvalScope): Value {
    return this.inner.evaluate(this.scope(scope));
  }

  instanceReferences(scope: EvalScope): Reference[] {
    return this.translate(this.inner.instanceReferences(this.scope(scope)));
  }

  toJSON(): string {
    return this.inner.text;
  }
}

/** `var.NAME` of a module instance: the call's argument (read in the calling instance, with the
 * call's count.index / each bound), converted to the variable's type; else its default. */
class VariableExpr implements Expr {
  constructor(
    private readonly variable: VariableBlock,
    private readonly arg: Expr | undefined,
    private readonly type: TypeSpec | undefined,
    private readonly address: string,
  ) {}
  get pos(): SourcePos {
    return this.arg?.pos ?? this.variable.pos;
  }
  get text(): string {
    return this.arg?.text ?? JSON.stringify(this.variable.default ?? null);
  }
  get refs(): readonly string[] {
    return this.arg?.refs ?? [];
  }
  get references(): readonly Reference[] {
    return this.arg?.references ?? [];
  }
  instanceReferences(scope: EvalScope): Reference[] {
    return this.arg?.instanceReferences(scope) ?? [];
  }
  private mark(v: Value): Value {
    return markIf(this.variable.sensitive, v);
  }

  evaluate(scope: EvalScope): Value {
    const v = this.arg ? this.arg.evaluate(scope) : (this.variable.default ?? null);
    if (v === null && this.arg && this.variable.default !== undefined) return this.variable.default; // terraform: null for a variable with a default is the default
    if (!this.type) return this.mark(v);
    try {
      return this.mark(convertToType(v, this.type));
    } catch (e) {
      throw diagError(
        diag(
          'CONFIG_SCHEMA',
          'Invalid value for input variable',
          `The given value is not suitable for ${this.address}'s variable "${this.variable.name}" declared at ${this.variable.pos.file}:${this.variable.pos.line}: ${(e as Error).message}.`,
          { ...this.pos, address: this.address, attribute: this.variable.name },
        ),
      );
    }
  }
}

/** A value of a module instance's variable declared `sensitive = true` is marked. */
function markIf(sensitive: boolean, v: Value): Value {
  return sensitive ? markSensitive(v) : v;
}

/** `module.NAME` in the calling instance: an object of the outputs (one instance), a list of
 * them (count) or a map by key (for_each), read from the outputs' locals. */
class ModuleValueExpr implements Expr {
  readonly refs: readonly string[] = [];
  readonly references: readonly Reference[];
  constructor(
    private readonly shape: 'one' | 'count' | 'each',
    private readonly instances: ReadonlyArray<{ key?: InstanceKey; prefix: string }>,
    private readonly outputs: readonly string[],
    readonly pos: SourcePos,
    readonly text: string,
  ) {
    this.references = instances.flatMap((i) =>
      outputs.map((o): Reference => ({ kind: 'local', name: `${i.prefix}.output.${o}` })),
    );
  }
  instanceReferences(): Reference[] {
    return [...this.references];
  }
  evaluate(scope: EvalScope): Value {
    const objectOf = (prefix: string) => {
      const o: Record<string, Value> = {};
      for (const name of this.outputs)
        o[name] = scope.lookup(`local.${prefix}.output.${name}`, this.pos) ?? new Unknown();
      return o;
    };
    if (this.shape === 'one') return objectOf(this.instances[0]!.prefix);
    if (this.shape === 'count') return this.instances.map((i) => objectOf(i.prefix));
    const out: Record<string, Value> = {};
    for (const i of this.instances) out[String(i.key)] = objectOf(i.prefix);
    return out;
  }
}

function diagError(d: Diagnostic): Error {
  return new DiagnosticError([d]);
}

/** A scope with a module call's count.index / each bound (static evaluation of arguments). */
function bound(scope: EvalScope, bind: number | EachBinding | undefined): EvalScope {
  if (bind === undefined) return scope;
  return {
    baseDir: scope.baseDir,
    lookup: (root, pos) => {
      if (root === 'count.index') return typeof bind === 'number' ? bind : undefined;
      if (root === 'each.key') return typeof bind === 'object' ? bind.key : undefined;
      if (root === 'each.value') return typeof bind === 'object' ? bind.value : undefined;
      return scope.lookup(root, pos);
    },
  };
}

/** Evaluates the count / for_each of module calls before the plan: it knows variables and
 * locals (not resources, whose values come at apply). */
class StaticScope {
  private readonly cache = new Map<string, Value>();
  private readonly busy = new Set<string>();
  constructor(
    private readonly config: Config,
    private readonly names: Names,
    private readonly vars: (name: string) => Value | undefined,
    readonly baseDir: string,
    private readonly workspace: string,
  ) {}

  scope(): EvalScope {
    return {
      baseDir: this.baseDir,
      lookup: (root) => {
        if (root.startsWith('var.')) return this.vars(root.slice(4));
        if (root.startsWith('local.')) return this.local(root.slice(6));
        if (root === 'path.module') return this.names.dir;
        if (root === 'path.root') return '.';
        if (root === 'terraform.workspace') return this.workspace;
        return new Unknown();
      },
    };
  }

  private local(name: string): Value | undefined {
    if (this.cache.has(name)) return this.cache.get(name);
    const l = this.config.locals.find((x) => x.name === name);
    if (!l) return undefined;
    if (this.busy.has(name)) return new Unknown(); // a cycle: reported by the graph
    this.busy.add(name);
    const v = evalExpr(l.value, this.scope(), []) ?? new Unknown();
    this.busy.delete(name);
    this.cache.set(name, v);
    return v;
  }
}

/** The instances of a module call: [{}] without count / for_each. */
function callInstances(
  call: ModuleCall,
  address: string,
  scope: EvalScope,
  diags: Diagnostic[],
): Array<{ key?: InstanceKey; bind?: number | EachBinding }> | undefined {
  if (call.forEach) {
    const each = forEachInstances(
      { forEach: call.forEach, address } as ResourceBlock,
      scope,
      diags,
    );
    return each?.map((e) => ({ key: e.key, bind: e }));
  }
  if (!call.count) return [{}];
  return countInstances(call.count, address, scope, diags)?.map((i) => ({ key: i, bind: i }));
}

/** What expanding one module instance adds to the whole configuration. */
interface Out {
  resources: ResourceBlock[];
  locals: LocalValue[];
  dataSources: DataBlock[];
  checks: CheckBlock[];
  moved: MovedBlock[];
  removed: RemovedBlock[];
  validations: Array<{ subject: string; conditions: Condition[] }>;
  /** Every resource address of each module instance prefix (for depends_on = [module.x]). */
  resourcesOf: Map<string, string[]>;
}

/** Expand the module calls of a loaded configuration into it, in place (see the header). Safe to
 * call again: the second call does nothing. Returns the diagnostics (an unknown count or
 * for_each of a call, a bad argument value). */
export function expandModules(config: Config, vars: Record<string, Value>): Diagnostic[] {
  if (config.expanded) return [];
  config.expanded = true;
  if (!config.modules?.length) return [];
  const diags: Diagnostic[] = [];
  const out: Out = {
    resources: [],
    locals: [],
    dataSources: [],
    checks: [],
    moved: [],
    removed: [],
    validations: [],
    resourcesOf: new Map(),
  };
  const workspace = config.workspace ?? 'default';
  const root: Names = { prefix: '', dir: '.' };
  const rootStatic = new StaticScope(config, root, (name) => vars[name], config.dir, workspace);
  // The root's own blocks: depends_on = [module.x] becomes x's resources (filled below).
  const rootCalls = expandCalls(config, root, rootStatic, [], out, diags);
  const translateDeps = (list: string[], prefix: string, calls: Map<string, string[]>) =>
    list.flatMap((d) => (d.startsWith('module.') ? (calls.get(d) ?? []) : [join(prefix, d)]));
  for (const r of config.resources) r.dependsOn = translateDeps(r.dependsOn, '', rootCalls);
  for (const d of config.dataSources ?? []) d.dependsOn = translateDeps(d.dependsOn, '', rootCalls);
  for (const o of config.outputs) o.dependsOn = translateDeps(o.dependsOn, '', rootCalls);
  config.resources.push(...out.resources);
  config.locals.push(...out.locals);
  if (out.dataSources.length) (config.dataSources ??= []).push(...out.dataSources);
  if (out.checks.length) (config.checks ??= []).push(...out.checks);
  if (out.moved.length) (config.moved ??= []).push(...out.moved);
  if (out.removed.length) (config.removed ??= []).push(...out.removed);
  if (out.validations.length) config.moduleValidations = out.validations;
  return diags;
}

/** Expand the calls of one module instance (`names`); returns, by `module.NAME`, every
 * resource address of the call's instances (for depends_on). */
function expandCalls(
  c: Config,
  names: Names,
  statics: StaticScope,
  inheritedDeps: readonly string[],
  out: Out,
  diags: Diagnostic[],
): Map<string, string[]> {
  const byCall = new Map<string, string[]>();
  // The calls' own depends_on may name sibling calls: expand in order, the named first.
  const calls = orderCalls(c.modules ?? []);
  for (const call of calls) {
    const address = join(names.prefix, `module.${call.name}`);
    const insts = callInstances(call, address, statics.scope(), diags);
    const instances: Array<{ key?: InstanceKey; prefix: string }> = [];
    const all: string[] = [];
    const callDeps = [
      ...inheritedDeps,
      ...call.dependsOn.flatMap((d) =>
        d.startsWith('module.') ? (byCall.get(d) ?? []) : [join(names.prefix, d)],
      ),
    ];
    for (const inst of insts ?? []) {
      const prefix = `${address}${inst.key === undefined ? '' : formatKey(inst.key)}`;
      instances.push({ ...(inst.key !== undefined ? { key: inst.key } : {}), prefix });
      const child: Names = { prefix, dir: call.dir };
      // The instance's variables: the call's arguments, read in this (the calling) instance.
      const argValues = new Map<string, Value | undefined>();
      for (const v of call.config.variables) {
        const arg = call.args[v.name];
        let type: TypeSpec | undefined;
        try {
          type = v.type ? parseType(v.type) : undefined;
        } catch {
          type = undefined; // reported by the loader
        }
        const expr = new VariableExpr(
          v,
          arg ? new ScopedExpr(arg, names, inst.bind) : undefined,
          type,
          prefix,
        );
        out.locals.push({ name: join(prefix, `var.${v.name}`), value: expr, pos: v.pos });
        argValues.set(v.name, undefined);
      }
      const childStatic = new StaticScope(
        call.config,
        child,
        (name) => {
          if (!argValues.has(name)) return undefined;
          const v = call.config.variables.find((x) => x.name === name)!;
          const arg = call.args[name];
          if (!arg) return v.default ?? null;
          return evalExpr(arg, bound(statics.scope(), inst.bind), []) ?? new Unknown();
        },
        statics.baseDir,
        'default',
      );
      const childCalls = expandCalls(call.config, child, childStatic, callDeps, out, diags);
      const mine = expandInstance(call.config, child, callDeps, childCalls, out);
      all.push(...mine, ...[...childCalls.values()].flat());
    }
    // `module.NAME` in the calling instance.
    out.locals.push({
      name: join(names.prefix, `module.${call.name}`),
      value: new ModuleValueExpr(
        call.forEach ? 'each' : call.count ? 'count' : 'one',
        instances,
        call.config.outputs.map((o) => o.name),
        call.pos,
        `module.${call.name}`,
      ),
      pos: call.pos,
    });
    byCall.set(`module.${call.name}`, all);
  }
  return byCall;
}

/** Calls in an order where a call named in another's depends_on comes first. */
function orderCalls(calls: readonly ModuleCall[]): ModuleCall[] {
  const out: ModuleCall[] = [];
  const seen = new Set<string>();
  const byName = new Map(calls.map((m) => [m.name, m]));
  const visit = (m: ModuleCall, path: Set<string>) => {
    if (seen.has(m.name) || path.has(m.name)) return;
    path.add(m.name);
    for (const d of m.dependsOn) {
      const dep = d.startsWith('module.') ? byName.get(d.slice(7)) : undefined;
      if (dep) visit(dep, path);
    }
    seen.add(m.name);
    out.push(m);
  };
  for (const m of calls) visit(m, new Set());
  return out;
}

/** Add one module instance's blocks to `out`; returns its resource addresses. */
function expandInstance(
  c: Config,
  n: Names,
  callDeps: readonly string[],
  childCalls: Map<string, string[]>,
  out: Out,
): string[] {
  const wrap = (e: Expr) => new ScopedExpr(e, n);
  const wrapAll = (r: Record<string, Expr>) => {
    const o: Record<string, Expr> = {};
    for (const [k, e] of Object.entries(r)) o[k] = wrap(e);
    return o;
  };
  const conds = (list: readonly Condition[] | undefined) =>
    list?.map((x) => ({ ...x, condition: wrap(x.condition), errorMessage: wrap(x.errorMessage) }));
  const deps = (list: readonly string[]) => [
    ...list.flatMap((d) =>
      d.startsWith('module.') ? (childCalls.get(d) ?? []) : [join(n.prefix, d)],
    ),
    ...callDeps,
  ];
  const addresses: string[] = [];
  for (const r of c.resources) {
    const pre = conds(r.lifecycle.preconditions);
    const post = conds(r.lifecycle.postconditions);
    const block: ResourceBlock = {
      ...r,
      address: join(n.prefix, r.address),
      module: n.prefix,
      attributes: wrapAll(r.attributes),
      ...(r.count ? { count: wrap(r.count) } : {}),
      ...(r.forEach ? { forEach: wrap(r.forEach) } : {}),
      dependsOn: deps(r.dependsOn),
      lifecycle: {
        ...r.lifecycle,
        ...(pre ? { preconditions: pre } : {}),
        ...(post ? { postconditions: post } : {}),
        ...(r.lifecycle.replaceTriggeredBy
          ? { replaceTriggeredBy: r.lifecycle.replaceTriggeredBy.map(wrap) }
          : {}),
      },
    };
    out.resources.push(block);
    addresses.push(block.address);
  }
  for (const l of c.locals)
    out.locals.push({ name: join(n.prefix, `local.${l.name}`), value: wrap(l.value), pos: l.pos });
  for (const v of c.variables)
    if (v.validations?.length)
      out.validations.push({
        subject: join(n.prefix, `var.${v.name}`),
        conditions: conds(v.validations) ?? [],
      });
  // A child's output is a local of the whole configuration; one declared sensitive is marked
  // for its callers, as in terraform.
  for (const o of c.outputs)
    out.locals.push({
      name: join(n.prefix, `output.${o.name}`),
      value: o.sensitive ? new MarkedExpr(wrap(o.value)) : wrap(o.value),
      pos: o.pos,
      output: { name: o.name, module: n.prefix, sensitive: o.sensitive },
    });
  for (const d of c.dataSources ?? [])
    out.dataSources.push({
      ...d,
      address: join(n.prefix, d.address),
      module: n.prefix,
      attributes: wrapAll(d.attributes),
      dependsOn: deps(d.dependsOn),
      preconditions: conds(d.preconditions) ?? [],
      postconditions: conds(d.postconditions) ?? [],
    });
  for (const ch of c.checks ?? [])
    out.checks.push({
      ...ch,
      ...(n.prefix ? { module: n.prefix } : {}),
      asserts: conds(ch.asserts) ?? [],
    });
  // moved / removed in a child module are relative to it.
  for (const m of c.moved ?? [])
    out.moved.push({ ...m, from: join(n.prefix, m.from), to: join(n.prefix, m.to) });
  for (const r of c.removed ?? []) out.removed.push({ ...r, from: join(n.prefix, r.from) });
  out.resourcesOf.set(n.prefix, addresses);
  return addresses;
}
