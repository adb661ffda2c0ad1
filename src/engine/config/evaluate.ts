// Evaluates parsed expressions (ast.ts) against an EvalScope. Semantics follow Terraform: a
// template that is a single interpolation yields the value unconverted; any operation on an
// Unknown yields Unknown, but a plain reference passes the referenced Unknown through untouched
// so the KeyFacts it carries reach the CMEK rules (so do the elements a `for` expression or a
// splat passes on). `for` expressions walk lists by index and maps by key in lexical order; an
// unknown collection, filter or key makes the whole result unknown, as does an unknown
// condition or collection of a template directive. Names bound by `for` live in the context
// (EvalContext.bound), not in the scope.
// Sensitivity marks travel as Terraform's do: the result of any operation or function call on
// a marked (`Sensitive`) value is marked; lists and objects keep the marks of their elements;
// reading an element of a marked list or object gives a marked element.

import { diag, DiagnosticError, type DiagnosticCode } from '../../model/diagnostics.js';
import {
  containsSensitive,
  containsUnknown,
  isUnknown,
  markSensitive,
  Sensitive,
  stripMarks,
  UNKNOWN,
  Unknown,
  unmarkAll,
  withMark,
  type Value,
} from '../../model/values.js';
import type { Node } from './ast.js';
import {
  callFunction,
  callLazy,
  checkTemplateArgument,
  LAZY_FUNCTIONS,
  numberToString,
  parseNumber,
} from './functions/index.js';
import { unify } from './functions/conversion.js';
import { suggestion } from './suggest.js';
import type { EvalScope } from './types.js';

export interface EvalContext {
  scope: EvalScope;
  file: string;
  /** Names bound by the enclosing `for` expressions and `%{for}` directives. */
  bound?: ReadonlyMap<string, Value>;
  /** The element a splat's traversal is applied to (the `splatItem` leaf). */
  item?: Value;
  /** Inside a template rendered by templatefile or templatestring: the functions terraform
   * refuses there are refused (functions/template.ts). */
  template?: 'file' | 'string';
}

export function fail(
  ctx: EvalContext,
  line: number,
  code: DiagnosticCode,
  summary: string,
  detail: string,
): never {
  throw new DiagnosticError(diag(code, summary, detail, { file: ctx.file, line }));
}

/** Set an own property, even one named `__proto__` (a plain assignment would change the
 * object's prototype instead: user keys must never do that). */
export function setKey<T>(o: Record<string, T>, k: string, v: T): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (isUnknown(v)) return 'unknown';
  if (v instanceof Sensitive) return typeName(v.value);
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

