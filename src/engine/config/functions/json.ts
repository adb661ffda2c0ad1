// JSON text as terraform's jsonencode writes it: object keys sorted, numbers in plain decimal,
// `<`, `>`, `&`, U+2028 and U+2029 escaped as Go's encoder does. Used by jsonencode, format's
// %v / %#v and every door that must print a value as terraform would.

import { isUnknown, Sensitive, type Value } from '../../../model/values.js';
import { numberToString } from './support.js';

function quote(s: string): string {
  return JSON.stringify(s)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** JSON text as Terraform's jsonencode writes it. */
export function terraformJson(v: Value): string {
  if (v instanceof Sensitive) return terraformJson(v.value);
  if (v === null || isUnknown(v)) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(terraformJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${quote(k)}:${terraformJson(v[k]!)}`).join(',')}}`;
}
