// What every family of built-in functions shares: the definition of a function (signature,
// one-line doc, arity, how it treats null and unknown arguments), terraform's argument
// conversions (a string parameter takes a number or bool, a number parameter a numeric string),
// terraform's number-to-string conversion, and the two kinds of errors terraform reports
// ("Invalid function argument" naming the parameter, "Error in function call").

import { isUnknown, Sensitive, type Value } from '../../../model/values.js';
import { fail, typeName, type EvalContext } from '../evaluate.js';

export interface Call {
  ctx: EvalContext;
  line: number;
  name: string;
  params: readonly string[];
}

export type Impl = (args: Value[], c: Call) => Value;

export interface FunctionDef {
  /** `substr(str, offset, length)`; `...` marks a variadic parameter, `?` an optional one. */
  signature: string;
  /** One line for the generated function list of docs/configuration.md. */
  doc: string;
  /** The family, the heading it is listed under. */
  family: string;
  params: readonly string[];
  min: number;
  max: number;
  /** The function is called with unknown arguments (otherwise any unknown gives unknown). */
  unknownOk: boolean;
  /** The function is called with arguments that contain unknowns (a list with an unknown
   * element); a wholly unknown argument still gives unknown. Such functions move values
   * without reading them (lookup, merge, concat), so an unknown keeps what is known about it. */
  innerUnknownOk: boolean;
  /** The function is called with null arguments (otherwise null is an invalid argument). */
  nullOk: boolean;
  impl: Impl;
}

export interface DefOptions {
  unknownOk?: boolean;
  innerUnknownOk?: boolean;
  nullOk?: boolean;
}

/** A family's table of functions, from signature, doc and implementation. */
export function family(
  name: string,
  defs: Record<string, [signature: string, doc: string, impl: Impl, options?: DefOptions]>,
): Record<string, FunctionDef> {
  const out: Record<string, FunctionDef> = {};
  for (const [fname, [signature, doc, impl, options]] of Object.entries(defs)) {
    const inner = /\((.*)\)$/.exec(signature)?.[1] ?? '';
    const params = inner ? inner.split(',').map((p) => p.trim()) : [];
    const variadic = params.some((p) => p.startsWith('...'));
    const required = params.filter((p) => !p.endsWith('?') && !p.startsWith('...')).length;
    out[fname] = {
      signature,
      doc,
      family: name,
      params: params.map((p) => p.replace(/^\.\.\.|\?$/g, '')),
      min: required,
      max: variadic ? Infinity : params.length,
      unknownOk: options?.unknownOk ?? false,
      innerUnknownOk: options?.innerUnknownOk ?? false,
      nullOk: options?.nullOk ?? false,
      impl,
    };
  }
  return out;
}

/** Terraform's "Invalid function argument": the parameter and what is wrong with it. */
export function argError(c: Call, i: number, message: string): never {
  const p = c.params[Math.min(i, c.params.length - 1)] ?? `argument ${i + 1}`;
  return fail(
    c.ctx,
    c.line,
    'CONFIG_FUNCTION',
    'Invalid function argument',
    `Invalid value for "${p}" parameter of ${c.name}(): ${message}.`,
  );
}

/** Terraform's "Error in function call". */
export function callError(c: Call, message: string): never {
  return fail(
    c.ctx,
    c.line,
    'CONFIG_FUNCTION',
    'Error in function call',
    `Call to function "${c.name}" failed: ${message}.`,
  );
}

/** A number as terraform writes it in a string: plain decimal, never exponent notation. */
export function numberToString(n: number): string {
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s.startsWith('-');
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = mant.replace('.', '');
  const point = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

/** Terraform's string-to-number conversion (decimal, with optional sign, fraction, exponent). */
export function parseNumber(s: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** UTF-8 decoding that rejects invalid bytes (file(), base64decode()). */
export const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export function str(v: Value, c: Call, i: number): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean') return String(v);
  if (v === null) return argError(c, i, 'argument must not be null');
  return argError(c, i, `string required, but have ${typeName(v)}`);
}

export function num(v: Value, c: Call, i: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = parseNumber(v);
    if (n !== undefined) return n;
    return argError(c, i, `a number is required`);
  }
  if (v === null) return argError(c, i, 'argument must not be null');
  return argError(c, i, `number required, but have ${typeName(v)}`);
}

export function int(v: Value, c: Call, i: number): number {
  const n = num(v, c, i);
  if (!Number.isInteger(n)) return argError(c, i, 'value must be a whole number');
  return n;
}

export function bool(v: Value, c: Call, i: number): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  if (v === null) return argError(c, i, 'argument must not be null');
  return argError(c, i, `bool required, but have ${typeName(v)}`);
}

export function list(v: Value, c: Call, i: number): Value[] {
  if (Array.isArray(v)) return v;
  if (v === null) return argError(c, i, 'argument must not be null');
  return argError(c, i, `list of any single type required, but have ${typeName(v)}`);
}

export function isObject(v: Value): v is { [k: string]: Value } {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !isUnknown(v) &&
    !(v instanceof Sensitive)
  );
}

export function map(v: Value, c: Call, i: number): { [k: string]: Value } {
  if (isObject(v)) return v;
  if (v === null) return argError(c, i, 'argument must not be null');
  return argError(c, i, `map of any single type required, but have ${typeName(v)}`);
}

/** A list of strings (terraform converts numbers and bools; null elements are rejected). */
export function strings(v: Value, c: Call, i: number): string[] {
  return list(v, c, i).map((x) => {
    if (x === null) return argError(c, i, 'element must not be null');
    return str(x, c, i);
  });
}

/** Text as a sequence of grapheme clusters (what terraform counts as characters). */
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
export function graphemes(s: string): string[] {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s) && !s.includes('\r\n')) return s.split('');
  return Array.from(segmenter.segment(s), (x) => x.segment);
}

/** Set semantics as terraform's: distinct elements, ordered as cty orders a set (strings
 * lexically, numbers numerically; others by their JSON text). */
export function toSet(items: Value[]): Value[] {
  const seen = new Map<string, Value>();
  for (const x of items) {
    const k = JSON.stringify(x);
    if (!seen.has(k)) seen.set(k, x);
  }
  return [...seen.values()].sort(compareSetElements);
}

export function compareSetElements(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