export function evaluateNode(n: Node, ctx: EvalContext): Value {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'bad':
      // Reached only when the caller ignored the load diagnostics; Expr.evaluate throws them.
      return fail(
        ctx,
        n.line,
        'CONFIG_SYNTAX',
        'Invalid expression',
        'See the earlier diagnostics for this line.',
      );
    case 'tmpl': {
      const only = n.parts.length === 1 ? n.parts[0]! : undefined;
      if (only !== undefined && typeof only !== 'string' && !isDirective(only))
        return evaluateNode(only, ctx);
      return templateString(n.parts, ctx);
    }
    case 'ref': {
      const b = ctx.bound?.get(n.root);
      if (b !== undefined) return b;
      const v = ctx.scope.lookup(n.root, { file: ctx.file, line: n.line });
      if (v === undefined) return undeclared(n.root, ctx, n.line);
      return v;
    }
    case 'attr': {
      const o = evaluateNode(n.obj, ctx);
      if (o instanceof Sensitive) return markSensitive(getAttr(o.value, n.name, ctx, n.line));
      return getAttr(o, n.name, ctx, n.line);
    }
    case 'index': {
      const o = evaluateNode(n.obj, ctx);
      const k = evaluateNode(n.key, ctx);
      if (o instanceof Sensitive || k instanceof Sensitive)
        return markSensitive(indexValue(stripMarks(o), stripMarks(k), ctx, n.line));
      return indexValue(o, k, ctx, n.line);
    }
    case 'call': {
      // try() and can() see their arguments' errors, so they evaluate the arguments themselves.
      if (LAZY_FUNCTIONS.has(n.name) && !n.expand) return callLazy(n.name, n.args, ctx, n.line);
      // templatestring takes its template only as a reference: the syntax is checked first.
      if (n.name === 'templatestring' && !n.expand && n.args.length === 2)
        checkTemplateArgument(n.args[0]!, {
          ctx,
          line: n.line,
          name: n.name,
          params: ['template', 'vars'],
        });
      let args = n.args.map((a) => evaluateNode(a, ctx));
      let expandMarked = false;
      if (n.expand) {
        const last = args.pop()!;
        expandMarked = last instanceof Sensitive;
        const list = stripOuter(last);
        if (isUnknown(list)) return withMark(UNKNOWN, expandMarked);
        if (!Array.isArray(list))
          return fail(
            ctx,
            n.line,
            'CONFIG_SCHEMA',
            'Invalid expanding argument value',
            list === null
              ? 'The expanding argument (indicated by ...) must not be null.'
              : `The expanding argument (indicated by ...) must be a list, tuple or set, not ${typeName(list)}.`,
          );
        args = [...args, ...list];
      }
      if (n.name === 'issensitive' && args.length === 1) return args[0] instanceof Sensitive;
      const { values, marked } = unmarkAll(args);
      const result = callFunction(n.name, values, ctx, n.line);
      // sensitive() marks its result; nonsensitive() is the one call whose result is not.
      if (n.name === 'sensitive') return markSensitive(result);
      if (n.name === 'nonsensitive') return withMark(result, expandMarked);
      return withMark(result, marked || expandMarked);
    }
    case 'unary': {
      const { values, marked } = unmarkAll([evaluateNode(n.x, ctx)]);
      const x = values[0]!;
      if (isUnknown(x)) return withMark(UNKNOWN, marked);
      return withMark(
        n.op === '-' ? -toNumber(x, ctx, n.line, '-') : !toBool(x, ctx, n.line, '!'),
        marked,
      );
    }
    case 'binary': {
      const { values, marked } = unmarkAll([evaluateNode(n.l, ctx), evaluateNode(n.r, ctx)]);
      const r = binary(n.op, values[0]!, values[1]!, ctx, n.line);
      if (typeof r === 'number' && !Number.isFinite(r)) return outOfRange(ctx, n.line);
      return withMark(r, marked);
    }
    case 'cond': {
      const mc = evaluateNode(n.c, ctx);
      const marked = mc instanceof Sensitive;
      const c = marked ? mc.value : mc;
      if (isUnknown(c)) return withMark(UNKNOWN, marked);
      const yes = condition(c, ctx, n.line, 'the condition of `? :`');
      const chosen = evaluateNode(yes ? n.t : n.f, ctx);
      return withMark(unifyResult(chosen, yes ? n.f : n.t, yes, ctx, n.line), marked);
    }
    case 'tuple':
      return n.items.map((i) => evaluateNode(i, ctx));
    case 'object': {
      const out: Record<string, Value> = {};
      let unknownKey = false;
      let markedKey = false;
      for (const { key, value } of n.items) {
        const mk = evaluateNode(key, ctx);
        if (mk instanceof Sensitive) markedKey = true;
        const k = mk instanceof Sensitive ? mk.value : mk;
        const v = evaluateNode(value, ctx);
        if (isUnknown(k)) {
          unknownKey = true;
          continue;
        }
        if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean')
          return fail(
            ctx,
            key.line,
            'CONFIG_SCHEMA',
            'Invalid object key',
            `An object key must be a string, not ${typeName(k)}.`,
          );
        setKey(out, String(k), v);
      }
      // A key that is sensitive makes the whole object sensitive.
      return withMark(unknownKey ? UNKNOWN : out, markedKey);
    }
    case 'for':
      return forExpression(n, ctx);
    case 'splat': {
      const src = evaluateNode(n.obj, ctx);
      const marked = src instanceof Sensitive;
      const o = stripOuter(src);
      if (isUnknown(o)) return withMark(UNKNOWN, marked);
      // Terraform: null gives an empty list, any other non-list value a one-element list.
      const items = o === null ? [] : Array.isArray(o) ? o : [o];
      return withMark(
        items.map((item) => evaluateNode(n.each, { ...ctx, item })),
        marked,
      );
    }
    case 'splatItem':
      if (!('item' in ctx))
        return fail(
          ctx,
          n.line,
          'CONFIG_SYNTAX',
          'Invalid expression',
          'A splat item outside a splat.',
        );
      return ctx.item!;
    case 'tmplIf':
    case 'tmplFor':
      return templateString([n], ctx);
  }
}

