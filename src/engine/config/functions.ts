// The built-in functions (docs/configuration.md, "Functions"): what users write key policies
// with. Terraform's semantics
// (docs: developer.hashicorp.com/terraform/language/functions) are followed where they matter
// for key policies: jsonencode sorts object keys and escapes <, >, & like Go's encoder.

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { containsUnknown, isUnknown, Sensitive, UNKNOWN, type Value } from '../../model/values.js';
import { fail, setKey, typeName, type EvalContext } from './evaluate.js';

type Fn = (args: Value[], ctx: EvalContext, line: number) => Value;

function arity(
  name: string,
  args: Value[],
  min: number,
  max: number,
  ctx: EvalContext,
  line: number,
): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail(
      ctx,
      line,
      'CONFIG_SCHEMA',
      `Wrong number of arguments to ${name}()`,
      `${name}() takes ${want} argument(s), got ${args.length}.`,
    );
  }
}

/** JSON text as Terraform's jsonencode writes it: keys sorted, <>& and U+2028/9 escaped. */
export function terraformJson(v: Value): string {
  const sortKeys = (x: Value): unknown => {
    if (x instanceof Sensitive) return sortKeys(x.value);
    if (Array.isArray(x)) return x.map(sortKeys);
    if (x !== null && typeof x === 'object' && !isUnknown(x)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) setKey(out, k, sortKeys(x[k]!));
      return out;
    }
    return x;
  };
  return JSON.stringify(sortKeys(v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const FUNCTIONS: Record<string, Fn> = {
  // The marks themselves are set and taken off by the evaluator (evaluate.ts, `call`).
  sensitive(args, ctx, line) {
    arity('sensitive', args, 1, 1, ctx, line);
    return args[0]!;
  },
  nonsensitive(args, ctx, line) {
    arity('nonsensitive', args, 1, 1, ctx, line);
    return args[0]!;
  },
  jsonencode(args, ctx, line) {
    arity('jsonencode', args, 1, 1, ctx, line);
    if (containsUnknown(args[0]!)) return UNKNOWN;
    return terraformJson(args[0]!);
  },
  jsondecode(args, ctx, line) {
    arity('jsondecode', args, 1, 1, ctx, line);
    const s = args[0]!;
    if (isUnknown(s)) return UNKNOWN;
    if (typeof s !== 'string')
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'Invalid argument to jsondecode()',
        `A string is required, not ${typeName(s)}.`,
      );
    try {
      return JSON.parse(s) as Value;
    } catch (e) {
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'jsondecode(): the text is not valid JSON',
        (e as Error).message,
      );
    }
  },
  file(args, ctx, line) {
    arity('file', args, 1, 1, ctx, line);
    const p = args[0]!;
    if (isUnknown(p)) return UNKNOWN;
    if (typeof p !== 'string')
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'Invalid argument to file()',
        `A path string is required, not ${typeName(p)}.`,
      );
    const full = isAbsolute(p) ? p : resolve(ctx.scope.baseDir, p);
    let bytes: Buffer;
    try {
      bytes = readFileSync(full);
    } catch (e) {
      return fail(
        ctx,
        line,
        'CONFIG_REFERENCE',
        `file(): cannot read "${p}"`,
        `${(e as NodeJS.ErrnoException).code ?? 'error'}: paths are relative to ${ctx.scope.baseDir}.`,
      );
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        `file(): "${p}" is not UTF-8 text`,
        'file() reads text files only.',
      );
    }
  },
  lookup(args, ctx, line) {
    arity('lookup', args, 2, 3, ctx, line);
    const [m, k] = args as [Value, Value];
    if (isUnknown(m) || containsUnknown(k)) return UNKNOWN;
    if (m === null || typeof m !== 'object' || Array.isArray(m) || m instanceof Sensitive)
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'Invalid argument to lookup()',
        `The first argument must be a map or object, not ${typeName(m)}.`,
      );
    if (typeof k !== 'string' && typeof k !== 'number')
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'Invalid argument to lookup()',
        `The key must be a string, not ${typeName(k)}.`,
      );
    const key = String(k);
    if (Object.prototype.hasOwnProperty.call(m, key)) return m[key]!;
    if (args.length === 3) return args[2]!;
    return fail(
      ctx,
      line,
      'CONFIG_REFERENCE',
      `lookup(): no key "${key}"`,
      `The map has keys: ${Object.keys(m).join(', ') || '(none)'}. Pass a default as the third argument.`,
    );
  },
  merge(args, ctx, line) {
    const out: Record<string, Value> = {};
    for (const a of args) {
      if (isUnknown(a)) return UNKNOWN;
      if (a === null) continue;
      if (typeof a !== 'object' || Array.isArray(a))
        return fail(
          ctx,
          line,
          'CONFIG_SCHEMA',
          'Invalid argument to merge()',
          `Every argument must be a map or object, not ${typeName(a)}.`,
        );
      for (const [k, x] of Object.entries(a)) setKey(out, k, x);
    }
    return out;
  },
  format(args, ctx, line) {
    arity('format', args, 1, Infinity, ctx, line);
    if (args.some(containsUnknown)) return UNKNOWN;
    const spec = args[0]!;
    if (typeof spec !== 'string')
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'Invalid argument to format()',
        `The format must be a string, not ${typeName(spec)}.`,
      );
    return format(spec, args.slice(1), ctx, line);
  },
};

