// Type conversion functions (tostring, tonumber, tobool, tolist, toset, tomap) and terraform's
// rule for making one element type out of several (a list of a string and a number is a list of
// strings); try() and can(), which evaluate their arguments themselves.

import { DiagnosticError } from '../../../model/diagnostics.js';
import { containsUnknown, isUnknown, UNKNOWN, type Value } from '../../../model/values.js';
import type { Node } from '../ast.js';
import { evaluateNode, fail, setKey, typeName, type EvalContext } from '../evaluate.js';
import {
  argError,
  family,
  isObject,
  numberToString,
  parseNumber,
  toSet,
  type Call,
} from './support.js';

type Kind = 'string' | 'number' | 'bool' | 'list' | 'map' | 'null';

function kindOf(v: Value): Kind {
  if (v === null || isUnknown(v)) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  return 'map';
}

/** Elements converted to one type as terraform unifies them: primitives of different types
 * become strings; collections must be of one kind. `undefined` when there is no such type. */
export function unify(items: Value[]): Value[] | undefined {
  const kinds = new Set(items.map(kindOf));
  kinds.delete('null');
  if (kinds.size <= 1) return items;
  if ([...kinds].every((k) => k === 'string' || k === 'number' || k === 'bool')) {
    if (!kinds.has('string')) return undefined;
    return items.map((x) =>
      x === null || isUnknown(x) ? x : typeof x === 'number' ? numberToString(x) : String(x),
    );
  }
  return undefined;
}

function unifyOrFail(items: Value[], c: Call, what: string): Value[] {
  const u = unify(items);
  if (!u) return argError(c, 0, `all ${what} must have the same type`);
  return u;
}

export const CONVERSION_FUNCTIONS = family('conversion', {
  tostring: [
    'tostring(v)',
    'the value as a string (numbers and bools convert; null stays null)',
    ([v], c) => {
      if (v === null || typeof v === 'string') return v!;
      if (typeof v === 'number') return numberToString(v);
      if (typeof v === 'boolean') return String(v);
      return argError(c, 0, `cannot convert ${typeName(v!)} to string`);
    },
    { nullOk: true },
  ],
  tonumber: [
    'tonumber(v)',
    'the value as a number (numeric strings convert; null stays null)',
    ([v], c) => {
      if (v === null || typeof v === 'number') return v!;
      if (typeof v === 'string') {
        const n = parseNumber(v);
        if (n === undefined) return argError(c, 0, 'a number is required');
        return n;
      }
      return argError(c, 0, `cannot convert ${typeName(v!)} to number`);
    },
    { nullOk: true },
  ],
  tobool: [
    'tobool(v)',
    'the value as a bool (`"true"` and `"false"` convert; null stays null)',
    ([v], c) => {
      if (v === null || typeof v === 'boolean') return v!;
      if (v === 'true' || v === 'false') return v === 'true';
      return argError(
        c,
        0,
        typeof v === 'string' ? 'a bool is required' : `cannot convert ${typeName(v!)} to bool`,
      );
    },
    { nullOk: true },
  ],
  tolist: [
    'tolist(v)',
    'a list or set as a list of one element type',
    ([v], c) => {
      if (v === null) return null;
      if (!Array.isArray(v))
        return argError(c, 0, `cannot convert ${typeName(v!)} to list of any single type`);
      return unifyOrFail(v, c, 'elements');
    },
    { nullOk: true, innerUnknownOk: true },
  ],
  toset: [
    'toset(v)',
    "a list as a set: distinct elements of one type, in terraform's set order",
    ([v], c) => {
      if (v === null) return null;
      if (!Array.isArray(v))
        return argError(c, 0, `cannot convert ${typeName(v!)} to set of any single type`);
      return toSet(unifyOrFail(v, c, 'elements'));
    },
    { nullOk: true },
  ],
  tomap: [
    'tomap(v)',
    'an object as a map of one element type',
    ([v], c) => {
      if (v === null) return null;
      if (!isObject(v!))
        return argError(c, 0, `cannot convert ${typeName(v!)} to map of any single type`);
      const keys = Object.keys(v);
      const vals = unifyOrFail(
        keys.map((k) => v[k]!),
        c,
        'map elements',
      );
      const out: Record<string, Value> = {};
      keys.forEach((k, i) => setKey(out, k, vals[i]!));
      return out;
    },
    { nullOk: true, innerUnknownOk: true },
  ],
  try: [
    'try(...expressions)',
    'the value of the first argument that evaluates without an error',
    () => null,
  ],
  can: ['can(expression)', 'whether the expression evaluates without an error', () => null],
});

/** try() and can(): they see their arguments' errors, so they get the unevaluated arguments. */
export const LAZY_FUNCTIONS = new Set(['try', 'can']);

export function callLazy(name: string, args: Node[], ctx: EvalContext, line: number): Value {
  const attempt = (n: Node): { ok: true; v: Value } | { ok: false; e: DiagnosticError } => {
    try {
      return { ok: true, v: evaluateNode(n, ctx) };
    } catch (e) {
      if (e instanceof DiagnosticError) return { ok: false, e };
      throw e;
    }
  };
  if (name === 'can') {
    if (args.length !== 1)
      return fail(
        ctx,
        line,
        'CONFIG_FUNCTION',
        args.length ? 'Too many function arguments' : 'Not enough function arguments',
        'Function "can" expects 1 argument(s).',
      );
    const r = attempt(args[0]!);
    if (r.ok && containsUnknown(r.v)) return UNKNOWN;
    return r.ok;
  }
  if (args.length === 0)
    return fail(
      ctx,
      line,
      'CONFIG_FUNCTION',
      'Not enough function arguments',
      'Function "try" expects at least 1 argument(s).',
    );
  const errors: string[] = [];
  for (const a of args) {
    const r = attempt(a);
    if (r.ok) return isUnknown(r.v) ? UNKNOWN : r.v;
    errors.push(r.e.diagnostics.map((d) => `${d.summary}: ${d.detail}`).join('; '));
  }
  return fail(
    ctx,
    line,
    'CONFIG_FUNCTION',
    'Error in function call',
    `Call to function "try" failed: no expression succeeded: ${errors.join('; ')}.`,
  );
}