/** Whether a template part is a directive (a template with one is a string, never the value
 * of its only part). */
function isDirective(p: Node): boolean {
  return p.k === 'tmplIf' || p.k === 'tmplFor';
}

function stripOuter(v: Value): Value {
  return v instanceof Sensitive ? v.value : v;
}

/** A template's parts as one string: Unknown if any part is; marked if any part is. */
function templateString(parts: ReadonlyArray<string | Node>, ctx: EvalContext): Value {
  let out = '';
  let unknown = false;
  let marked = false;
  const add = (v: Value, line: number) => {
    if (v instanceof Sensitive) {
      marked = true;
      v = v.value;
    }
    if (isUnknown(v)) unknown = true;
    else if (!unknown) out += toTemplateString(v, ctx, line);
  };
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (p.k === 'tmplIf') {
      const mc = evaluateNode(p.c, ctx);
      if (mc instanceof Sensitive) marked = true;
      const c = stripOuter(mc);
      if (isUnknown(c)) unknown = true;
      else {
        const branch = condition(c, ctx, p.line, 'the condition of `%{if}`') ? p.t : p.f;
        if (branch) add(templateString(partsOf(branch), ctx), p.line);
      }
    } else if (p.k === 'tmplFor') {
      const mc = evaluateNode(p.coll, ctx);
      if (mc instanceof Sensitive) marked = true;
      const coll = stripOuter(mc);
      if (isUnknown(coll)) unknown = true;
      else
        for (const [k, v] of iterate(coll, ctx, p.line, '`%{for}` directive')) {
          const inner = bind(ctx, p.keyVar, k, p.valVar, v);
          add(templateString(partsOf(p.body), inner), p.line);
        }
    } else add(evaluateNode(p, ctx), p.line);
  }
  return withMark(unknown ? UNKNOWN : out, marked);
}

/** The parts of a directive's body (a `tmpl` node, a literal, or one interpolation). */
function partsOf(n: Node): ReadonlyArray<string | Node> {
  if (n.k === 'tmpl') return n.parts;
  if (n.k === 'lit' && typeof n.v === 'string') return n.v ? [n.v] : [];
  return [n];
}

function bind(
  ctx: EvalContext,
  keyVar: string | undefined,
  k: Value,
  valVar: string,
  v: Value,
): EvalContext {
  const bound = new Map(ctx.bound ?? []);
  if (keyVar !== undefined) bound.set(keyVar, k);
  bound.set(valVar, v);
  return { ...ctx, bound };
}

/** The (key, value) pairs a `for` walks, as terraform orders them: a list by index (the key is
 * the index), a map or object by key in lexical order. */
function iterate(coll: Value, ctx: EvalContext, line: number, what: string): Array<[Value, Value]> {
  if (coll === null)
    return fail(
      ctx,
      line,
      'CONFIG_SCHEMA',
      'Iteration over null value',
      `A null value cannot be used as the collection in a ${what}.`,
    );
  if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
  if (typeof coll === 'object' && !isUnknown(coll) && !(coll instanceof Sensitive))
    return Object.keys(coll)
      .sort(compareKeys)
      .map((k) => [k, coll[k]!]);
  return fail(
    ctx,
    line,
    'CONFIG_SCHEMA',
    'Iteration over non-iterable value',
    `A value of type ${typeName(coll)} cannot be used as the collection in a ${what}.`,
  );
}

