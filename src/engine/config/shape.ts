// The shapes of parsed configuration documents: hcl2json output and Terraform JSON syntax
// differ in where they put arrays (hcl2json wraps every block body in one; JSON allows either),
// and both use "${...}" templates for expressions. These helpers hide the difference.

import { setKey } from './evaluate.js';
import type { Node } from './ast.js';

export type Obj = Record<string, unknown>;

export const isObj = (x: unknown): x is Obj =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

/** Block bodies: hcl2json wraps every block in an array; Terraform JSON allows either. */
export function objs(x: unknown): Obj[] {
  if (Array.isArray(x)) return x.flatMap(objs);
  return isObj(x) ? [x] : [];
}

export function entries(o: Obj): Array<[string, unknown]> {
  return Object.entries(o).filter(([k]) => k !== '//');
}

/** Labelled blocks (`resource "T" "N"` → n = 2) as [labels, body]. */
export function labelled(x: unknown, n: number): Array<[string[], Obj]> {
  const out: Array<[string[], Obj]> = [];
  for (const o of objs(x)) {
    for (const [k, v] of entries(o)) {
      if (n === 1) for (const b of objs(v)) out.push([[k], b]);
      else for (const [ls, b] of labelled(v, n - 1)) out.push([[k, ...ls], b]);
    }
  }
  return out;
}

/** Readable source of an attribute value for messages: `var.x` rather than `${var.x}`. */
export function exprText(v: unknown, node: Node): string {
  if (typeof v !== 'string') return JSON.stringify(v) ?? 'null';
  if (node.k === 'tmpl' && node.parts.length === 1 && v.startsWith('${') && v.endsWith('}'))
    return v.slice(2, -1).trim();
  return v;
}

/** `${foo.bar}` → `foo.bar` (hcl2json renders bare traversals as templates; JSON syntax does not). */
export function bareTraversal(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\$\{\s*([^{}]*?)\s*\}$/.exec(v);
  return (m ? m[1]! : v).trim();
}

/** Drop `"//"` comment keys anywhere (cdktf metadata). */
export function stripComments(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripComments);
  if (isObj(x)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(x)) if (k !== '//') setKey(out, k, stripComments(v));
    return out;
  }
  return x;
}
