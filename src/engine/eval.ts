// The evaluation scope shared by plan, apply and the provider settings: what `var.NAME`,
// `local.NAME`, `TYPE.NAME`, `count.index`, `each.key`/`each.value`, `terraform.workspace` and
// `path.*` resolve to, how a block's for_each value becomes its instances, how a block's
// attributes are evaluated for one instance, and which resource instance each attribute reads
// (for the rules).

import { resolve } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { referenceAddress } from '../model/reference.js';
import {
  containsSensitive,
  containsUnknown,
  markSensitive,
  Sensitive,
  stripMarks,
  Unknown,
  unmark,
  type SensitivePath,
  type Value,
} from '../model/values.js';
import type { Attrs } from '../resources/types.js';
import type { EvalScope, Expr, ResourceBlock, SourcePos } from './config/types.js';

/** Values visible to expressions: variables, locals, resource objects (an object per block, or
 * a list of objects for blocks with count). Plan fills Maps as it walks the graph; apply answers
 * from what has been applied so far. */
export interface EvalEnv {
  vars: Record<string, Value>;
  /** Variables declared `sensitive = true`: their values are marked when read. */
  sensitiveVars?: ReadonlySet<string>;
  locals: { get(name: string): Value | undefined };
  resources: { get(block: string): Value | undefined };
  baseDir: string;
  /** `terraform.workspace`: the selected workspace (default "default"). */
  workspace?: string;
  /** `path.module`: the module's directory relative to the working directory (the root
   * module's is "."). */
  modulePath?: string;
}

const NO_VALUES: EvalEnv['locals'] = { get: () => undefined };

/** An environment with variables only (the provider block, variable defaults). */
export function varsEnv(vars: Record<string, Value>, baseDir: string, workspace?: string): EvalEnv {
  return {
    vars,
    locals: NO_VALUES,
    resources: NO_VALUES,
    baseDir,
    ...(workspace !== undefined ? { workspace } : {}),
  };
}

/** `each.key` and `each.value` of one instance of a block with for_each. */
export interface EachBinding {
  key: string;
  value: Value;
}

/** A scope for the block level (no instance), one instance of a block with count (its index),
 * or one of a block with for_each (its each binding). */
export function makeScope(env: EvalEnv, instance?: number | EachBinding): EvalScope {
  const countIndex = typeof instance === 'number' ? instance : undefined;
  const each = typeof instance === 'object' ? instance : undefined;
  return {
    baseDir: env.baseDir,
    lookup(root: string): Value | undefined {
      if (root === 'count.index') return countIndex;
      if (root === 'each.key') return each?.key;
      if (root === 'each.value') return each?.value;
      if (root === 'terraform.workspace') return env.workspace ?? 'default';
      if (root.startsWith('path.')) return pathValue(root, env);
      if (root.startsWith('var.')) {
        const name = root.slice(4);
        if (!Object.prototype.hasOwnProperty.call(env.vars, name)) return undefined;
        const v = env.vars[name]!;
        return env.sensitiveVars?.has(name) ? markSensitive(v) : v;
      }
      if (root.startsWith('local.')) return env.locals.get(root.slice(6));
      // MODULES: `module.NAME` of the root module is a local of that name (expand.ts).
      if (root.startsWith('module.') && !root.includes('.', 7)) return env.locals.get(root);
      return env.resources.get(root);
    },
  };
}

/** `path.module`, `path.root` and `path.cwd` as terraform gives them: the module directory and
 * the root module relative to the working directory (the root module's directory, baseDir),
 * and the working directory as an absolute path. */
function pathValue(root: string, env: EvalEnv): Value | undefined {
  if (root === 'path.module') return env.modulePath ?? '.';
  if (root === 'path.root') return '.';
  if (root === 'path.cwd') return resolve(env.baseDir);
  return undefined;
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

/** Evaluate a block's attributes for one instance; nulls mean "not set" as in Terraform.
 * The attributes come back without sensitivity marks (resources see plain values); the paths
 * that were marked are added to `sensitive` when given. */
export function evaluateAttributes(
  block: Pick<ResourceBlock, 'attributes'>,
  scope: EvalScope,
  diags: Diagnostic[],
  sensitive?: SensitivePath[],
): Attrs | undefined {
  const attrs: Attrs = {};
  let ok = true;
  for (const [k, e] of Object.entries(block.attributes)) {
    const before = diags.length;
    const marked = evalExpr(e, scope, diags);
    if (marked === undefined) {
      if (diags.length > before) ok = false;
      continue;
    }
    const { value: v, paths } = unmark(marked);
    if (v === null) continue;
    attrs[k] = v;
    for (const p of paths) sensitive?.push([k, ...p]);
  }
  return ok ? attrs : undefined;
}

export function attrPositions(block: ResourceBlock): Record<string, SourcePos> {
  const out: Record<string, SourcePos> = {};
  for (const [k, e] of Object.entries(block.attributes)) out[k] = e.pos;
  return out;
}

/** Attribute → address of the resource instance its expression reads, for the rules: the
 * expression's references with their instance keys evaluated in the instance's scope
 * (`k[count.index]` → `k[2]`); a reference to a whole block gives the block address. */
export function attrRefs(block: ResourceBlock, scope: EvalScope): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attr, e] of Object.entries(block.attributes)) {
    if (!e.references.some((r) => r.kind === 'resource')) continue;
    for (const ref of e.instanceReferences(scope)) {
      if (ref.kind !== 'resource') continue;
      out[attr] = referenceAddress(ref);
      break;
    }
  }
  return out;
}

/** A block that may have several instances: a resource, or a data source (`data.TYPE.NAME`). */
export type Expandable = Pick<ResourceBlock, 'address' | 'count' | 'forEach'>;