/** Terraform orders map keys by their bytes (UTF-8), which is code point order. */
function compareKeys(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function forExpression(n: Extract<Node, { k: 'for' }>, ctx: EvalContext): Value {
  const src = evaluateNode(n.coll, ctx);
  let marked = src instanceof Sensitive;
  const coll = stripOuter(src);
  if (isUnknown(coll)) return withMark(UNKNOWN, marked);
  const list: Value[] = [];
  const obj: Record<string, Value> = {};
  const groups = new Map<string, Value[]>();
  let unknown = false;
  for (const [k, v] of iterate(coll, ctx, n.line, '`for` expression')) {
    const inner = bind(ctx, n.keyVar, k, n.valVar, v);
    if (n.cond) {
      const mc = evaluateNode(n.cond, inner);
      if (mc instanceof Sensitive) marked = true;
      const c = stripOuter(mc);
      if (isUnknown(c)) {
        unknown = true;
        continue;
      }
      if (!condition(c, ctx, n.cond.line, "the `for` expression's `if` condition")) continue;
    }
    if (!n.object) {
      list.push(evaluateNode(n.value, inner));
      continue;
    }
    const mk = evaluateNode(n.key!, inner);
    if (mk instanceof Sensitive) marked = true;
    const key = stripOuter(mk);
    const value = evaluateNode(n.value, inner);
    if (isUnknown(key)) {
      unknown = true;
      continue;
    }
    if (key === null)
      return fail(
        ctx,
        n.key!.line,
        'CONFIG_SCHEMA',
        'Invalid object key',
        'The key expression of a `for` expression must not produce a null value.',
      );
    if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean')
      return fail(
        ctx,
        n.key!.line,
        'CONFIG_SCHEMA',
        'Invalid object key',
        `The key expression produced ${typeName(key)}; a string is required.`,
      );
    const ks = typeof key === 'number' ? numberToString(key) : String(key);
    if (n.grouping) {
      const g = groups.get(ks);
      if (g) g.push(value);
      else groups.set(ks, [value]);
    } else {
      if (Object.prototype.hasOwnProperty.call(obj, ks))
        return fail(
          ctx,
          n.key!.line,
          'CONFIG_SCHEMA',
          'Duplicate object key',
          `Two different items produced the key "${ks}" in this \`for\` expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.`,
        );
      setKey(obj, ks, value);
    }
  }
  if (unknown) return withMark(UNKNOWN, marked);
  if (!n.object) return withMark(list, marked);
  if (n.grouping) for (const [k, g] of groups) setKey(obj, k, g);
  return withMark(sortedObject(obj), marked);
}

function sortedObject(o: Record<string, Value>): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const k of Object.keys(o).sort(compareKeys)) setKey(out, k, o[k]!);
  return out;
}

/** The chosen result of `c ? t : f` converted to the type both results share, as terraform
 * does: a number or bool beside a string becomes a string; a number beside a bool, or a list
 * beside an object, is an error. The other result is evaluated for its type only (its errors
 * do not count, as in terraform). */
function unifyResult(
  chosen: Value,
  otherNode: Node,
  yes: boolean,
  ctx: EvalContext,
  line: number,
): Value {
  let other: Value;
  try {
    other = evaluateNode(otherNode, ctx);
  } catch (e) {
    if (e instanceof DiagnosticError) return chosen;
    throw e;
  }
  const a = stripOuter(chosen);
  const b = stripOuter(other);
  if (a === null || b === null || containsUnknown(a) || containsUnknown(b)) return chosen;
  // Marks inside collections stay where they are: such results are not converted.
  if (containsSensitive(a) || containsSensitive(b)) return chosen;
  const u = unify([a, b]);
  if (!u) {
    const [t, f] = yes ? [a, b] : [b, a];
    return fail(
      ctx,
      line,
      'CONFIG_SCHEMA',
      'Inconsistent conditional result types',
      `The true and false result expressions must have consistent types: they are ${typeName(t)} and ${typeName(f)}.`,
    );
  }
  return u[0] === a ? chosen : withMark(u[0]!, chosen instanceof Sensitive);
}

