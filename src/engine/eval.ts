// The evaluation scope shared by plan, apply and the provider settings: what `var.NAME`,
// `local.NAME`, `TYPE.NAME`, `count.index`, `terraform.workspace` and `path.*` resolve to, how a block's attributes are
// evaluated for one instance, and which resource instance each attribute reads (for the rules).

import { resolve } from 'node:path';
import { DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { referenceAddress } from '../model/reference.js';
import { markSensitive, unmark, type SensitivePath, type Value } from '../model/values.js';
import type { Attrs } from '../resources/types.js';
import type { EvalScope, ResourceBlock, SourcePos } from './config/types.js';

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

export function makeScope(env: EvalEnv, countIndex?: number): EvalScope {
  return {
    baseDir: env.baseDir,
    lookup(root: string): Value | undefined {
      if (root === 'count.index') return countIndex;
      if (root === 'terraform.workspace') return env.workspace ?? 'default';
      if (root.startsWith('path.')) return pathValue(root, env);
      if (root.startsWith('var.')) {
        const name = root.slice(4);
        if (!Object.prototype.hasOwnProperty.call(env.vars, name)) return undefined;
        const v = env.vars[name]!;
        return env.sensitiveVars?.has(name) ? markSensitive(v) : v;
      }
      if (root.startsWith('local.')) return env.locals.get(root.slice(6));
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
