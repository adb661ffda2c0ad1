// Collection functions: lists, maps and sets (length, element, lookup, merge, concat, flatten,
// the set operations, sort, sum, transpose, ...).

import { containsUnknown, isUnknown, UNKNOWN, type Value } from '../../../model/values.js';
import { deepEqual, setKey, typeName } from '../evaluate.js';
import { unify } from './conversion.js';
import {
  argError,
  bool,
  callError,
  family,
  graphemes,
  int,
  isObject,
  list,
  map,
  num,
  str,
  strings,
  toSet,
  type Call,
} from './support.js';

function flatten(xs: Value[]): Value[] {
  return xs.flatMap((x) => (Array.isArray(x) ? flatten(x) : [x]));
}

/** The arguments of a set function, each a list or set. */
function sets(args: Value[], c: Call): Value[][] {
  return args.map((a, i) => list(a, c, i));
}

function unified(xs: Value[], c: Call, i: number): Value[] {
  const u = unify(xs);
  if (!u) return argError(c, i, 'all elements must have the same type');
  return u;
}

export const COLLECTION_FUNCTIONS = family('collection', {
  length: [
    'length(value)',
    'the number of elements of a list, set or map, or of characters of a string',
    ([v], c) => {
      if (isUnknown(v)) return UNKNOWN;
      if (typeof v === 'string') return graphemes(v).length;
      if (Array.isArray(v)) return v.length;
      if (isObject(v!)) return Object.keys(v).length;
      if (v === null) return argError(c, 0, 'argument must not be null');
      return argError(c, 0, `collection must be a list, a map or a tuple`);
    },
    { unknownOk: true },
  ],
  element: [
    'element(list, index)',
    'the element at `index`, wrapping around past the end',
    ([l, i], c) => {
      const xs = list(l!, c, 0);
      const n = int(i!, c, 1);
      if (n < 0) return argError(c, 1, 'cannot use element function with a negative index');
      if (xs.length === 0) return callError(c, 'cannot use element function with an empty list');
      return xs[n % xs.length]!;
    },
    { innerUnknownOk: true },
  ],
  index: [
    'index(list, value)',
    'the index of the first element equal to `value`',
    ([l, v], c) => {
      const i = list(l!, c, 0).findIndex((x) => deepEqual(x, v!));
      if (i < 0) return callError(c, 'item not found');
      return i;
    },
  ],
  lookup: [
    'lookup(map, key, default?)',
    '`map[key]`, or `default`; an error without a default',
    ([m, k, d], c) => {
      const o = map(m!, c, 0);
      const key = str(k!, c, 1);
      if (Object.prototype.hasOwnProperty.call(o, key)) return o[key]!;
      if (d !== undefined) return d;
      return callError(c, `lookup failed to find key "${key}"`);
    },
    { nullOk: true, innerUnknownOk: true },
  ],
  merge: [
    'merge(...maps)',
    'the maps or objects merged, later arguments winning; `null` arguments skipped',
    (args, c) => {
      const out: Record<string, Value> = {};
      for (const [i, a] of args.entries()) {
        if (a === null) continue;
        if (!isObject(a))
          return argError(c, i, `arguments must be maps or objects, got ${typeName(a)}`);
        for (const [k, x] of Object.entries(a)) setKey(out, k, x);
      }
      return out;
    },
    { nullOk: true, innerUnknownOk: true },
  ],
  concat: [
    'concat(...lists)',
    'the lists joined into one',
    (args, c) => {
      if (args.length === 0) return argError(c, 0, 'at least one argument is required');
      return args.flatMap((a, i) => list(a, c, i));
    },
    { innerUnknownOk: true },
  ],
  flatten: [
    'flatten(list)',
    'nested lists replaced by their elements, recursively',
    ([l], c) => flatten(list(l!, c, 0)),
  ],
  distinct: [
    'distinct(list)',
    'the list without duplicates, first occurrences kept',
    ([l], c) => {
      const out: Value[] = [];
      for (const x of unified(list(l!, c, 0), c, 0))
        if (!out.some((y) => deepEqual(x, y))) out.push(x);
      return out;
    },
  ],
  keys: [
    'keys(map)',
    'the keys of a map, sorted',
    ([m], c) => Object.keys(map(m!, c, 0)).sort(),
    { innerUnknownOk: true },
  ],
  values: [
    'values(map)',
    'the values of a map, in the order of its sorted keys',
    ([m], c) => {
      const o = map(m!, c, 0);
      return Object.keys(o)
        .sort()
        .map((k) => o[k]!);
    },
    { innerUnknownOk: true },
  ],
  zipmap: [
    'zipmap(keylist, valuelist)',
    'a map from a list of keys and a list of values of the same length',
    ([k, v], c) => {
      if (containsUnknown(k!)) return UNKNOWN;
      const ks = strings(k!, c, 0);
      const vs = list(v!, c, 1);
      if (ks.length !== vs.length)
        return callError(
          c,
          `number of keys (${ks.length}) does not match number of values (${vs.length})`,
        );
      const out: Record<string, Value> = {};
      ks.forEach((key, i) => setKey(out, key, vs[i]!));
      return out;
    },
    { innerUnknownOk: true },
  ],
  slice: [
    'slice(list, start_index, end_index)',
    'the elements from `start_index` up to (not including) `end_index`',
    ([l, s, e], c) => {
      const xs = list(l!, c, 0);
      const a = int(s!, c, 1);
      const b = int(e!, c, 2);
      if (a < 0) return argError(c, 1, 'the starting index must be greater than or equal to 0');
      if (b > xs.length)
        return argError(
          c,
          2,
          'the ending index must be less than or equal to the length of the list',
        );
      if (a > b)
        return argError(c, 1, 'the starting index must be less than or equal to the ending index');
      return xs.slice(a, b);
    },
    { innerUnknownOk: true },
  ],
  contains: [
    'contains(list, value)',
    'whether the list contains `value`',
    ([l, v], c) => list(l!, c, 0).some((x) => deepEqual(x, v!)),
  ],
  coalesce: [
    'coalesce(...vals)',
    'the first argument that is not null or an empty string',
    (args, c) => {
      const u = unified(args, c, 0);
      for (const x of u) if (x !== null && x !== '') return x;
      return callError(c, 'no non-null, non-empty-string arguments');
    },
    { nullOk: true },
  ],
  coalescelist: [
    'coalescelist(...lists)',
    'the first list that is not empty',
    (args, c) => {
      if (args.length === 0) return argError(c, 0, 'at least one argument is required');
      for (const [i, a] of args.entries()) if (list(a, c, i).length) return a;
      return callError(c, 'no non-null arguments');
    },
    { nullOk: true, innerUnknownOk: true },
  ],
  compact: [
    'compact(list)',
    'the list without empty strings and nulls',
    ([l], c) =>
      list(l!, c, 0)
        .filter((x) => x !== null && x !== '')
        .map((x) => str(x, c, 0)),
  ],
  chunklist: [
    'chunklist(list, chunk_size)',
    'the list cut into lists of `chunk_size` elements',
    ([l, n], c) => {
      const xs = list(l!, c, 0);
      const size = int(n!, c, 1);
      if (size < 0) return argError(c, 1, 'the size argument must be positive');
      if (size === 0) return [xs];
      const out: Value[] = [];
      for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
      return out;
    },
    { innerUnknownOk: true },
  ],
  range: [
    'range(...params)',
    'a list of numbers: `range(limit)`, `range(start, limit)`, `range(start, limit, step)`',
    (args, c) => {
      if (args.length === 0) return argError(c, 0, 'not enough arguments');
      if (args.length > 3) return argError(c, 3, 'too many arguments');
      const ns = args.map((a, i) => num(a, c, i));
      const [start, limit, step] =
        ns.length === 1
          ? [0, ns[0]!, ns[0]! < 0 ? -1 : 1]
          : [ns[0]!, ns[1]!, ns[2] ?? (ns[0]! > ns[1]! ? -1 : 1)];
      if (step === 0) return argError(c, 2, 'step must not be zero');
      if (start < limit && step < 0)
        return argError(c, 2, 'step must be positive when start is less than limit');
      if (start > limit && step > 0)
        return argError(c, 2, 'step must be negative when start is greater than limit');
      const out: Value[] = [];
      for (let x = start; step > 0 ? x < limit : x > limit; x += step) {
        if (out.length >= 1024)
          return callError(
            c,
            'more than 1024 values were generated; either decrease the difference between start and end or use a smaller step',
          );
        out.push(x);
      }
      return out;
    },
  ],
  reverse: [
    'reverse(list)',
    'the list in reverse order',
    ([l], c) => [...list(l!, c, 0)].reverse(),
    { innerUnknownOk: true },
  ],
  setproduct: [
    'setproduct(...sets)',
    'every combination of one element from each list or set',
    (args, c) => {
      if (args.length < 2) return argError(c, 0, 'at least two arguments are required');
      let out: Value[][] = [[]];
      for (const s of sets(args, c)) out = out.flatMap((p) => s.map((x) => [...p, x]));
      return out;
    },
  ],
  setunion: [
    'setunion(...sets)',
    'the elements in any of the sets',
    (args, c) => toSet(unified(sets(args, c).flat(), c, 0)),
  ],
  setintersection: [
    'setintersection(...sets)',
    'the elements in every one of the sets',
    (args, c) => {
      const [first, ...rest] = sets(args, c);
      return toSet(
        unified(
          first!.filter((x) => rest.every((s) => s.some((y) => deepEqual(x, y)))),
          c,
          0,
        ),
      );
    },
  ],
  setsubtract: [
    'setsubtract(a, b)',
    'the elements of `a` not in `b`',
    ([a, b], c) => {
      const bs = list(b!, c, 1);
      return toSet(list(a!, c, 0).filter((x) => !bs.some((y) => deepEqual(x, y))));
    },
  ],
  sort: [
    'sort(list)',
    'the strings in lexical order',
    ([l], c) => strings(l!, c, 0).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  ],
  sum: [
    'sum(list)',
    'the sum of the numbers',
    ([l], c) => {
      const xs = list(l!, c, 0);
      if (xs.length === 0) return callError(c, 'cannot sum an empty list');
      return xs.reduce<number>((acc, x) => acc + num(x, c, 0), 0);
    },
  ],
  transpose: [
    'transpose(map)',
    'a map of lists of strings with keys and values swapped',
    ([m], c) => {
      const o = map(m!, c, 0);
      const out: Record<string, string[]> = {};
      for (const k of Object.keys(o).sort())
        for (const v of strings(o[k]!, c, 0)) {
          if (!Object.prototype.hasOwnProperty.call(out, v)) setKey(out, v, []);
          out[v]!.push(k);
        }
      return out;
    },
  ],
  one: [
    'one(list)',
    'the only element of a list or set of zero or one elements (null for none)',
    ([l], c) => {
      if (l === null) return argError(c, 0, 'argument must not be null');
      const xs = list(l!, c, 0);
      if (xs.length > 1)
        return argError(
          c,
          0,
          'must be a list, set, or tuple value with either zero or one elements',
        );
      return xs.length ? xs[0]! : null;
    },
    { innerUnknownOk: true },
  ],
  alltrue: [
    'alltrue(list)',
    'whether every element is true (true for an empty list)',
    ([l], c) => list(l!, c, 0).every((x) => bool(x, c, 0)),
  ],
  anytrue: [
    'anytrue(list)',
    'whether any element is true',
    ([l], c) => list(l!, c, 0).some((x) => bool(x, c, 0)),
  ],
  matchkeys: [
    'matchkeys(valueslist, keyslist, searchset)',
    'the values whose key at the same index is in `searchset`',
    ([v, k, s], c) => {
      const vs = list(v!, c, 0);
      const ks = list(k!, c, 1);
      const ss = list(s!, c, 2);
      if (vs.length !== ks.length) return callError(c, 'length of keys and values should be equal');
      return vs.filter((_, i) => ss.some((x) => deepEqual(x, ks[i]!)));
    },
  ],
});