/** cmek's numbers are 64-bit floating point: a result beyond about 1.8e308 is an error rather
 * than an infinity (docs/configuration.md, "Differences from terraform"). */
export function outOfRange(ctx: EvalContext, line: number): never {
  return fail(
    ctx,
    line,
    'CONFIG_SCHEMA',
    'Number out of range',
    'The result is beyond the range of 64-bit floating point numbers (about 1.8e308).',
  );
}

function indexValue(o: Value, k: Value, ctx: EvalContext, line: number): Value {
  if (isUnknown(o) || isUnknown(k)) return UNKNOWN;
  if (Array.isArray(o)) {
    const i = typeof k === 'string' && /^-?\d+$/.test(k) ? Number(k) : k;
    if (typeof i !== 'number' || !Number.isInteger(i))
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'Invalid index',
        `A list index must be a whole number, not ${typeName(k)}.`,
      );
    if (i < 0 || i >= o.length)
      return fail(
        ctx,
        line,
        'CONFIG_REFERENCE',
        `Index ${i} out of range`,
        `The list has ${o.length} element(s); valid indexes are 0 to ${o.length - 1}.`,
      );
    return o[i]!;
  }
  if (o !== null && typeof o === 'object') {
    if (typeof k !== 'string' && typeof k !== 'number')
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'Invalid index',
        `An object key must be a string, not ${typeName(k)}.`,
      );
    return getAttr(o, String(k), ctx, line);
  }
  return fail(ctx, line, 'CONFIG_SCHEMA', 'Invalid index', `Cannot index a ${typeName(o)} value.`);
}

const KINDS: Record<string, [string, string]> = {
  var: ['variable', 'variables'],
  local: ['local value', 'local values'],
  count: ['count value', 'count values'],
};

/** Roots the scope provides only in some places: where terraform allows them. */
const CONTEXTUAL: Record<string, [string, string]> = {
  each: [
    'Reference to "each" in context without for_each',
    'The "each" object can be used only in "module" or "resource" blocks, and only when the "for_each" argument is set.',
  ],
  self: [
    'Invalid "self" reference',
    'The "self" object is not available in this context. It can be used only in postcondition blocks (and in resource provisioner and connection blocks).',
  ],
  path: ['Invalid "path" reference', 'path.* values are not available in this context.'],
};

function undeclared(root: string, ctx: EvalContext, line: number): never {
  const kind = root.split('.')[0]!;
  const contextual = CONTEXTUAL[kind];
  if (contextual) return fail(ctx, line, 'CONFIG_REFERENCE', contextual[0], contextual[1]);
  const [one, many] = KINDS[kind] ?? ['resource', 'resources'];
  // Without candidates from the scope, say nothing about what exists rather than "none".
  const all = ctx.scope.candidates?.();
  const detail = all
    ? suggestion(
        root,
        all.filter((c) =>
          kind in KINDS ? c.startsWith(`${kind}.`) : !/^(var|local|count)\./.test(c),
        ),
        many,
      )
    : `Declare the ${one}, or check the spelling.`;
  return fail(ctx, line, 'CONFIG_REFERENCE', `Reference to undeclared ${one} "${root}"`, detail);
}

function getAttr(o: Value, name: string, ctx: EvalContext, line: number): Value {
  // Attributes of something not yet known are not known either; the facts of `o` describe o
  // itself, not its attributes, so a fresh UNKNOWN is returned.
  if (isUnknown(o)) return UNKNOWN;
  if (o instanceof Sensitive) return markSensitive(getAttr(o.value, name, ctx, line));
  if (o === null)
    return fail(
      ctx,
      line,
      'CONFIG_REFERENCE',
      `Attempt to get attribute "${name}" from a null value`,
      'The value is null here; check the reference.',
    );
  if (Array.isArray(o)) {
    if (/^\d+$/.test(name) && Number(name) < o.length) return o[Number(name)]!;
    return fail(
      ctx,
      line,
      'CONFIG_REFERENCE',
      `Cannot read attribute "${name}" of a list`,
      'The value is a list (a resource with count is a list): index it first, as in `x[0].' +
        name +
        '`.',
    );
  }
  if (typeof o !== 'object')
    return fail(
      ctx,
      line,
      'CONFIG_REFERENCE',
      `Cannot read attribute "${name}" of a ${typeName(o)}`,
      'Only objects have attributes.',
    );
  if (!Object.prototype.hasOwnProperty.call(o, name))
    return fail(
      ctx,
      line,
      'CONFIG_REFERENCE',
      `Unsupported attribute "${name}"`,
      suggestion(name, Object.keys(o), 'attributes'),
    );
  return o[name]!;
}

