// Expr values: parsed once at load time (so every syntax problem and unsupported construct is a
// load diagnostic with file:line), evaluated later by the engine against an EvalScope.

import { DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import type { Value } from '../../model/values.js';
import { Parser, type Node, type ParseSink } from './ast.js';
import { evaluateNode } from './evaluate.js';
import type { EvalScope, Expr, SourcePos } from './types.js';

export interface ParseResult {
  expr: Expr;
  diagnostics: Diagnostic[];
}

export class ParsedExpr implements Expr {
  constructor(
    readonly node: Node,
    readonly refs: readonly string[],
    readonly pos: SourcePos,
    readonly text: string,
    /** The load diagnostics of this expression (errors make evaluate throw them). */
    readonly diagnostics: readonly Diagnostic[],
  ) {}

  evaluate(scope: EvalScope): Value {
    const errors = this.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new DiagnosticError(errors);
    return evaluateNode(this.node, { scope, file: this.pos.file });
  }

  private traversalCache: string[] | undefined;

  /** Every traversal as far as it is static (`cmek_encrypted_service.db[0].id`,
   * `cmek_kms_key.k[count.index].arn`, `var.list`), so the engine can tell which instance of a
   * counted resource an attribute reads. `refs` holds only their roots. */
  get traversals(): readonly string[] {
    if (!this.traversalCache) {
      const out = new Set<string>();
      collectTraversals(this.node, out);
      this.traversalCache = [...out].sort();
    }
    return this.traversalCache;
  }

  /** The line of the first reference to `root` (refs entries), for precise diagnostics. */
  lineOfRef(root: string): number | undefined {
    let found: number | undefined;
    const visit = (n: Node): void => {
      if (found !== undefined) return;
      switch (n.k) {
        case 'ref':
          if (n.root === root) found = n.line;
          return;
        case 'attr':
          return visit(n.obj);
        case 'index':
          visit(n.obj);
          return visit(n.key);
        case 'tmpl':
          for (const p of n.parts) if (typeof p !== 'string') visit(p);
          return;
        case 'call':
          return n.args.forEach(visit);
        case 'unary':
          return visit(n.x);
        case 'binary':
          visit(n.l);
          return visit(n.r);
        case 'cond':
          visit(n.c);
          visit(n.t);
          return visit(n.f);
        case 'tuple':
          return n.items.forEach(visit);
        case 'object':
          for (const { key, value } of n.items) {
            visit(key);
            visit(value);
          }
          return;
        default:
          return;
      }
    };
    visit(this.node);
    return found;
  }

  /** True when the expression reads nothing (a literal, or literals combined). */
  get isConstant(): boolean {
    return this.refs.length === 0;
  }

  toJSON(): string {
    return this.text;
  }
}

function finish(node: Node, sink: ParseSink, pos: SourcePos, text: string): ParseResult {
  const expr = new ParsedExpr(node, [...sink.refs].sort(), pos, text, sink.diagnostics);
  return { expr, diagnostics: sink.diagnostics };
}

/** Parse native HCL expression syntax (`var.x + 1`, `jsonencode({...})`). `pos` is where the
 * text starts; lines inside multi-line text are counted from there. */
export function parseExpression(text: string, pos: SourcePos): ParseResult {
  const sink: ParseSink = { file: pos.file, diagnostics: [], refs: new Set() };
  const node = new Parser(text, pos.line, sink).parseWholeExpression();
  return finish(node, sink, pos, text);
}

/** Parse a string template (`"svc-${count.index}"` without the quotes), as found in
 * Terraform JSON syntax and in @cdktf/hcl2json output. */
export function parseTemplate(text: string, pos: SourcePos): ParseResult {
  const sink: ParseSink = { file: pos.file, diagnostics: [], refs: new Set() };
  const node = new Parser(text, pos.line, sink).parseWholeTemplate();
  return finish(node, sink, pos, text);
}

/** An expression that is a known value. */
export function literalExpr(value: Value, pos: SourcePos): Expr {
  return new ParsedExpr(
    { k: 'lit', v: value, line: pos.line },
    [],
    pos,
    JSON.stringify(value) ?? 'null',
    [],
  );
}

/** Build a node from a JSON value produced by hcl2json or read from a .tf.json file, where
 * strings are templates and object keys may be templates too. `lineOf` maps a key path below
 * the attribute to a line (JSON files know every line; HCL maps nested keys to the attribute). */
export function jsonToNode(
  v: unknown,
  sink: ParseSink,
  line: number,
  lineOf?: (path: string[]) => number | undefined,
  path: string[] = [],
): Node {
  if (typeof v === 'string') {
    return new Parser(v, line, sink).parseWholeTemplate();
  }
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return { k: 'lit', v, line };
  if (Array.isArray(v)) {
    return { k: 'tuple', items: v.map((x) => jsonToNode(x, sink, line, lineOf, path)), line };
  }
  if (typeof v === 'object') {
    const items: Array<{ key: Node; value: Node }> = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === '//') continue;
      const sub = [...path, k];
      const l = lineOf?.(sub) ?? line;
      const key: Node = k.includes('${')
        ? new Parser(k, l, sink).parseWholeTemplate()
        : { k: 'lit', v: k, line: l };
      items.push({ key, value: jsonToNode(x, sink, l, lineOf, sub) });
    }
    return { k: 'object', items, line };
  }
  throw new Error(`unexpected JSON value of type ${typeof v}`);
}

