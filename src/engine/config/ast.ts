// A recursive-descent parser for the HCL expression subset cmek supports.
//
// Why hand-written: @cdktf/hcl2json gives us the block structure but leaves every expression as
// a `"${...}"` template string, and its getExpressionAst returns a syntax tree without values
// or positions we can evaluate. The subset is small (literals, templates, references, function
// calls, operators, conditionals, tuple/object constructors), so a parser of our own is shorter
// than an adapter and lets every construct outside the subset become a CONFIG_UNSUPPORTED
// diagnostic naming file and line instead of a crash or a silent skip.

import { diag, type Diagnostic } from '../../model/diagnostics.js';
import type { Value } from '../../model/values.js';
import { FUNCTION_NAMES, UNIMPLEMENTED_FUNCTIONS } from './functions/index.js';

export type BinOp =
  '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '&&' | '||';

type NodeBody =
  | { k: 'lit'; v: Value }
  /** A template with literal text and interpolations. A template that is exactly one
   * interpolation (`"${x}"`) yields x's value unconverted, as in Terraform. */
  | { k: 'tmpl'; parts: Array<string | Node> }
  /** A traversal root: `var.x`, `local.x`, `count.index`, `TYPE.NAME`. */
  | { k: 'ref'; root: string }
  | { k: 'attr'; obj: Node; name: string }
  | { k: 'index'; obj: Node; key: Node }
  /** `expand`: the last argument was written with `...` (argument expansion). */
  | { k: 'call'; name: string; args: Node[]; expand?: boolean }
  | { k: 'unary'; op: '-' | '!'; x: Node }
  | { k: 'binary'; op: BinOp; l: Node; r: Node }
  | { k: 'cond'; c: Node; t: Node; f: Node }
  | { k: 'tuple'; items: Node[] }
  | { k: 'object'; items: Array<{ key: Node; value: Node }> }
  /** `[for k, v in coll : value if cond]` (object: false) or
   * `{for k, v in coll : key => value... if cond}` (object: true, `key` set, `grouping` for
   * `...`). Inside key/value/cond, `keyVar` and `valVar` are `ref` nodes whose root is the bare
   * name; the evaluator binds them before it asks the scope. */
  | {
      k: 'for';
      keyVar?: string;
      valVar: string;
      coll: Node;
      key?: Node;
      value: Node;
      cond?: Node;
      object: boolean;
      grouping: boolean;
    }
  /** A splat: `obj[*].a.b` (full: true) or `obj.*.a` (attribute-only, full: false). `each` is
   * the traversal applied to every element, built on a `splatItem` leaf; a non-list `obj`
   * becomes a one-element list (null: empty), as in Terraform. */
  | { k: 'splat'; obj: Node; each: Node; full: boolean }
  /** The element a splat's `each` traversal starts from. */
  | { k: 'splatItem' }
  /** `%{if c}t%{else}f%{endif}` among a template's parts; `t` and `f` are templates. */
  | { k: 'tmplIf'; c: Node; t: Node; f?: Node }
  /** `%{for k, v in coll}body%{endfor}` among a template's parts; `body` is a template. */
  | { k: 'tmplFor'; keyVar?: string; valVar: string; coll: Node; body: Node }
  /** A construct that failed to parse or is unsupported; its diagnostics were recorded. */
  | { k: 'bad' };

/** Every node carries its start line; nodes from the native parser also carry the start column
 * and the end (line, exclusive column), all 1-based, for diagnostics with ranges. */
export type Node = NodeBody & { line: number; col?: number; endLine?: number; endCol?: number };

/** The functions cmek implements (docs/configuration.md, "Functions"): the library's table
 * (functions/index.ts). Anything else is CONFIG_UNSUPPORTED at load time. */
export { FUNCTION_NAMES as SUPPORTED_FUNCTIONS } from './functions/index.js';

/** Roots that Terraform knows but cmek does not implement. */
const UNSUPPORTED_ROOTS: Record<string, string> = {
  module: 'a module',
  each: 'for_each (each.key / each.value)',
  path: 'a path.* value',
  terraform: 'a terraform.* value other than terraform.workspace',
  self: 'self (provisioners)',
};