/** The value `TYPE.NAME` has in expressions, from its instances' values in key order: a list
 * with count, an object keyed by each.key with for_each (as terraform), else the one object. */
export function blockValue(
  block: Expandable,
  instances: ReadonlyArray<{ key?: number | string; value: Value }>,
): Value {
  if (block.count) return instances.map((i) => i.value);
  if (block.forEach) {
    const out: Record<string, Value> = {};
    for (const i of instances) if (typeof i.key === 'string') out[i.key] = i.value;
    return out;
  }
  return instances[0]?.value ?? new Unknown();
}

/** A diagnostic about the for_each argument of a block, at its line. */
function forEachDiag(
  block: Expandable,
  code: 'CONFIG_SCHEMA' | 'CONFIG_UNSUPPORTED',
  detail: string,
): Diagnostic {
  return diag(code, 'Invalid for_each argument', detail, {
    address: block.address,
    attribute: 'for_each',
    file: block.forEach!.pos.file,
    line: block.forEach!.pos.line,
  });
}

/** The instances a for_each value makes, with terraform's rules: a map (object) gives one per
 * key with its value; a set (a list: cmek does not tell sets from lists) of strings one per
 * distinct string, each.value = each.key; null, unknown keys, sensitive values, non-string
 * set elements and null elements are errors. Unknown map values are fine (only the keys must
 * be known). `validateOnly`: an unknown value gives no instances and no error (validate). */
export function forEachInstances(
  block: Expandable,
  scope: EvalScope,
  diags: Diagnostic[],
  validateOnly = false,
): EachBinding[] | undefined {
  const marked = evalExpr(block.forEach!, scope, diags);
  if (marked === undefined) return undefined;
  if (marked instanceof Sensitive || (Array.isArray(marked) && containsSensitive(marked))) {
    diags.push(
      forEachDiag(
        block,
        'CONFIG_SCHEMA',
        'Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments. If used, the sensitive value could be exposed as a resource instance key.',
      ),
    );
    return undefined;
  }
  if (marked === null) {
    diags.push(
      forEachDiag(
        block,
        'CONFIG_SCHEMA',
        'The given "for_each" argument value is unsuitable: the given "for_each" argument value is null. A map, or set of strings is allowed.',
      ),
    );
    return undefined;
  }
  const isSet = Array.isArray(marked);
  if (
    marked instanceof Unknown ||
    (isSet && marked.some((x) => stripMarks(x) instanceof Unknown))
  ) {
    if (validateOnly) return [];
    diags.push(
      forEachDiag(
        block,
        'CONFIG_UNSUPPORTED',
        (isSet
          ? 'The "for_each" set includes values derived from resource attributes that cannot be determined until apply, and so cmek cannot determine the full set of keys that will identify the instances of this resource. '
          : 'The "for_each" map includes keys derived from resource attributes that cannot be determined until apply, and so cmek cannot determine the full set of keys that will identify the instances of this resource. ') +
          'When working with unknown values in for_each, define the map keys statically in your configuration and place apply-time results only in the map values. ' +
          'Alternatively, use -target to first apply only the resources that the for_each value depends on, and then apply a second time.',
      ),
    );
    return undefined;
  }
  if (isSet) {
    const out = new Map<string, EachBinding>();
    for (const x of marked) {
      const v = stripMarks(x);
      if (v === null) {
        diags.push(
          forEachDiag(
            block,
            'CONFIG_SCHEMA',
            'The given "for_each" argument value is unsuitable: "for_each" sets must not contain null values.',
          ),
        );
        return undefined;
      }
      if (typeof v !== 'string') {
        diags.push(
          forEachDiag(
            block,
            'CONFIG_SCHEMA',
            `The given "for_each" argument value is unsuitable: "for_each" supports maps and sets of strings, but you have provided a set containing type ${typeWord(v)}.`,
          ),
        );
        return undefined;
      }
      out.set(v, { key: v, value: v });
    }
    return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  if (typeof marked !== 'object') {
    diags.push(
      forEachDiag(
        block,
        'CONFIG_SCHEMA',
        `The given "for_each" argument value is unsuitable: the "for_each" argument must be a map, or set of strings, and you have provided a value of type ${typeWord(marked)}.`,
      ),
    );
    return undefined;
  }
  return Object.keys(marked)
    .sort()
    .map((key) => ({ key, value: (marked as Record<string, Value>)[key]! }));
}

function typeWord(v: Value): string {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'tuple';
  return 'object';
}

/** The instance indexes a `count` value makes (0..n-1), with terraform's rules: a whole number
 * >= 0 (a numeric string, as an untyped -var gives, is converted) known at plan time.
 * `validateOnly`: an unknown count gives no instances and no error (validate). Used for
 * resource blocks and module calls (`address`). */
export function countInstances(
  count: Expr,
  address: string,
  scope: EvalScope,
  diags: Diagnostic[],
  validateOnly = false,
): number[] | undefined {
  const marked = evalExpr(count, scope, diags);
  if (marked === undefined) return undefined;
  const v = stripMarks(marked);
  const at = { address, attribute: 'count', file: count.pos.file, line: count.pos.line };
  if (v instanceof Unknown || containsUnknown(v)) {
    if (validateOnly) return [];
    diags.push(
      diag(
        'CONFIG_UNSUPPORTED',
        'Invalid count argument',
        'The count value depends on attributes that are known only after apply, so cmek cannot tell how many instances to plan. ' +
          'Use a value known at plan time (a literal, a variable or a local), or apply the resources it depends on first with -target=ADDRESS.',
        at,
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
        at,
      ),
    );
    return undefined;
  }
  return Array.from({ length: n }, (_, i) => i);
}