/** An Expr over a JSON value (see jsonToNode); its diagnostics are appended to `out`. */
export function jsonExpr(
  v: unknown,
  pos: SourcePos,
  out: Diagnostic[],
  lineOf?: (path: string[]) => number | undefined,
): ParsedExpr {
  const sink: ParseSink = { file: pos.file, diagnostics: [], refs: new Set() };
  const node = jsonToNode(v, sink, pos.line, lineOf);
  out.push(...sink.diagnostics);
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
  return new ParsedExpr(node, [...sink.refs].sort(), pos, text, sink.diagnostics);
}

/** A scope over a fixed table of roots (`var.x`, `local.y`, `TYPE.NAME`, `count.index`), for
 * tests, variable defaults and callers that have everything evaluated already. */
export function mapScope(baseDir: string, table: Record<string, Value>): EvalScope {
  return {
    baseDir,
    lookup: (root) => (Object.prototype.hasOwnProperty.call(table, root) ? table[root] : undefined),
    candidates: () => Object.keys(table),
  };
}

interface Chain {
  text: string;
  /** False once a dynamic step (`[var.i]`) ended the static part. */
  open: boolean;
}

function chain(n: Node): Chain | undefined {
  if (n.k === 'ref') return { text: n.root, open: true };
  if (n.k === 'attr') {
    const c = chain(n.obj);
    return c && c.open ? { text: `${c.text}.${n.name}`, open: true } : c;
  }
  if (n.k === 'index') {
    const c = chain(n.obj);
    if (!c || !c.open) return c;
    const k = n.key;
    if (k.k === 'lit' && typeof k.v === 'number') return { text: `${c.text}[${k.v}]`, open: true };
    if (k.k === 'lit' && typeof k.v === 'string')
      return { text: `${c.text}[${JSON.stringify(k.v)}]`, open: true };
    if (k.k === 'ref' && k.root === 'count.index')
      return { text: `${c.text}[count.index]`, open: true };
    return { text: c.text, open: false };
  }
  return undefined;
}

function collectTraversals(n: Node, out: Set<string>): void {
  switch (n.k) {
    case 'lit':
    case 'bad':
      return;
    case 'ref':
    case 'attr':
    case 'index': {
      const c = chain(n);
      if (c) out.add(c.text);
      let cur: Node = n;
      while (cur.k === 'attr' || cur.k === 'index') {
        if (cur.k === 'index') collectTraversals(cur.key, out);
        cur = cur.obj;
      }
      if (cur.k !== 'ref') collectTraversals(cur, out);
      return;
    }
    case 'tmpl':
      for (const p of n.parts) if (typeof p !== 'string') collectTraversals(p, out);
      return;
    case 'call':
      for (const a of n.args) collectTraversals(a, out);
      return;
    case 'unary':
      collectTraversals(n.x, out);
      return;
    case 'binary':
      collectTraversals(n.l, out);
      collectTraversals(n.r, out);
      return;
    case 'cond':
      collectTraversals(n.c, out);
      collectTraversals(n.t, out);
      collectTraversals(n.f, out);
      return;
    case 'tuple':
      for (const x of n.items) collectTraversals(x, out);
      return;
    case 'object':
      for (const { key, value } of n.items) {
        collectTraversals(key, out);
        collectTraversals(value, out);
      }
      return;
  }
}