function toTemplateString(v: Value, ctx: EvalContext, line: number): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean') return String(v);
  if (v === null)
    return fail(
      ctx,
      line,
      'CONFIG_SCHEMA',
      'Invalid template interpolation value',
      'The expression in "${...}" is null; a string template needs a string, number or bool.',
    );
  return fail(
    ctx,
    line,
    'CONFIG_SCHEMA',
    'Invalid template interpolation value',
    `Cannot include a ${typeName(v)} in a string; use jsonencode() to turn it into JSON text.`,
  );
}

export function toNumber(v: Value, ctx: EvalContext, line: number, what: string): number {
  if (typeof v === 'number') return v;
  // Terraform's string-to-number conversion: decimal only (no "0x10", no spaces).
  const n = typeof v === 'string' ? parseNumber(v) : undefined;
  if (n !== undefined) return n;
  return fail(
    ctx,
    line,
    'CONFIG_SCHEMA',
    `Invalid operand for ${what}`,
    `A number is required, not ${typeName(v)}${typeof v === 'string' ? ` "${v}"` : ''}.`,
  );
}

/** A condition's value (`? :`, `%{if}`, a `for` filter): true or false; null is an error. */
function condition(v: Value, ctx: EvalContext, line: number, what: string): boolean {
  if (v === null)
    return fail(
      ctx,
      line,
      'CONFIG_SCHEMA',
      'Condition is null',
      `${what[0]!.toUpperCase()}${what.slice(1)} is null; it must be true or false.`,
    );
  return toBool(v, ctx, line, what);
}

function toBool(v: Value, ctx: EvalContext, line: number, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  return fail(
    ctx,
    line,
    'CONFIG_SCHEMA',
    `Invalid operand for ${what}`,
    `A bool is required, not ${typeName(v)}.`,
  );
}

function binary(op: string, l: Value, r: Value, ctx: EvalContext, line: number): Value {
  if (op === '==' || op === '!=') {
    if (containsUnknown(l) || containsUnknown(r)) return UNKNOWN;
    const eq = deepEqual(l, r);
    return op === '==' ? eq : !eq;
  }
  if (isUnknown(l) || isUnknown(r)) return UNKNOWN;
  switch (op) {
    case '&&':
      return toBool(l, ctx, line, op) && toBool(r, ctx, line, op);
    case '||':
      return toBool(l, ctx, line, op) || toBool(r, ctx, line, op);
  }
  const a = toNumber(l, ctx, line, `"${op}"`);
  const b = toNumber(r, ctx, line, `"${op}"`);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0)
        return fail(
          ctx,
          line,
          'CONFIG_SCHEMA',
          'Division by zero',
          'The right-hand side of "/" is zero.',
        );
      return a / b;
    case '%':
      if (b === 0)
        return fail(
          ctx,
          line,
          'CONFIG_SCHEMA',
          'Division by zero',
          'The right-hand side of "%" is zero.',
        );
      return a % b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
  }
  throw new Error(`unhandled operator ${op}`);
}

/** Terraform equality: same type and same value, recursively (1 != "1"). */
export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (a instanceof Sensitive || b instanceof Sensitive)
    return deepEqual(stripMarks(a), stripMarks(b));
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]!));
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(b)
  ) {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k]!, b[k]!))
    );
  }
  return false;
}
