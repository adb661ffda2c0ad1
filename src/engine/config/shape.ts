// The shapes of parsed configuration documents: the native parser's tree (syntax.ts) and
// Terraform JSON syntax differ in where they put arrays (the native tree wraps every block body
// in one; JSON allows either) and in their values (the native tree holds parsed expressions,
// JSON uses "${...}" templates in strings). These helpers hide the difference.

import { setKey } from './evaluate.js';
import type { Node } from './ast.js';
import { ParsedExpr } from './expr.js';

export type Obj = Record<string, unknown>;

/** A block body or JSON object (plain objects only: a parsed expression is a value). */
export const isObj = (x: unknown): x is Obj => {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
};

/** A value as Terraform JSON syntax would write it, for the arguments the loader reads
 * literally (description, sensitive, depends_on, lifecycle, backend settings, types): literals
 * stay values, lists and objects of literals stay lists and objects, anything else becomes a
 * `"${...}"` string of its source text (`aws.west` → `"${aws.west}"`). JSON values pass through. */
export function plain(v: unknown): unknown {
  if (!(v instanceof ParsedExpr)) return v;
  const starts = [0];
  for (let j = 0; j < v.text.length; j++) if (v.text[j] === '\n') starts.push(j + 1);
  const offset = (line: number, col: number) => {
    const l = line - v.pos.line;
    return (starts[l] ?? v.text.length) + col - (l === 0 ? (v.pos.column ?? 1) : 1);
  };
  const source = (n: Node): string =>
    n.col === undefined || n.endLine === undefined || n.endCol === undefined
      ? v.text
      : v.text.slice(offset(n.line, n.col), offset(n.endLine, n.endCol));
  const render = (n: Node): unknown => {
    switch (n.k) {
      case 'lit':
        return n.v;
      case 'tuple':
        return n.items.map(render);
      case 'object':
        if (n.items.every((i) => i.key.k === 'lit' && typeof i.key.v === 'string')) {
          const out: Obj = {};
          for (const { key, value } of n.items)
            setKey(out, String((key as { v: string }).v), render(value));
          return out;
        }
        return `\${${source(n)}}`;
      default:
        return `\${${source(n)}}`;
    }
  };
  return render(v.node);
}

/** Block bodies: the native tree wraps every block in an array; Terraform JSON allows either. */
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
  if (v instanceof ParsedExpr) return v.text;
  if (typeof v !== 'string') return JSON.stringify(v) ?? 'null';
  if (node.k === 'tmpl' && node.parts.length === 1 && v.startsWith('${') && v.endsWith('}'))
    return v.slice(2, -1).trim();
  return v;
}

/** `${foo.bar}` → `foo.bar` (JSON syntax may write a traversal as a template or bare; a native
 * expression is rendered by `plain` first). */
export function bareTraversal(raw: unknown): string | undefined {
  const v = plain(raw);
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
