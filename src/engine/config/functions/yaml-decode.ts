// YAML text read as terraform's yamldecode reads it. The `yaml` package parses (one document,
// anchors and aliases, flow and block styles); every scalar is then resolved by the rules of
// go-cty-yaml, which terraform uses, not by the `yaml` package's schemas:
// - plain `~`, `null`, `Null`, `NULL` and nothing are null; YAML 1.1's booleans (`y`, `yes`,
//   `on`, `true`, ... and their negations, in the three casings) are bools;
// - numbers are decimal (a leading zero stays decimal: `017` is 17), `0x..` or `0o..`, or a
//   decimal fraction / exponent; `.inf` is out of range and `.nan` an error; others
//   (`0b101`, `1_000`, `-0x1F`) are strings;
// - timestamps (`2001-12-14`, `2001-12-14T21:59:43.10-05:00`, `2001-12-14 21:59:43`) become
//   RFC 3339 text without fractional seconds;
// - a block scalar (`|`, `>`) is resolved as a plain one would be, then made a string;
// - quoted scalars are strings; `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!binary`
//   tags are obeyed as go-cty-yaml obeys them, other tags are an error;
// - mapping keys are strings (`yes:` is the key "true"); a null or collection key is an
//   error; a repeated key keeps its last value; `<<` merges a mapping (not a list of them).

import { createRequire } from 'node:module';
import type { Document, Node as YamlNode, Scalar } from 'yaml';
import type { Value } from '../../../model/values.js';
import { setKey } from '../evaluate.js';
import { numberToString } from './support.js';

/** The `yaml` package, loaded at the first yamldecode call (not at every start of the CLI). */
let lib: typeof import('yaml') | undefined;
function yaml(): typeof import('yaml') {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
}

/** A failure with go-cty-yaml's message; yamldecode turns it into terraform's call error. */
export class YamlError extends Error {}

const NULLS = new Set(['~', 'null', 'Null', 'NULL', '']);
const TRUES = new Set('y Y yes Yes YES on On ON true True TRUE'.split(' '));
const FALSES = new Set('n N no No NO off Off OFF false False FALSE'.split(' '));
const DECIMAL = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INF = /^[-+]?\.(inf|Inf|INF)$/;
const NAN = /^\.(nan|NaN|NAN)$/;
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])|[ ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/;

function pad(n: string): string {
  return n.padStart(2, '0');
}

/** A YAML 1.1 timestamp as Go's RFC 3339 text, if `s` is one. */
function timestamp(s: string): string | undefined {
  const m = TIMESTAMP.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, t, h, mi, se, zone] = m;
  // A time with `T`/`t` must carry its zone; one after a space must not (go-yaml's layouts).
  if (h !== undefined && (t ? zone === undefined : zone !== undefined)) return undefined;
  const date = new Date(Date.UTC(+y!, +mo! - 1, +d!, +(h ?? 0), +(mi ?? 0), +(se ?? 0)));
  if (date.getUTCMonth() !== +mo! - 1 || date.getUTCDate() !== +d!) return undefined;
  if (+(h ?? 0) > 23 || +(mi ?? 0) > 59 || +(se ?? 0) > 59) return undefined;
  const time = `${pad(h ?? '0')}:${pad(mi ?? '0')}:${pad(se ?? '0')}`;
  return `${y}-${pad(mo!)}-${pad(d!)}T${time}${zone === undefined || zone === '+00:00' ? 'Z' : zone}`;
}

function number(s: string): number | undefined {
  if (DECIMAL.test(s) || FLOAT.test(s)) return Number(s);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (INF.test(s)) throw new YamlError('the number is out of range');
  if (NAN.test(s)) throw new YamlError('floating point NaN is not supported');
  return undefined;
}

/** A plain scalar's value by go-cty-yaml's implicit resolution. */
function resolvePlain(s: string): Value {
  if (NULLS.has(s)) return null;
  if (TRUES.has(s)) return true;
  if (FALSES.has(s)) return false;
  const n = number(s);
  if (n !== undefined) return n;
  return timestamp(s) ?? s;
}

function asString(v: Value): Value {
  return typeof v === 'number' ? numberToString(v) : typeof v === 'boolean' ? String(v) : v;
}

