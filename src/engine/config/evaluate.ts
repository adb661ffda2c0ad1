// Evaluates parsed expressions (ast.ts) against an EvalScope. Semantics follow Terraform where
// cmek supports the construct: a template that is a single interpolation yields the value
// unconverted; any operation on an Unknown yields Unknown, but a plain reference passes the
// referenced Unknown through untouched so the KeyFacts it carries reach the CMEK rules.
// Sensitivity marks travel as Terraform's do: the result of any operation or function call on
// a marked (`Sensitive`) value is marked; lists and objects keep the marks of their elements;
// reading an element of a marked list or object gives a marked element.

import { diag, DiagnosticError, type DiagnosticCode } from '../../model/diagnostics.js';
import {
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
  LAZY_FUNCTIONS,
  numberToString,
  parseNumber,
} from './functions/index.js';
import { suggestion } from './suggest.js';
import type { EvalScope } from './types.js';

export interface EvalContext {
  scope: EvalScope;
  file: string;
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
      if (n.parts.length === 1 && typeof n.parts[0] !== 'string')
        return evaluateNode(n.parts[0]!, ctx);
      let out = '';
      let unknown = false;
      let marked = false;
      for (const p of n.parts) {
        if (typeof p === 'string') {
          out += p;
          continue;
        }
        let v = evaluateNode(p, ctx);
        if (v instanceof Sensitive) {
          marked = true;
          v = v.value;
        }
        if (isUnknown(v)) unknown = true;
        else out += toTemplateString(v, ctx, p.line);
      }
      return withMark(unknown ? UNKNOWN : out, marked);
    }
    case 'ref': {
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
      if (LAZY_FUNCTIONS.has(n.name)) return callLazy(n.name, n.args, ctx, n.line);
      const args = n.args.map((a) => evaluateNode(a, ctx));
      if (n.name === 'issensitive' && args.length === 1) return args[0] instanceof Sensitive;
      const { values, marked } = unmarkAll(args);
      const result = callFunction(n.name, values, ctx, n.line);
      // sensitive() marks its result; nonsensitive() is the one call whose result is not.
      if (n.name === 'sensitive') return markSensitive(result);
      if (n.name === 'nonsensitive') return result;
      return withMark(result, marked);
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
      return withMark(
        toBool(c, ctx, n.line, 'the condition of `? :`')
          ? evaluateNode(n.t, ctx)
          : evaluateNode(n.f, ctx),
        marked,
      );
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
    case 'splat':
    case 'splatItem':
    case 'tmplIf':
    case 'tmplFor':
      return fail(
        ctx,
        n.line,
        'CONFIG_UNSUPPORTED',
        `This expression form (${n.k}) is not evaluated yet`,
        'Write the value without it.',
      );
  }
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

function undeclared(root: string, ctx: EvalContext, line: number): never {
  const kind = root.split('.')[0]!;
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
