// Expr values: parsed once at load time (so every syntax problem and unsupported construct is a
// load diagnostic with file:line), evaluated later by the engine against an EvalScope.

import { DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import { stripMarks, type Value } from '../../model/values.js';
import { formatReference, type Reference } from '../../model/reference.js';
import { childNodes, CONTEXT_ROOTS, Parser, type Node, type ParseSink } from './ast.js';
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

  private referenceCache: readonly ReferenceSite[] | undefined;

  private get sites(): readonly ReferenceSite[] {
    if (!this.referenceCache) {
      const out = new Map<string, ReferenceSite>();
      collectReferences(this.node, out);
      for (const r of this.refs)
        if (r.startsWith('data.')) out.set(r, { ref: { kind: 'other', root: r } });
      this.referenceCache = [...out.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, s]) => s);
    }
    return this.referenceCache;
  }

  /** Every reference this expression reads, structured (`cmek_kms_key.k[count.index].arn` is
   * the resource cmek_kms_key.k, index count.index, attribute arn). An index computed from
   * other values (`k[var.i]`) is left out here; instanceReferences evaluates it. */
  get references(): readonly Reference[] {
    return (this.referenceList ??= this.sites.map((s) => s.ref));
  }

  private referenceList: readonly Reference[] | undefined;
  /** Whether any reference has an instance key to evaluate (count.index or computed). */
  private keyed: boolean | undefined;

  /** The references with instance keys resolved in a scope: `count.index` and computed indexes
   * (`k[var.i]`, `k[count.index % 2]`) become the number they evaluate to, so the engine knows
   * which instance of a counted resource an attribute reads. */
  instanceReferences(scope: EvalScope): Reference[] {
    this.keyed ??= this.sites.some(
      (x) =>
        x.indexNode ||
        (x.ref.kind === 'resource' &&
          (x.ref.index === 'count.index' || x.ref.index === 'each.key')),
    );
    if (!this.keyed) return this.references as Reference[];
    return this.sites.map(({ ref, indexNode }) => {
      if (ref.kind !== 'resource') return ref;
      let i: Value | undefined;
      if (ref.index === 'count.index' || ref.index === 'each.key')
        i = stripMarks(scope.lookup(ref.index, this.pos) ?? null);
      else if (indexNode) {
        try {
          i = evaluateNode(indexNode, { scope, file: this.pos.file });
        } catch {
          i = undefined; // reported when the attribute itself is evaluated
        }
      } else return ref;
      const { index: _drop, ...rest } = ref;
      if (typeof i === 'string') return { ...rest, index: i };
      return typeof i === 'number' && Number.isInteger(i) && i >= 0 ? { ...rest, index: i } : rest;
    });
  }

  /** The line of the first reference to `root` (refs entries), for precise diagnostics. */
  lineOfRef(root: string): number | undefined {
    return this.refNode(root)?.line;
  }

  /** The place (line, and range when parsed from native syntax) of the first reference to
   * `root`, for diagnostics; undefined when it is not found. */
  placeOfRef(
    root: string,
  ): Pick<SourcePos, 'line' | 'column' | 'endLine' | 'endColumn'> | undefined {
    const n = this.refNode(root);
    if (!n) return undefined;
    if (n.col === undefined)
      return { line: n.line, column: undefined, endLine: undefined, endColumn: undefined };
    return { line: n.line, column: n.col, endLine: n.endLine, endColumn: n.endCol };
  }

  private refNode(root: string): Node | undefined {
    let found: Node | undefined;
    const visit = (n: Node): void => {
      if (found !== undefined) return;
      switch (n.k) {
        case 'ref':
          if (n.root === root) found = n;
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
          return childNodes(n).forEach(visit);
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
 * Terraform JSON syntax. */
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

/** Build a node from a JSON value read from a .tf.json file (or a JSON variable file), where
 * strings are templates and object keys may be templates too. `lineOf` maps a key path below
 * the attribute to a line (JSON files know every line; HCL maps nested keys to the attribute). */
export function jsonToNode(
  v: unknown,
  sink: ParseSink,
  line: number,
  lineOf?: (path: string[]) => number | undefined,
  path: string[] = [],
  /** Names bound around the value (a `dynamic` block's iterator). */
  bound: readonly string[] = [],
): Node {
  if (typeof v === 'string') {
    return new Parser(v, line, sink, bound.length ? { bound } : {}).parseWholeTemplate();
  }
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return { k: 'lit', v, line };
  if (Array.isArray(v)) {
    return {
      k: 'tuple',
      items: v.map((x) => jsonToNode(x, sink, line, lineOf, path, bound)),
      line,
    };
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
      items.push({ key, value: jsonToNode(x, sink, l, lineOf, sub, bound) });
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

interface ReferenceSite {
  ref: Reference;
  /** A computed index (`k[var.i]`), evaluated by instanceReferences. */
  indexNode?: Node;
}

/** The reference a traversal (`ref` followed by attribute and index steps) makes. */
function siteOf(n: Node): ReferenceSite | undefined {
  const steps: Node[] = [];
  let cur = n;
  while (cur.k === 'attr' || cur.k === 'index') {
    steps.unshift(cur);
    cur = cur.obj;
  }
  if (cur.k !== 'ref') return undefined;
  const dot = cur.root.indexOf('.');
  const head = cur.root.slice(0, dot);
  // A name bound by `for`, `self`, `path.*`: values of the scope, not of a block. `each.*` is
  // kept (kind 'each'): the loader checks it is used only where for_each is set.
  if (dot < 0 || (head !== 'each' && CONTEXT_ROOTS[head])) return undefined;
  const second = cur.root.slice(dot + 1);
  const firstAttr = (from: number): string | undefined => {
    const s = steps[from];
    return s && s.k === 'attr' ? s.name : undefined;
  };
  if (head === 'count') return { ref: { kind: 'count' } };
  // A data source (`data.TYPE.NAME`): its own graph node, named by the whole root.
  if (head === 'data') return { ref: { kind: 'other', root: cur.root } };
  // MODULES: `module.NAME`, `module.NAME.OUTPUT`, `module.NAME[KEY].OUTPUT`.
  if (head === 'module') {
    const output = firstAttr(steps[0]?.k === 'index' ? 1 : 0);
    return { ref: { kind: 'module', name: second, ...(output ? { output } : {}) } };
  }
  if (head === 'each' && (second === 'key' || second === 'value'))
    return { ref: { kind: 'each', attribute: second } };
  if (head === 'var' || head === 'local') {
    const attribute = firstAttr(0);
    return { ref: { kind: head, name: second, ...(attribute ? { attribute } : {}) } };
  }
  const resource = { type: head, name: second };
  const first = steps[0];
  if (first && first.k === 'index') {
    const key = first.key;
    const attribute = firstAttr(1);
    const attr = attribute ? { attribute } : {};
    if (key.k === 'lit' && (typeof key.v === 'number' || typeof key.v === 'string'))
      return { ref: { kind: 'resource', resource, index: key.v, ...attr } };
    if (key.k === 'ref' && (key.root === 'count.index' || key.root === 'each.key'))
      return { ref: { kind: 'resource', resource, index: key.root, ...attr } };
    return { ref: { kind: 'resource', resource, ...attr }, indexNode: key };
  }
  const attribute = firstAttr(0);
  return { ref: { kind: 'resource', resource, ...(attribute ? { attribute } : {}) } };
}

function siteKey(s: ReferenceSite): string {
  return s.indexNode ? `${formatReference(s.ref)}[*${s.indexNode.line}]` : formatReference(s.ref);
}

function collectReferences(n: Node, out: Map<string, ReferenceSite>): void {
  switch (n.k) {
    case 'lit':
    case 'bad':
      return;
    case 'ref':
    case 'attr':
    case 'index': {
      const site = siteOf(n);
      if (site) {
        const k = siteKey(site);
        if (!out.has(k)) out.set(k, site);
      }
      let cur: Node = n;
      while (cur.k === 'attr' || cur.k === 'index') {
        if (cur.k === 'index') collectReferences(cur.key, out);
        cur = cur.obj;
      }
      if (cur.k !== 'ref') collectReferences(cur, out);
      return;
    }
    case 'tmpl':
      for (const p of n.parts) if (typeof p !== 'string') collectReferences(p, out);
      return;
    case 'call':
      for (const a of n.args) collectReferences(a, out);
      return;
    case 'unary':
      collectReferences(n.x, out);
      return;
    case 'binary':
      collectReferences(n.l, out);
      collectReferences(n.r, out);
      return;
    case 'cond':
      collectReferences(n.c, out);
      collectReferences(n.t, out);
      collectReferences(n.f, out);
      return;
    case 'tuple':
      for (const x of n.items) collectReferences(x, out);
      return;
    case 'object':
      for (const { key, value } of n.items) {
        collectReferences(key, out);
        collectReferences(value, out);
      }
      return;
    default:
      for (const c of childNodes(n)) collectReferences(c, out);
  }
}