const TAG = 'tag:yaml.org,2002:';

function scalar(n: Scalar, src: string): Value {
  let text =
    n.value === null || n.value === undefined
      ? ''
      : n.value instanceof Uint8Array
        ? (n.source ?? Buffer.from(n.value).toString('base64'))
        : String(n.value);
  // A block scalar that ends the text without a line break has none (as in go-yaml).
  const end = n.range?.[1];
  if (
    !(n.type === yaml().Scalar.PLAIN) &&
    text.endsWith('\n') &&
    end !== undefined &&
    src[end - 1] !== '\n'
  )
    text = text.slice(0, -1);
  const plain = n.type === yaml().Scalar.PLAIN || n.type === undefined;
  const quoted = n.type === yaml().Scalar.QUOTE_DOUBLE || n.type === yaml().Scalar.QUOTE_SINGLE;
  const tag = n.tag;
  if (tag === undefined || tag === '!') {
    if (plain) return resolvePlain(text);
    if (quoted) return text;
    return asString(resolvePlain(text));
  }
  switch (tag) {
    case `${TAG}str`:
    case `${TAG}binary`:
      return text;
    case `${TAG}null`:
      return null;
    case `${TAG}bool`:
    case `${TAG}int`:
    case `${TAG}float`: {
      if (!plain) return text;
      const v = resolvePlain(text);
      const ok = tag === `${TAG}bool` ? typeof v === 'boolean' : typeof v === 'number';
      if (!ok) throw new YamlError(`cannot parse "${text}" as ${tag}`);
      return v;
    }
    default:
      throw new YamlError(`unsupported tag "${tag}"`);
  }
}

function key(n: YamlNode | null, doc: Document, src: string): string {
  const k = n === null ? null : value(n, doc, src);
  if (k === null) throw new YamlError('mapping key cannot be null');
  if (typeof k === 'object') throw new YamlError('only strings are allowed as mapping keys');
  return asString(k) as string;
}

function value(n: YamlNode | null, doc: Document, src: string): Value {
  if (n === null) return null;
  if (yaml().isAlias(n)) {
    const target = n.resolve(doc);
    if (!target) throw new YamlError(`reference to undefined anchor "${n.source}"`);
    return value(target as YamlNode, doc, src);
  }
  if (yaml().isScalar(n)) return scalar(n, src);
  if (yaml().isSeq(n)) return n.items.map((i) => value(i as YamlNode | null, doc, src));
  if (yaml().isMap(n)) {
    const out: Record<string, Value> = {};
    for (const pair of n.items) {
      const k = pair.key as YamlNode | null;
      const v = pair.value as YamlNode | null;
      if (
        yaml().isScalar(k) &&
        k.type === yaml().Scalar.PLAIN &&
        k.value === '<<' &&
        k.tag === undefined
      ) {
        const merged = value(v, doc, src);
        if (Array.isArray(merged)) throw new YamlError('cannot merge tuple into mapping');
        if (merged === null || typeof merged !== 'object')
          throw new YamlError('cannot merge a non-mapping into a mapping');
        for (const [mk, mv] of Object.entries(merged)) setKey(out, mk, mv);
        continue;
      }
      setKey(out, key(k, doc, src), value(v, doc, src));
    }
    return out;
  }
  throw new YamlError('unsupported YAML node');
}

/** The value of YAML text, as terraform's yamldecode gives it. */
export function decodeYaml(src: string): Value {
  const docs = yaml().parseAllDocuments(src, {
    schema: 'failsafe',
    uniqueKeys: false,
    merge: false,
  });
  if (!Array.isArray(docs)) throw new YamlError('missing start of document');
  if (docs.length === 0) throw new YamlError('on line 1, column 1: missing start of document');
  if (docs.length > 1)
    throw new YamlError('on line 1, column 1: unexpected extra content after value');
  const doc = docs[0]!;
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos?.[0];
    throw new YamlError(
      `${at ? `on line ${at.line}, column ${at.col}: ` : ''}${err.message.split('\n')[0]}`,
    );
  }
  if (doc.contents === null) throw new YamlError('on line 1, column 1: missing start of document');
  return value(doc.contents as YamlNode, doc as unknown as Document, src);
}
