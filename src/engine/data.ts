// The engine's data-source read path (docs/configuration.md, "Data sources"): a `data` block is
// evaluated when the graph walk reaches it; when its argument is known and nothing it depends on
// has changes planned, it is read at plan time through the data source declarations of
// src/resources/data-sources.ts (EngineDeps.dataSources); otherwise the read waits for apply, as
// terraform defers it. Its preconditions are checked before the read, its postconditions (with
// `self`) after. A not-found lookup is IMPORT_NOT_FOUND with the block's address and line; in a
// check block every failure is a warning. A block with `count` or `for_each` is read once per
// instance (`data.TYPE.NAME[0]`, `data.TYPE.NAME["k"]`), and `data.TYPE.NAME` is then the list
// or the map of what they read, as for resources (readDataInstances).

import { formatAddress, withModule, type InstanceKey } from '../model/address.js';
import { diag, DiagnosticError, hasErrors, type Diagnostic } from '../model/diagnostics.js';
import { containsUnknown, Unknown, type Value } from '../model/values.js';
import type { Attrs, ProviderContext } from '../resources/types.js';
import { checkConditions, selfScope } from './conditions.js';
import type { Condition, Config, DataBlock, EvalScope, Expr } from './config/types.js';
import { suggestion } from './config/suggest.js';
import type { DataSourceType } from './deps.js';
import {
  blockValue,
  evaluateAttributes,
  forEachInstances,
  makeScope,
  type EachBinding,
  type EvalEnv,
} from './eval.js';
import type { DataRead } from './plan-types.js';
import { errorMessage } from './util.js';

export interface DataOutcome {
  /** What `data.TYPE.NAME` evaluates to: the object read, or Unknown until apply. */
  value: Value;
  /** The read to show in the plan (absent on an error). */
  read?: DataRead;
  diagnostics: Diagnostic[];
  /** Postconditions not decidable yet. */
  unknown: Condition[];
}

export interface DataReadOptions {
  /** Why the read must wait for apply even with known arguments (a dependency has changes). */
  deferReason?: string;
  /** `cmek validate`: evaluate and check, never read. */
  validateOnly?: boolean;
  getCtx: () => Promise<ProviderContext>;
}

/** Evaluate a data block and read it when it can be read now. */
export async function readDataBlock(
  block: DataBlock,
  dt: DataSourceType | undefined,
  scope: EvalScope,
  types: readonly string[],
  o: DataReadOptions,
): Promise<DataOutcome> {
  const diags: Diagnostic[] = [];
  const failed = (): DataOutcome => ({
    value: new Unknown(),
    diagnostics: soften(block, diags),
    unknown: [],
  });
  const at = { address: block.address, file: block.pos.file, line: block.pos.line };
  if (!dt) {
    diags.push(
      diag(
        'CONFIG_UNSUPPORTED',
        `Unsupported data source type "${block.type}"`,
        `cmek reads the data sources ${types.join(', ')}. ${suggestion(block.type, [...types], 'data sources')}`,
        at,
      ),
    );
    return failed();
  }
  const attrs = evaluateAttributes(block, scope, diags);
  for (const [k, e] of Object.entries(block.attributes))
    if (k !== dt.lookup)
      diags.push(
        diag(
          'CONFIG_SCHEMA',
          `Unsupported argument "${k}" in data "${block.type}"`,
          `data "${block.type}" takes one argument, ${dt.lookup}; its other attributes are read from the object.`,
          { address: block.address, attribute: k, file: e.pos.file, line: e.pos.line },
        ),
      );
  if (!(dt.lookup in block.attributes))
    diags.push(
      diag(
        'CONFIG_SCHEMA',
        `Missing required argument "${dt.lookup}" in data "${block.type}"`,
        `Write ${dt.lookup} = "..." naming the object to read.`,
        at,
      ),
    );
  if (!attrs || hasErrors(diags)) return failed();
  const pre = checkConditions(block.preconditions, scope, block.address);
  diags.push(...pre.diagnostics);
  if (hasErrors(diags)) return failed();
  const config: Attrs = {};
  const unknownArgs: string[] = [];
  for (const [k, v] of Object.entries(attrs))
    if (!containsUnknown(v)) config[k] = v;
    else unknownArgs.push(k);
  const base = {
    address: block.address,
    ...(block.module ? { module: block.module } : {}), // MODULES
    type: block.type,
    name: block.name,
    config,
    ...(unknownArgs.length ? { unknownArgs } : {}),
    pos: block.pos,
    ...(block.check ? { check: block.check } : {}),
  };
  const deferred =
    containsUnknown(attrs) || pre.unknown.length
      ? `its ${dt.lookup} is not known until apply`
      : o.deferReason;
  if (deferred || o.validateOnly)
    return {
      value: new Unknown(),
      ...(o.validateOnly ? {} : { read: { ...base, result: null, deferred } }),
      diagnostics: diags,
      unknown: [],
    };
  let result: Attrs;
  try {
    result = await dt.read(attrs, await o.getCtx());
  } catch (e) {
    const lookupPos = block.attributes[dt.lookup]?.pos ?? block.pos;
    const where = { address: block.address, file: lookupPos.file, line: lookupPos.line };
    if (e instanceof DiagnosticError) diags.push(...e.diagnostics.map((d) => ({ ...d, ...where })));
    else
      diags.push(
        diag(
          'KMS_ERROR',
          `Reading ${block.address} failed`,
          `${errorMessage(e)}\nCheck the provider "cmek" block (data_dir, kms) and retry.`,
          where,
        ),
      );
    return failed();
  }
  const post = checkConditions(block.postconditions, selfScope(scope, result), block.address);
  diags.push(...post.diagnostics);
  return {
    value: result,
    read: { ...base, result },
    diagnostics: soften(block, diags),
    unknown: post.unknown,
  };
}