export interface ParseSink {
  file: string;
  diagnostics: Diagnostic[];
  refs: Set<string>;
}

class Syntax extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

type Tok =
  | { t: 'num'; v: number }
  | { t: 'ident'; v: string }
  | { t: 'str'; node: Node }
  | { t: 'op'; v: string }
  | { t: 'eof' };

const OPS3 = ['...'];
const OPS2 = ['==', '!=', '<=', '>=', '&&', '||', '=>'];
const OPS1 = '+-*/%<>!?:()[]{},.=~';

// Character classes by code, not regex: the lexer runs over every attribute of 10k-resource
// configurations.
export function isIdStart(c: string | undefined): boolean {
  if (c === undefined) return false;
  const x = c.charCodeAt(0);
  return (x >= 65 && x <= 90) || (x >= 97 && x <= 122) || x === 95;
}
export function isIdChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  const x = c.charCodeAt(0);
  return (x >= 48 && x <= 57) || x === 45 || isIdStart(c);
}
const NUMBER = /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

export class Parser {
  private i = 0;
  private readonly nl: number[] = [];
  private cache: { start: number; tok: Tok; end: number } | undefined;

  constructor(
    private readonly src: string,
    private readonly baseLine: number,
    private sink: ParseSink,
    /** Bare names (`${name}`) are references: the variables of a templatefile() template. */
    private readonly options: { bareNames?: boolean } = {},
  ) {
    for (let j = 0; j < src.length; j++) if (src[j] === '\n') this.nl.push(j);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.nl[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return this.baseLine + lo;
  }

  private unsupported(offset: number, what: string, remedy: string): Node {
    this.sink.diagnostics.push(
      diag('CONFIG_UNSUPPORTED', `${what} is not supported`, remedy, {
        file: this.sink.file,
        line: this.lineAt(offset),
      }),
    );
    return { k: 'bad', line: this.lineAt(offset) };
  }

  private syntaxDiag(e: Syntax): Node {
    this.sink.diagnostics.push(
      diag('CONFIG_SYNTAX', `Invalid expression: ${e.message}`, `In: ${this.excerpt()}`, {
        file: this.sink.file,
        line: this.lineAt(e.offset),
      }),
    );
    return { k: 'bad', line: this.lineAt(e.offset) };
  }

  private excerpt(): string {
    const s = this.src.replace(/\s+/g, ' ').trim();
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  }

  /** Parse the whole source as a template (JSON strings and hcl2json output). */
  parseWholeTemplate(): Node {
    try {
      return this.templateParts('raw');
    } catch (e) {
      if (e instanceof Syntax) return this.syntaxDiag(e);
      throw e;
    }
  }

  /** Parse the whole source as one expression (native syntax). */
  parseWholeExpression(): Node {
    try {
      const n = this.expr();
      const t = this.peek();
      if (t.t !== 'eof') throw new Syntax(`unexpected ${describe(t)} after the expression`, this.i);
      return n;
    } catch (e) {
      if (e instanceof Syntax) return this.syntaxDiag(e);
      throw e;
    }
  }

  // ---- lexing ----

  private skipSpace(): void {
    const s = this.src;
    for (;;) {
      const c = s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.i++;
      else if (c === '#' || (c === '/' && s[this.i + 1] === '/')) {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else if (c === '/' && s[this.i + 1] === '*') {
        const end = s.indexOf('*/', this.i + 2);
        if (end < 0) throw new Syntax('unterminated comment', this.i);
        this.i = end + 2;
      } else return;
    }
  }

  private peek(): Tok {
    this.skipSpace();
    if (this.cache && this.cache.start === this.i) return this.cache.tok;
    const start = this.i;
    const tok = this.lex();
    this.cache = { start, tok, end: this.i };
    this.i = start;
    return tok;
  }

  private next(): Tok {
    const tok = this.peek();
    this.i = this.cache!.end;
    return tok;
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }

  private expectOp(v: string): void {
    const t = this.peek();
    if (t.t !== 'op' || t.v !== v)
      throw new Syntax(`expected "${v}", found ${describe(t)}`, this.i);
    this.next();
  }

  private lex(): Tok {
    const s = this.src;
    const c = s[this.i];
    if (c === undefined) return { t: 'eof' };
    if (c >= '0' && c <= '9') {
      NUMBER.lastIndex = this.i;
      const m = NUMBER.exec(s)!;
      this.i += m[0].length;
      return { t: 'num', v: Number(m[0]) };
    }
    if (isIdStart(c)) {
      const st = this.i;
      while (isIdChar(s[this.i])) this.i++;
      return { t: 'ident', v: s.slice(st, this.i) };
    }
    if (c === '"') {
      this.i++;
      return { t: 'str', node: this.templateParts('quoted') };
    }
    if (c === '<' && s[this.i + 1] === '<' && (s[this.i + 2] === '-' || isIdStart(s[this.i + 2]))) {
      return { t: 'str', node: this.heredoc() };
    }
    for (const op of [...OPS3, ...OPS2]) {
      if (s.startsWith(op, this.i)) {
        this.i += op.length;
        return { t: 'op', v: op };
      }
    }
    if (OPS1.includes(c)) {
      this.i++;
      return { t: 'op', v: c };
    }
    throw new Syntax(`invalid character ${JSON.stringify(c)}`, this.i);
  }

  private heredoc(): Node {
    const s = this.src;
    const start = this.i;
    this.i += 2;
    const indent = s[this.i] === '-';
    if (indent) this.i++;
    const st = this.i;
    while (isIdChar(s[this.i])) this.i++;
    const marker = s.slice(st, this.i);
    const eol = s.indexOf('\n', this.i);
    if (eol < 0) throw new Syntax('heredoc marker must be followed by a newline', start);
    const bodyStart = eol + 1;
    let lineStart = bodyStart;
    for (;;) {
      const lineEnd = s.indexOf('\n', lineStart);
      const line = s.slice(lineStart, lineEnd < 0 ? s.length : lineEnd);
      if (line.trim() === marker) {
        let body = s.slice(bodyStart, lineStart);
        if (indent) body = dedent(body);
        this.i = lineEnd < 0 ? s.length : lineEnd;
        const sub = new Parser(body, this.lineAt(bodyStart), this.sink);
        return sub.parseWholeTemplate();
      }
      if (lineEnd < 0) throw new Syntax(`heredoc not terminated by "${marker}"`, start);
      lineStart = lineEnd + 1;
    }
  }

  /** Template text: `raw` runs to the end of the source (no backslash escapes: hcl2json has
   * already decoded them); `quoted` ends at an unescaped `"` and decodes escapes. */
  private templateParts(mode: 'raw' | 'quoted'): Node {
    const s = this.src;
    const line = this.lineAt(this.i);
    const parts: Array<string | Node> = [];
    let lit = '';
    let trimNext = false;
    let bad = false;
    const flush = () => {
      if (trimNext) lit = lit.replace(/^\s+/, '');
      trimNext = false;
      if (lit) parts.push(lit);
      lit = '';
    };
    for (;;) {
      const c = s[this.i];
      if (c === undefined) {
        if (mode === 'quoted') throw new Syntax('unterminated string', this.i);
        break;
      }
      if (mode === 'quoted' && c === '"') {
        this.i++;
        break;
      }
      if (mode === 'quoted' && c === '\n') throw new Syntax('unterminated string', this.i);
      if ((c === '$' || c === '%') && s[this.i + 1] === c && s[this.i + 2] === '{') {
        lit += `${c}{`;
        this.i += 3;
        continue;
      }
      if (c === '$' && s[this.i + 1] === '{') {
        const at = this.i;
        this.i += 2;
        if (s[this.i] === '~') {
          this.i++;
          lit = lit.replace(/\s+$/, '');
        }
        flush();
        // After an unsupported directive the rest of the template is its body (loop
        // variables and all): parse it for structure only, without reporting.
        const sink = this.sink;
        if (bad) this.sink = { file: sink.file, diagnostics: [], refs: new Set() };
        let node: Node;
        try {
          node = this.expr();
        } finally {
          this.sink = sink;
        }
        if (this.isOp('~')) {
          this.next();
          trimNext = true;
        }
        if (!this.isOp('}')) throw new Syntax('expected "}" to close the interpolation', at);
        this.next();
        parts.push(node);
        continue;
      }
      if (c === '%' && s[this.i + 1] === '{') {
        const at = this.i;
        flush();
        this.skipBalanced('{', '}', this.i + 1);
        // One diagnostic per template: `%{if}` ... `%{endif}` is one construct.
        if (!bad)
          this.unsupported(
            at,
            'A template directive (`%{if}` / `%{for}`)',
            'Compute the value with a conditional expression (`a ? b : c`) instead, or escape the text as `%%{`.',
          );
        bad = true;
        continue;
      }
      if (mode === 'quoted' && c === '\\') {
        lit += this.escape();
        continue;
      }
      lit += c;
      this.i++;
    }
    flush();
    if (bad) return { k: 'bad', line };
    if (parts.length === 0) return { k: 'lit', v: '', line };
    if (parts.length === 1 && typeof parts[0] === 'string') return { k: 'lit', v: parts[0], line };
    return { k: 'tmpl', parts, line };
  }

  private escape(): string {
    const s = this.src;
    const e = s[this.i + 1];
    this.i += 2;
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
    if (e !== undefined && e in simple) return simple[e]!;
    if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = s.slice(this.i, this.i + len);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len)
        throw new Syntax(`invalid \\${e} escape`, this.i - 2);
      this.i += len;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    throw new Syntax(`invalid escape sequence \\${e ?? ''}`, this.i - 2);
  }

  /** Skip from `open` at offset `at` to its matching `close`, honouring strings. */
  private skipBalanced(open: string, close: string, at: number): void {
    this.i = at;
    this.cache = undefined;
    let depth = 0;
    const quiet: ParseSink = { file: this.sink.file, diagnostics: [], refs: new Set() };
    for (;;) {
      this.skipSpace();
      const c = this.src[this.i];
      if (c === undefined) throw new Syntax(`missing "${close}"`, at);
      if (c === '"') {
        // Lex the string with a throwaway sink: its contents belong to the skipped construct.
        const sub = new Parser(this.src.slice(this.i + 1), this.lineAt(this.i), quiet);
        sub.templateParts('quoted');
        this.i += 1 + sub.i;
        continue;
      }
      if (c === '{' || c === '[' || c === '(') depth++;
      if (c === '}' || c === ']' || c === ')') {
        depth--;
        if (depth === 0) {
          this.i++;
          return;
        }
      }
      this.i++;
    }
  }

  // ---- expressions ----

  expr(): Node {
    const c = this.binary(0);
    if (this.isOp('?')) {
      this.next();
      const t = this.expr();
      this.expectOp(':');
      const f = this.expr();
      return { k: 'cond', c, t, f, line: c.line };
    }
    return c;
  }

  private static readonly LEVELS: BinOp[][] = [
    ['||'],
    ['&&'],
    ['==', '!='],
    ['<', '>', '<=', '>='],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): Node {
    if (level >= Parser.LEVELS.length) return this.unary();
    let l = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || !(Parser.LEVELS[level] as string[]).includes(t.v)) return l;
      this.next();
      const r = this.binary(level + 1);
      l = { k: 'binary', op: t.v as BinOp, l, r, line: l.line };
    }
  }

  private unary(): Node {
    const t = this.peek();
    if (t.t === 'op' && (t.v === '-' || t.v === '!')) {
      const line = this.lineAt(this.i);
      this.next();
      return { k: 'unary', op: t.v, x: this.unary(), line };
    }
    return this.postfix(this.primary());
  }

  private postfix(n: Node): Node {
    for (;;) {
      if (this.isOp('.')) {
        const at = this.i;
        this.next();
        const t = this.next();
        if (t.t === 'ident') n = { k: 'attr', obj: n, name: t.v, line: n.line };
        else if (t.t === 'num' && Number.isInteger(t.v))
          n = { k: 'index', obj: n, key: { k: 'lit', v: t.v, line: n.line }, line: n.line };
        else if (t.t === 'op' && t.v === '*')
          n = this.unsupported(at, 'A splat expression (`.*`)', SPLAT_REMEDY);
        else throw new Syntax(`expected an attribute name after ".", found ${describe(t)}`, at);
      } else if (this.isOp('[')) {
        const at = this.i;
        this.next();
        if (this.isOp('*')) {
          this.next();
          this.expectOp(']');
          n = this.unsupported(at, 'A splat expression (`[*]`)', SPLAT_REMEDY);
          continue;
        }
        const key = this.expr();
        this.expectOp(']');
        n = { k: 'index', obj: n, key, line: n.line };
      } else return n;
    }
  }

  private primary(): Node {
    const at = this.i;
    const line = this.lineAt(at);
    const t = this.next();
    switch (t.t) {
      case 'num':
        return { k: 'lit', v: t.v, line };
      case 'str':
        return t.node;
      case 'eof':
        throw new Syntax('expected an expression, found the end of the input', at);
      case 'ident':
        return this.identStart(t.v, at, line);
      case 'op':
        if (t.v === '(') {
          const inner = this.expr();
          this.expectOp(')');
          return inner;
        }
        if (t.v === '[') return this.tuple(at, line);
        if (t.v === '{') return this.object(at, line);
        throw new Syntax(`unexpected "${t.v}"`, at);
    }
  }

  private identStart(name: string, at: number, line: number): Node {
    if (name === 'true' || name === 'false') return { k: 'lit', v: name === 'true', line };
    if (name === 'null') return { k: 'lit', v: null, line };
    if (this.isOp('(')) return this.call(name, at, line);
    if (name === 'terraform' && this.isOp('.')) {
      // terraform.workspace: the selected workspace (docs/backends.md); other terraform.*
      // values stay unsupported below.
      const at0 = this.i;
      this.next();
      const attr = this.next();
      if (attr.t === 'ident' && attr.v === 'workspace') {
        this.sink.refs.add('terraform.workspace');
        return { k: 'ref', root: 'terraform.workspace', line };
      }
      this.i = at0;
    }
    if (name === 'data' && this.isOp('.')) {
      // data.TYPE.NAME: a data source (docs/configuration.md, "Data sources"), one root.
      const at0 = this.i;
      this.next();
      const type = this.next();
      if (type.t === 'ident' && this.isOp('.')) {
        this.next();
        const dn = this.next();
        if (dn.t === 'ident') {
          const root = `data.${type.v}.${dn.v}`;
          this.sink.refs.add(root);
          return { k: 'ref', root, line };
        }
      }
      this.i = at0;
      throw new Syntax('a data source reference is data.TYPE.NAME', at);
    }
    if (name in UNSUPPORTED_ROOTS) {
      const parts = [name];
      while (this.isOp('.') && parts.length < 2) {
        this.next();
        const a = this.next();
        if (a.t === 'ident') parts.push(a.v);
      }
      // data.* and module.* roots stay in refs so graph and policy code can see them; the
      // others (each, path, ...) name nothing addressable.
      if (parts.length > 1 && name === 'module')
        this.sink.refs.add(parts.join('.'));
      return this.unsupported(
        at,
        `A reference to ${UNSUPPORTED_ROOTS[name]} (\`${parts.join('.')}\`)`,
        'cmek configurations use resources, variables and locals only; inline the value or declare it as a variable.',
      );
    }
    if (!this.isOp('.') && this.options.bareNames) {
      this.sink.refs.add(name);
      return { k: 'ref', root: name, line };
    }
    if (!this.isOp('.')) {
      this.sink.diagnostics.push(
        diag(
          'CONFIG_REFERENCE',
          `Invalid reference "${name}"`,
          'A reference must name a variable (var.NAME), a local value (local.NAME), count.index, or a resource (TYPE.NAME). Strings must be quoted.',
          { file: this.sink.file, line },
        ),
      );
      return { k: 'bad', line };
    }
    this.next();
    const second = this.next();
    if (second.t !== 'ident')
      throw new Syntax(`expected a name after "${name}.", found ${describe(second)}`, at);
    const root = `${name}.${second.v}`;
    this.sink.refs.add(root);
    return { k: 'ref', root, line };
  }

  private call(name: string, at: number, line: number): Node {
    this.expectOp('(');
    const args: Node[] = [];
    while (!this.isOp(')')) {
      args.push(this.expr());
      if (this.isOp('...')) {
        this.next();
        this.unsupported(at, 'Argument expansion (`...`)', 'Pass the arguments one by one.');
      }
      if (this.isOp(',')) this.next();
      else if (!this.isOp(')'))
        throw new Syntax(`expected "," or ")" in the call to ${name}()`, this.i);
    }
    this.next();
    if (!FUNCTION_NAMES.has(name)) {
      return this.unsupported(
        at,
        `The function ${name}()`,
        UNIMPLEMENTED_FUNCTIONS[name]
          ? `cmek does not implement ${name}(): ${UNIMPLEMENTED_FUNCTIONS[name]}.`
          : 'There is no built-in function with this name (docs/configuration.md lists them).',
      );
    }
    return { k: 'call', name, args, line };
  }

  private forExpression(at: number, close: string): Node | undefined {
    const t = this.peek();
    if (t.t === 'ident' && t.v === 'for') {
      this.skipBalanced(close === ']' ? '[' : '{', close, at);
      return this.unsupported(
        at,
        'A `for` expression',
        'Write the list or object out literally, or use count for repeated resources.',
      );
    }
    return undefined;
  }

  private tuple(at: number, line: number): Node {
    const f = this.forExpression(at, ']');
    if (f) return f;
    const items: Node[] = [];
    while (!this.isOp(']')) {
      items.push(this.expr());
      if (this.isOp(',')) this.next();
      else if (!this.isOp(']')) throw new Syntax('expected "," or "]" in a list', this.i);
    }
    this.next();
    return { k: 'tuple', items, line };
  }

  private object(at: number, line: number): Node {
    const f = this.forExpression(at, '}');
    if (f) return f;
    const items: Array<{ key: Node; value: Node }> = [];
    const seen = new Map<string, number>();
    while (!this.isOp('}')) {
      const keyAt = this.i;
      const kt = this.peek();
      let key: Node;
      // A bare identifier key is a literal name, as in HCL (`{ Effect = "Allow" }`).
      if (kt.t === 'ident' && this.identIsKey()) {
        this.next();
        key = { k: 'lit', v: kt.v, line: this.lineAt(keyAt) };
      } else key = this.expr();
      const sep = this.next();
      if (sep.t !== 'op' || (sep.v !== '=' && sep.v !== ':'))
        throw new Syntax(`expected "=" after an object key, found ${describe(sep)}`, this.i);
      const value = this.expr();
      if (key.k === 'lit' && typeof key.v === 'string') {
        if (seen.has(key.v)) this.duplicateKey(key.v, key.line, seen.get(key.v)!);
        seen.set(key.v, key.line);
      }
      items.push({ key, value });
      if (this.isOp(',')) this.next();
    }
    this.next();
    return { k: 'object', items, line };
  }

  private duplicateKey(key: string, line: number, first: number): void {
    this.sink.diagnostics.push(duplicateKeyWarning(this.sink.file, key, line, first));
  }

  /** After an identifier: is the next token `=` or `:` (so the identifier is an object key)? */
  private identIsKey(): boolean {
    const save = this.i;
    const saveCache = this.cache;
    this.next();
    const r = this.isOp('=') || this.isOp(':');
    this.i = save;
    this.cache = saveCache;
    return r;
  }
}

export function duplicateKeyWarning(
  file: string,
  key: string,
  line: number,
  first: number,
): Diagnostic {
  return {
    ...diag(
      'CONFIG_SYNTAX',
      `Duplicate object key "${key}"`,
      `"${key}" is also set on line ${first}. The last value wins, as in Terraform; remove one of them.`,
      { file, line },
    ),
    severity: 'warning',
  };
}

const SPLAT_REMEDY = 'Index the list explicitly (`x[0].id`), or use count.';

function describe(t: Tok): string {
  switch (t.t) {
    case 'eof':
      return 'the end of the expression';
    case 'num':
      return `number ${t.v}`;
    case 'ident':
      return `"${t.v}"`;
    case 'str':
      return 'a string';
    case 'op':
      return `"${t.v}"`;
  }
}

function dedent(body: string): string {
  const lines = body.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const n = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(n)).join('\n');
}
