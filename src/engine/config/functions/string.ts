// String functions: case, trimming, splitting and joining, substrings, regular expressions,
// and format / formatlist (Go's fmt verbs as terraform implements them).

import { containsUnknown, UNKNOWN, type Value } from '../../../model/values.js';
import { terraformJson } from './json.js';
import { expandGo, goRegExp } from './regexp.js';
import {
  argError,
  callError,
  family,
  graphemes,
  int,
  numberToString,
  parseNumber,
  str,
  strings,
  type Call,
} from './support.js';

function isWordChar(ch: string): boolean {
  return /[\p{L}\p{N}_]/u.test(ch);
}

function title(s: string): string {
  let out = '';
  let prev = ' ';
  for (const ch of s) {
    out += !isWordChar(prev) && isWordChar(ch) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function isRegexPattern(s: string): boolean {
  return s.length > 1 && s.startsWith('/') && s.endsWith('/');
}

function compile(pattern: string, global: boolean, c: Call, i: number): RegExp {
  try {
    return goRegExp(pattern, global);
  } catch (e) {
    return argError(c, i, `invalid regular expression pattern: ${(e as Error).message}`);
  }
}

/** What one match of regex() gives: the match, the list of captures, or the map of names. */
function captures(m: RegExpExecArray, c: Call): Value {
  if (m.length === 1) return m[0];
  const names = m.groups ? Object.keys(m.groups) : [];
  if (names.length === 0) return m.slice(1).map((x) => x ?? '');
  if (names.length !== m.length - 1)
    return argError(
      c,
      0,
      'invalid regular expression pattern: cannot mix both named and unnamed capture groups',
    );
  const out: Record<string, Value> = {};
  for (const n of names) out[n] = m.groups![n] ?? '';
  return out;
}

export const STRING_FUNCTIONS = family('string', {
  upper: ['upper(str)', 'the string in upper case', ([s], c) => str(s!, c, 0).toUpperCase()],
  lower: ['lower(str)', 'the string in lower case', ([s], c) => str(s!, c, 0).toLowerCase()],
  title: [
    'title(str)',
    'the first letter of each word in upper case',
    ([s], c) => title(str(s!, c, 0)),
  ],
  strrev: [
    'strrev(str)',
    'the characters in reverse order',
    ([s], c) =>
      graphemes(str(s!, c, 0))
        .reverse()
        .join(''),
  ],
  chomp: [
    'chomp(str)',
    'the string without its trailing newlines',
    ([s], c) => str(s!, c, 0).replace(/(?:\r\n?|\n)*$/, ''),
  ],
  trimspace: [
    'trimspace(str)',
    'the string without leading and trailing white space',
    ([s], c) => str(s!, c, 0).replace(/^\s+|\s+$/g, ''),
  ],
  trim: [
    'trim(str, cutset)',
    'the string without leading and trailing characters of `cutset`',
    ([s, set], c) => {
      const cut = new Set(Array.from(str(set!, c, 1)));
      const chars = Array.from(str(s!, c, 0));
      let a = 0;
      let b = chars.length;
      while (a < b && cut.has(chars[a]!)) a++;
      while (b > a && cut.has(chars[b - 1]!)) b--;
      return chars.slice(a, b).join('');
    },
  ],
  trimprefix: [
    'trimprefix(str, prefix)',
    'the string without `prefix` at its start',
    ([s, p], c) => {
      const x = str(s!, c, 0);
      const y = str(p!, c, 1);
      return x.startsWith(y) ? x.slice(y.length) : x;
    },
  ],
  trimsuffix: [
    'trimsuffix(str, suffix)',
    'the string without `suffix` at its end',
    ([s, p], c) => {
      const x = str(s!, c, 0);
      const y = str(p!, c, 1);
      return y && x.endsWith(y) ? x.slice(0, x.length - y.length) : x;
    },
  ],
  indent: [
    'indent(spaces, str)',
    'every line but the first prefixed with `spaces` spaces',
    ([n, s], c) => str(s!, c, 1).replace(/\n/g, `\n${' '.repeat(Math.max(0, int(n!, c, 0)))}`),
  ],
  substr: [
    'substr(str, offset, length)',
    'the `length` characters from `offset` (negative offset: from the end; length -1: to the end)',
    ([s, o, l], c) => {
      const chars = graphemes(str(s!, c, 0));
      let offset = int(o!, c, 1);
      let length = int(l!, c, 2);
      if (offset < 0) offset = Math.max(0, chars.length + offset);
      if (offset >= chars.length) return '';
      if (length < 0) length = chars.length - offset;
      return chars.slice(offset, offset + length).join('');
    },
  ],
  startswith: [
    'startswith(str, prefix)',
    'whether the string starts with `prefix`',
    ([s, p], c) => str(s!, c, 0).startsWith(str(p!, c, 1)),
  ],
  endswith: [
    'endswith(str, suffix)',
    'whether the string ends with `suffix`',
    ([s, p], c) => str(s!, c, 0).endsWith(str(p!, c, 1)),
  ],
  strcontains: [
    'strcontains(str, substr)',
    'whether the string contains `substr`',
    ([s, p], c) => str(s!, c, 0).includes(str(p!, c, 1)),
  ],
  join: [
    'join(separator, ...lists)',
    'the strings of the lists joined with `separator`',
    (args, c) => {
      const sep = str(args[0]!, c, 0);
      if (args.length < 2) return argError(c, 1, 'at least one list is required');
      return args
        .slice(1)
        .flatMap((l, i) => strings(l, c, i + 1))
        .join(sep);
    },
  ],
  split: [
    'split(separator, str)',
    'the parts of the string between each `separator`',
    ([sep, s], c) => {
      const x = str(s!, c, 1);
      const y = str(sep!, c, 0);
      return y === '' ? Array.from(x) : x.split(y);
    },
  ],
  replace: [
    'replace(str, substr, replace)',
    'every `substr` replaced (`/regex/` for a regular expression, with `$1` / `${name}` in `replace`)',
    ([s, f, r], c) => {
      const x = str(s!, c, 0);
      const find = str(f!, c, 1);
      const rep = str(r!, c, 2);
      if (!isRegexPattern(find))
        return find === ''
          ? x.split('').join(rep).replace(/^/, rep) + rep
          : x.split(find).join(rep);
      const re = compile(find.slice(1, -1), true, c, 1);
      return x.replace(re, (...m) => {
        const groups =
          typeof m[m.length - 1] === 'object'
            ? (m[m.length - 1] as Record<string, string>)
            : undefined;
        const arr = m.slice(0, groups ? -3 : -2) as string[] as unknown as RegExpExecArray;
        if (groups) arr.groups = groups;
        return expandGo(rep, arr);
      });
    },
  ],
  regex: [
    'regex(pattern, str)',
    'the first match of the regular expression: the text, the list of captures, or the map of named captures',
    ([p, s], c) => {
      const re = compile(str(p!, c, 0), false, c, 0);
      const m = re.exec(str(s!, c, 1));
      if (!m) return callError(c, 'pattern did not match any part of the given string');
      return captures(m, c);
    },
  ],
  regexall: [
    'regexall(pattern, str)',
    'every match of the regular expression, as regex() gives each',
    ([p, s], c) => {
      const re = compile(str(p!, c, 0), true, c, 0);
      return [...str(s!, c, 1).matchAll(re)].map((m) => captures(m, c));
    },
  ],
  format: [
    'format(spec, ...values)',
    'Go-style verbs `%v %#v %s %q %t %d %b %o %x %X %e %E %f %g %G %%` with flags, width and precision',
    (args, c) => format(str(args[0]!, c, 0), args.slice(1), c),
    { nullOk: true },
  ],
  formatlist: [
    'formatlist(spec, ...values)',
    'format() applied element by element; list arguments must have one length, others repeat',
    (args, c) => {
      const spec = str(args[0]!, c, 0);
      const rest = args.slice(1);
      let n: number | undefined;
      for (const [i, a] of rest.entries()) {
        if (!Array.isArray(a)) continue;
        if (n !== undefined && a.length !== n)
          return argError(
            c,
            i + 1,
            `argument ${i + 1} has length ${a.length}, which is inconsistent with argument 1 of length ${n}`,
          );
        n = a.length;
      }
      if (n === undefined) n = 1;
      const out: Value[] = [];
      for (let k = 0; k < n; k++)
        out.push(
          format(
            spec,
            rest.map((a) => (Array.isArray(a) ? a[k]! : a)),
            c,
          ),
        );
      return out;
    },
    { nullOk: true },
  ],
});

/** Terraform's format(): Go-style verbs with flags (+ - space 0 #), width and precision.
 * Explicit argument indexes (`%[2]d`) are supported as in terraform. */
export function format(spec: string, args: Value[], c: Call): Value {
  try {
    return formatText(spec, args, c);
  } catch (e) {
    if (e === NULL_WITH_V) return UNKNOWN;
    throw e;
  }
}

function formatText(spec: string, args: Value[], c: Call): string {
  if (args.some(containsUnknown)) return callError(c, 'unknown value');
  let out = '';
  let argi = 0;
  let reordered = false;
  const re = /%([-+ 0#]*)(?:\[(\d+)\])?(\d+)?(?:\.(\d*))?(.)?/y;
  for (let i = 0; i < spec.length;) {
    const ch = spec[i]!;
    if (ch !== '%') {
      out += ch;
      i++;
      continue;
    }
    if (spec[i + 1] === '%') {
      out += '%';
      i += 2;
      continue;
    }
    re.lastIndex = i;
    const m = re.exec(spec)!;
    const verb = m[5];
    if (!verb) return callError(c, `invalid format string starting at offset ${i}`);
    i = re.lastIndex;
    const flags = m[1] ?? '';
    if (m[2] !== undefined) {
      argi = Number(m[2]) - 1;
      reordered = true;
    }
    const width = m[3] ? Number(m[3]) : undefined;
    const prec = m[4] !== undefined ? Number(m[4] || '0') : undefined;
    if (argi >= args.length || argi < 0)
      return callError(
        c,
        `not enough arguments for "%${m[0].slice(1)}" at ${i - m[0].length}: need index ${argi + 1} but have ${args.length} total`,
      );
    const v = args[argi++]!;
    let s = formatOne(verb, flags, prec, v, c);
    const len = Array.from(s).length;
    if (width !== undefined && len < width && verb !== 't') {
      if (flags.includes('-')) s = s + ' '.repeat(width - len);
      else if (flags.includes('0') && /[dbxXoeEfgG]/.test(verb)) {
        const sign = /^[+-]/.test(s) ? s[0]! : '';
        s = sign + s.slice(sign.length).padStart(width - sign.length, '0');
      } else s = ' '.repeat(width - len) + s;
    }
    out += s;
  }
  if (!reordered && argi < args.length)
    return callError(c, `too many arguments; only ${argi} used by format string`);
  return out;
}

function formatOne(
  verb: string,
  flags: string,
  prec: number | undefined,
  v: Value,
  c: Call,
): string {
  const num = (): number => {
    if (typeof v === 'number') return v;
    const parsed = typeof v === 'string' ? parseNumber(v) : undefined;
    if (parsed !== undefined) return parsed;
    return callError(c, `unsupported value for "%${verb}": a number is required`);
  };
  const sign = (n: number, s: string) =>
    n >= 0 && flags.includes('+') ? `+${s}` : n >= 0 && flags.includes(' ') ? ` ${s}` : s;
  const text = (): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return numberToString(v);
    if (typeof v === 'boolean') return String(v);
    if (v === null)
      return callError(c, `unsupported value for "%${verb}": null value cannot be formatted`);
    return callError(c, `unsupported value for "%${verb}": string required`);
  };
  switch (verb) {
    case 'v':
      if (flags.includes('#')) return terraformJson(v);
      if (v === null) throw NULL_WITH_V;
      if (typeof v === 'object') return terraformJson(v);
      if (typeof v === 'number') return goG(v, undefined);
      return text();
    case 's': {
      const s = text();
      return prec !== undefined ? Array.from(s).slice(0, prec).join('') : s;
    }
    case 'q':
      return terraformJson(text());
    case 't':
      if (typeof v !== 'boolean' && v !== 'true' && v !== 'false')
        return callError(c, `unsupported value for "%t": bool is required`);
      return String(v);
    case 'd':
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const n = num();
      if (!Number.isInteger(n))
        return callError(c, `unsupported value for "%${verb}": an integer is required`);
      const radix = { d: 10, b: 2, o: 8, x: 16, X: 16 }[verb];
      let s = verb === 'd' ? numberToString(Math.abs(n)) : Math.abs(n).toString(radix);
      if (verb === 'X') s = s.toUpperCase();
      if (flags.includes('#') && verb !== 'd') s = { b: '0b', o: '0', x: '0x', X: '0X' }[verb] + s;
      return sign(n, n < 0 ? `-${s}` : s);
    }
    case 'f':
    case 'F': {
      const n = num();
      return sign(n, toFixed(n, prec ?? 6));
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
      const s = goG(n, prec);
      return sign(n, verb === 'G' ? s.toUpperCase() : s);
    }
    default:
      return callError(c, `unsupported format verb %${verb}`);
  }
}

/** Go's %g: the shortest (or `prec` significant) digits, in %e form when the exponent is
 * below -4 or at least the precision (6 for the shortest form). */
function goG(n: number, prec: number | undefined): string {
  const shortest = prec === undefined;
  const a = Math.abs(n);
  const e = shortest ? a.toExponential() : a.toExponential(Math.max(1, prec) - 1);
  const [mant, ex] = e.split('e') as [string, string];
  const d = mant.replace('.', '').replace(/0+$/, '') || '0';
  const nd = d.length;
  const dp = Number(ex) + 1;
  let p = shortest ? nd : Math.max(1, prec);
  let eprec = p;
  if (eprec > nd && nd >= dp) eprec = nd;
  if (shortest) eprec = 6;
  const exp = dp - 1;
  const neg = n < 0 ? '-' : '';
  if (exp < -4 || exp >= eprec) {
    if (p > nd) p = nd;
    const frac = d.slice(1, p);
    const es = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    return `${neg}${d[0]}${frac ? `.${frac}` : ''}e${es}`;
  }
  if (p > dp) p = nd;
  const fracDigits = Math.max(p - dp, 0);
  const all = dp <= 0 ? '0'.repeat(-dp) + d : d.padEnd(dp, '0');
  const whole = dp <= 0 ? '0' : all.slice(0, dp);
  const frac = (dp <= 0 ? all : all.slice(dp)).padEnd(fracDigits, '0').slice(0, fracDigits);
  return `${neg}${whole}${frac ? `.${frac}` : ''}`;
}

/** Thrown inside format() for `%v` of null: terraform's result is then unknown. */
const NULL_WITH_V = new Error('format: %v of null');

function toFixed(n: number, prec: number): string {
  if (Math.abs(n) < 1e21) return n.toFixed(prec);
  const whole = numberToString(Math.trunc(n));
  return prec > 0 ? `${whole}.${'0'.repeat(prec)}` : whole;
}