/** One instance of a data block: its key (none without count / for_each) and `each`. */
export interface DataInstance {
  key?: InstanceKey;
  each?: EachBinding;
}

/** The address of one instance: `data.TYPE.NAME`, `data.TYPE.NAME[0]`, `data.TYPE.NAME["k"]`
 * (prefixed by the module instance in a child module). */
export function dataInstanceAddress(block: DataBlock, key: InstanceKey | undefined): string {
  return withModule(block.module, `data.${formatAddress(block.type, block.name, key)}`);
}

/** Read every instance of a data block (the instances its count / for_each gives, evaluated by
 * the caller), each in its own scope (`count.index`, `each.key`, `each.value`). `value` is what
 * `data.TYPE.NAME` evaluates to: the one object, or the list (count) or map (for_each) of the
 * instances' objects. Each read carries its instance key. */
export async function readDataInstances(
  block: DataBlock,
  instances: readonly DataInstance[],
  dt: DataSourceType | undefined,
  env: EvalEnv,
  types: readonly string[],
  o: DataReadOptions,
): Promise<{ value: Value; outcomes: Array<DataOutcome & { address: string }> }> {
  const outcomes: Array<DataOutcome & { address: string }> = [];
  const values: Array<{ key?: InstanceKey; value: Value }> = [];
  for (const inst of instances) {
    const address = dataInstanceAddress(block, inst.key);
    const scope = makeScope(
      env,
      inst.each ?? (typeof inst.key === 'number' ? inst.key : undefined),
    );
    const out = await readDataBlock({ ...block, address }, dt, scope, types, o);
    if (out.read && inst.key !== undefined) out.read.index = inst.key;
    outcomes.push({ ...out, address });
    values.push(
      inst.key === undefined ? { value: out.value } : { key: inst.key, value: out.value },
    );
  }
  return { value: blockValue(block, values), outcomes };
}

/** `data.TYPE.NAME` of a read (`module.a.data.TYPE.NAME` in a module instance), whatever its
 * instance key. */
export function dataBlockAddress(r: { type: string; name: string; module?: string }): string {
  return withModule(r.module, `data.${r.type}.${r.name}`);
}

/** The scope of one instance read at apply: `count.index`, or `each` from the for_each value
 * evaluated now (what it reads is applied by then). */
export function dataInstanceScope(
  block: DataBlock,
  key: InstanceKey | undefined,
  env: EvalEnv,
): EvalScope {
  if (typeof key === 'number') return makeScope(env, key);
  if (typeof key !== 'string' || !block.forEach) return makeScope(env);
  const each = forEachInstances(block, makeScope(env), [])?.find((e) => e.key === key);
  return makeScope(env, each ?? { key, value: new Unknown() });
}

/** `data.TYPE.NAME` at apply: the one object, or the list / map of the instances' objects. */
export function dataValueAt(
  block: DataBlock,
  reads: readonly DataRead[],
  valueOf: (address: string) => Value | undefined,
): Value | undefined {
  if (!block.count && !block.forEach) return valueOf(block.address);
  return blockValue(
    block,
    reads
      .filter((r) => dataBlockAddress(r) === block.address)
      .map((r) => ({
        ...(r.index !== undefined ? { key: r.index } : {}),
        value: valueOf(r.address) ?? new Unknown(),
      })),
  );
}

/** In a check block, a data source that cannot be read is a warning (CHECK_FAILED). */
function soften(block: DataBlock, diags: Diagnostic[]): Diagnostic[] {
  if (!block.check) return diags;
  return diags.map((d) =>
    d.severity === 'error'
      ? {
          ...d,
          code: 'CHECK_FAILED',
          severity: 'warning',
          summary: `check "${block.check}": ${d.summary}`,
          detail: `${d.detail}\n(${d.code}; a check block's data source only warns.)`,
        }
      : d,
  );
}

/** The data sources some expressions read, directly or through locals and other data sources,
 * dependencies first. */
export function dataRootsOf(exprs: Iterable<Expr>, config: Config): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const locals = new Map(config.locals.map((l) => [l.name, l]));
  const datas = new Map((config.dataSources ?? []).map((d) => [d.address, d]));
  const visit = (e: Expr) => {
    for (const r of e.references) {
      const key = r.kind === 'local' ? `local.${r.name}` : r.kind === 'other' ? r.root : undefined;
      if (!key || seen.has(key)) continue;
      seen.add(key);
      if (r.kind === 'local') {
        const l = locals.get(r.name);
        if (l) visit(l.value);
      } else {
        const d = datas.get(key);
        if (!d) continue;
        for (const x of [...Object.values(d.attributes), d.count, d.forEach]) if (x) visit(x);
        out.push(key);
      }
    }
  };
  for (const e of exprs) visit(e);
  return out;
}