export function callFunction(name: string, args: Value[], ctx: EvalContext, line: number): Value {
  const fn = FUNCTIONS[name];
  if (!fn)
    return fail(
      ctx,
      line,
      'CONFIG_UNSUPPORTED',
      `The function ${name}() is not supported`,
      `Supported: ${Object.keys(FUNCTIONS).join(', ')}.`,
    );
  return fn(args, ctx, line);
}

/** Terraform's format(): Go-style verbs %v %#v %t %d %b %o %x %X %e %E %f %g %G %s %q with
 * flags (+ - space 0 #), width and precision. Explicit argument indexes (`%[2]d`) are not
 * supported and say so. */
function format(spec: string, args: Value[], ctx: EvalContext, line: number): string {
  let out = '';
  let argi = 0;
  const re = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?(.)?/y;
  for (let i = 0; i < spec.length;) {
    const c = spec[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    if (spec[i + 1] === '%') {
      out += '%';
      i += 2;
      continue;
    }
    re.lastIndex = i;
    const m = re.exec(spec);
    const verb = m?.[4];
    if (!m || !verb || verb === '[')
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'format(): invalid format verb',
        `At offset ${i} of ${JSON.stringify(spec)}${verb === '[' ? ': explicit argument indexes are not supported' : ''}.`,
      );
    i = re.lastIndex;
    const flags = m[1] ?? '';
    const width = m[2] ? Number(m[2]) : undefined;
    const prec = m[3] !== undefined ? Number(m[3]) : undefined;
    if (argi >= args.length)
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        'format(): not enough arguments',
        `${JSON.stringify(spec)} needs more than the ${args.length} argument(s) given.`,
      );
    const v = args[argi++]!;
    let s = formatOne(verb, flags, prec, v, ctx, line);
    if (width !== undefined && s.length < width) {
      if (flags.includes('-')) s = s.padEnd(width);
      else if (flags.includes('0') && /[dbxXoeEfgG]/.test(verb)) {
        const sign = /^[+-]/.test(s) ? s[0]! : '';
        s = sign + s.slice(sign.length).padStart(width - sign.length, '0');
      } else s = s.padStart(width);
    }
    out += s;
  }
  if (argi < args.length)
    return fail(
      ctx,
      line,
      'CONFIG_SCHEMA',
      'format(): too many arguments',
      `${JSON.stringify(spec)} uses ${argi} argument(s) but ${args.length} were given.`,
    );
  return out;
}

function formatOne(
  verb: string,
  flags: string,
  prec: number | undefined,
  v: Value,
  ctx: EvalContext,
  line: number,
): string {
  const num = (): number => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
    return fail(
      ctx,
      line,
      'CONFIG_SCHEMA',
      `format(): %${verb} needs a number`,
      `Got ${typeName(v)}.`,
    );
  };
  const sign = (n: number, s: string) =>
    n >= 0 && flags.includes('+') ? `+${s}` : n >= 0 && flags.includes(' ') ? ` ${s}` : s;
  const str = (): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return fail(
      ctx,
      line,
      'CONFIG_SCHEMA',
      `format(): %${verb} needs a string`,
      `Got ${typeName(v)}; use %v or jsonencode() for lists and objects.`,
    );
  };
  switch (verb) {
    case 'v':
      if (flags.includes('#')) return terraformJson(v);
      if (v === null) return 'null';
      if (typeof v === 'object') return terraformJson(v);
      return String(v);
    case 's': {
      const s = str();
      return prec !== undefined ? s.slice(0, prec) : s;
    }
    case 'q':
      return JSON.stringify(str());
    case 't':
      if (typeof v !== 'boolean' && v !== 'true' && v !== 'false')
        return fail(ctx, line, 'CONFIG_SCHEMA', 'format(): %t needs a bool', `Got ${typeName(v)}.`);
      return String(v);
    case 'd':
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const n = num();
      if (!Number.isInteger(n))
        return fail(
          ctx,
          line,
          'CONFIG_SCHEMA',
          `format(): %${verb} needs a whole number`,
          `Got ${n}.`,
        );
      const radix = { d: 10, b: 2, o: 8, x: 16, X: 16 }[verb];
      let s = Math.abs(n).toString(radix);
      if (verb === 'X') s = s.toUpperCase();
      if (flags.includes('#') && verb !== 'd') s = { b: '0b', o: '0', x: '0x', X: '0X' }[verb] + s;
      return sign(n, n < 0 ? `-${s}` : s);
    }
    case 'f':
    case 'F': {
      const n = num();
      return sign(n, n.toFixed(prec ?? 6));
    }
    case 'e':
    case 'E': {
      const n = num();
      const s = n.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return sign(n, verb === 'E' ? s.toUpperCase() : s);
    }
    case 'g':
    case 'G': {
      const n = num();
      const s = prec !== undefined ? String(Number(n.toPrecision(prec))) : String(n);
      return sign(n, verb === 'G' ? s.toUpperCase() : s);
    }
    default:
      return fail(
        ctx,
        line,
        'CONFIG_SCHEMA',
        `format(): unsupported verb %${verb}`,
        'Supported verbs: %v %#v %s %q %t %d %b %o %x %X %e %E %f %g %G and %%.',
      );
  }
}
