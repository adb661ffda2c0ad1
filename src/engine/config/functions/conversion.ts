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
 * become strings; collections must be of one kind, and their contents are unified too (lists
 * of one length element by element, as tuples; of several lengths as one list; objects with
 * the same keys key by key; with other keys as one map). `undefined` when there is no such
 * type. An element that needs no conversion is returned as it was. */
export function unify(items: Value[]): Value[] | undefined {
  const present = items.filter((x) => x !== null && !isUnknown(x));
  const kinds = new Set(present.map(kindOf));
  if (kinds.size === 0) return items;
  if (kinds.size > 1) {
    if (![...kinds].every((k) => k === 'string' || k === 'number' || k === 'bool'))
      return undefined;
    if (!kinds.has('string')) return undefined;
    return items.map((x) =>
      x === null || isUnknown(x) ? x : typeof x === 'number' ? numberToString(x) : String(x),
    );
  }
  const kind = [...kinds][0];
  if (kind === 'list') {
    const lists = present as Value[][];
    const n = lists[0]!.length;
    if (lists.every((l) => l.length === n)) {
      const cols: Value[][] = [];
      for (let i = 0; i < n; i++) {
        const col = unify(lists.map((l) => l[i]!));
        if (!col) return undefined;
        cols.push(col);
      }
      let j = 0;
      return rebuild(items, (l) => {
        const row = j++;
        return (l as Value[]).map((_, i) => cols[i]![row]!);
      });
    }
    const all = unify(lists.flat());
    if (!all) return undefined;
    let at = 0;
    return rebuild(items, (l) => {
      const part = all.slice(at, at + (l as Value[]).length);
      at += (l as Value[]).length;
      return part;
    });
  }
  if (kind === 'map') {
    const maps = present as Array<Record<string, Value>>;
    const keys = Object.keys(maps[0]!).sort().join('\u0000');
    const same = maps.every((m) => Object.keys(m).sort().join('\u0000') === keys);
    const names = same ? Object.keys(maps[0]!) : undefined;
    const values = same
      ? names!.map((k) => unify(maps.map((m) => m[k]!)))
      : [unify(maps.flatMap((m) => Object.values(m)))];
    if (values.some((v) => !v)) return undefined;
    let row = 0;
    let at = 0;
    return rebuild(items, (m) => {
      const o = m as Record<string, Value>;
      const out: Record<string, Value> = {};
      if (names) for (const [i, k] of names.entries()) setKey(out, k, values[i]![row]!);
      else for (const k of Object.keys(o)) setKey(out, k, values[0]![at++]!);
      row++;
      return out;
    });
  }
  return items;
}

/** Items with each collection replaced by `convert`'s copy, or kept where nothing changed. */
function rebuild(items: Value[], convert: (x: Value) => Value): Value[] {
  return items.map((x) => {
    if (x === null || isUnknown(x)) return x;
    const y = convert(x);
    return sameValue(x, y) ? x : y;
  });
}

function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]!));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => sameValue(a[k]!, b[k]!));
  }
  return false;
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
