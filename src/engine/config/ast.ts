// A recursive-descent parser for HCL's expression language: literals, templates (with
// `%{if}` / `%{for}` directives and `~` strip markers), references, function calls (with `...`
// argument expansion), operators, conditionals, tuple/object constructors, `for` expressions
// and splats.
//
// Why hand-written: the native HCL parser (syntax.ts) hands every attribute value to this parser
// at its offset in the file, so each expression is parsed once, with the file's lines and
// columns on every node; Terraform JSON strings come here as templates. A parser of our own
// lets every construct cmek does not evaluate (data.*, module.*) become a CONFIG_UNSUPPORTED
// diagnostic naming file and line instead of a crash or a silent skip (docs/architecture.md,
// "Parser").

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
  terraform: 'a terraform.* value other than terraform.workspace',
};

/** Roots answered by the scope where they apply (docs/configuration.md, "Named values"), with
 * their attributes: `each.key`, `path.module`, ... A `ref` node's root is `each.key`; `self` is
 * a root of its own whose attributes are the object's. They are not in `refs`: they name no
 * block of the configuration. */
export const CONTEXT_ROOTS: Record<string, readonly string[]> = {
  each: ['key', 'value'],
  path: ['module', 'root', 'cwd'],
};

export interface ParseSink {
  file: string;
  diagnostics: Diagnostic[];
  refs: Set<string>;
}

/** A syntax error at a source offset. The native body parser (syntax.ts) catches it from
 * parseValueAt and reports it with line and column. */
export class Syntax extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** Where the offending text ends, when known (the diagnostic's end column). */
    readonly end?: number,
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

/** A template's flat items before directives are nested (templateParts). */
type TmplItem =
  | { t: 'lit'; v: string; line: number; at: number }
  | {
      t: 'interp';
      node: Node;
      stripLeft: boolean;
      stripRight: boolean;
      at: number;
      line: number;
    }
  | {
      t: 'if';
      c: Node;
      stripLeft: boolean;
      stripRight: boolean;
      at: number;
      line: number;
    }
  | {
      t: 'for';
      keyVar?: string;
      valVar: string;
      coll: Node;
      stripLeft: boolean;
      stripRight: boolean;
      at: number;
      line: number;
    }
  | {
      t: 'else' | 'endif' | 'endfor';
      stripLeft: boolean;
      stripRight: boolean;
      at: number;
      line: number;
    };

const OPS3 = ['...'];
const OPS2 = ['==', '!=', '<=', '>=', '&&', '||', '=>'];
const OPS1 = '+-*/%<>!?:()[]{},.=~';

// Character classes by code, not regex: the lexer runs over every attribute of 10k-resource
// configurations.
// Identifiers are Unicode (ID_Start, then ID_Continue or `-`), as in HCL; the regexes run only
// for characters outside ASCII.
const UNICODE_ID_START = /^\p{ID_Start}$/u;
const UNICODE_ID_CONTINUE = /^\p{ID_Continue}$/u;
export function isIdStart(c: string | undefined): boolean {
  if (c === undefined) return false;
  const x = c.charCodeAt(0);
  if (x > 127) return UNICODE_ID_START.test(c);
  return (x >= 65 && x <= 90) || (x >= 97 && x <= 122) || x === 95;
}
export function isIdChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  const x = c.charCodeAt(0);
  if (x > 127) return UNICODE_ID_CONTINUE.test(c);
  return (
    (x >= 48 && x <= 57) || x === 45 || (x >= 65 && x <= 90) || (x >= 97 && x <= 122) || x === 95
  );
}
const NUMBER = /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

export class Parser {
  private i = 0;
  private readonly nl: number[] = [];
  private cache: { start: number; tok: Tok; end: number } | undefined;
  /** Names bound by enclosing `for` expressions and `%{for}` directives: a bare name among
   * them is a `ref` node whose root is the name ('' marks an unused key slot). */
  private readonly bound: string[];
  /** End offset (exclusive) of the last token consumed: where the expression so far ends. */
  private lastEnd = 0;
  /** Bracket depth ((), [], {}, `${}`): newlines end an attribute's expression only at 0. */
  private nest = 0;
  /** Set by parseValueAt: a newline outside brackets ends the expression (HCL attributes). */
  private newlineEnds = false;

  constructor(
    private readonly src: string,
    private readonly baseLine: number,
    private sink: ParseSink,
    /** bareNames: bare names (`${name}`) are references: the variables of a templatefile()
     * template. bound: names bound by the `for` around this text (heredocs). columns: the
     * source is a whole file, so offsets give true columns for diagnostics. */
    private readonly options: {
      bareNames?: boolean;
      bound?: readonly string[];
      columns?: boolean;
    } = {},
  ) {
    this.bound = [...(options.bound ?? [])];
    for (let j = 0; j < src.length; j++) if (src[j] === '\n') this.nl.push(j);
  }

  /** The last answer of lineIndex: offsets mostly grow, so most lookups hit it. */
  private lastLineIndex = 0;

  private lineIndex(offset: number): number {
    const k = this.lastLineIndex;
    const nl = this.nl;
    if ((k === 0 || nl[k - 1]! < offset) && (k === nl.length || offset <= nl[k]!)) return k;
    let lo = 0;
    let hi = this.nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.nl[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    this.lastLineIndex = lo;
    return lo;
  }

  /** 1-based column of an offset (UTF-16 code units from the start of its line). */
  colAt(offset: number): number {
    const lo = this.lineIndex(offset);
    return offset - (lo === 0 ? 0 : this.nl[lo - 1]! + 1) + 1;
  }

  /** Give `n` the range from `start` (an offset) to the end of the last consumed token. */
  private span<T extends Node>(n: T, start: number): T {
    n.line = this.lineAt(start);
    n.col = this.colAt(start);
    n.endLine = this.lineAt(this.lastEnd);
    n.endCol = this.colAt(this.lastEnd);
    return n;
  }

  /** Give `n` the range from the start of `from` to the end of the last consumed token. */
  private spanFrom<T extends Node>(n: T, from: Node): T {
    if (from.col !== undefined) n.col = from.col;
    n.endLine = this.lineAt(this.lastEnd);
    n.endCol = this.colAt(this.lastEnd);
    return n;
  }

  /** Run `f` inside brackets, where newlines do not end the expression. */
  private nested<T>(f: () => T): T {
    this.nest++;
    try {
      return f();
    } finally {
      this.nest--;
    }
  }

  /** Where the diagnostic of an offset points: the line, and the column for whole files. */
  private where(offset: number): { line: number; column?: number } {
    const line = this.lineAt(offset);
    return this.options.columns ? { line, column: this.colAt(offset) } : { line };
  }

  /** Parse one attribute value of native syntax starting at `offset` of a whole file: the
   * expression ends at a newline outside brackets. Returns the node and the offset where it
   * ends; throws Syntax on a syntax error. Diagnostics of unsupported constructs and
   * references go to `sink`. */
  parseValueAt(offset: number, sink: ParseSink): { node: Node; end: number } {
    this.sink = sink;
    this.i = offset;
    this.cache = undefined;
    this.nest = 0;
    this.newlineEnds = true;
    try {
      const node = this.expr();
      return { node, end: this.lastEnd };
    } finally {
      this.newlineEnds = false;
    }
  }

  lineAt(offset: number): number {
    return this.baseLine + this.lineIndex(offset);
  }

  private unsupported(offset: number, what: string, remedy: string): Node {
    this.sink.diagnostics.push(
      diag('CONFIG_UNSUPPORTED', `${what} is not supported`, remedy, {
        file: this.sink.file,
        ...this.where(offset),
      }),
    );
    return { k: 'bad', line: this.lineAt(offset) };
  }

  private syntaxDiag(e: Syntax): Node {
    const [summary, detail] = e.message.includes('\n')
      ? (e.message.split('\n') as [string, string])
      : [`Invalid expression: ${e.message}`, `In: ${this.excerpt()}`];
    this.sink.diagnostics.push(
      diag('CONFIG_SYNTAX', summary, detail, {
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

  /** Parse the whole source as a template (JSON strings and hcl2json output; `heredoc`: the
   * body of a heredoc, `flush` for `<<-`). */
  parseWholeTemplate(mode: 'raw' | 'heredoc' | 'flush' = 'raw'): Node {
    try {
      return this.templateParts(mode);
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
      if (c === '\n' && this.newlineEnds && this.nest === 0) return;
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
    this.lastEnd = this.i;
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
    // A newline reaches the lexer only where it ends an attribute's expression.
    if (c === undefined || c === '\n') return { t: 'eof' };
    if (c >= '0' && c <= '9') {
      NUMBER.lastIndex = this.i;
      const m = NUMBER.exec(s)!;
      this.i += m[0].length;
      return { t: 'num', v: Number(m[0]) };
    }
    if (isIdStart(c)) {
      const st = this.i;
      while (isIdChar(s[this.i])) this.i++;
      // A provider-defined function's name: provider::NAME::FUNCTION.
      while (s[this.i] === ':' && s[this.i + 1] === ':' && isIdStart(s[this.i + 2])) {
        this.i += 2;
        while (isIdChar(s[this.i])) this.i++;
      }
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
        const body = s.slice(bodyStart, lineStart);
        this.i = lineEnd < 0 ? s.length : lineEnd;
        // The body is parsed on its own (its lines are the file's; its columns count from the
        // body, so they are not given to diagnostics).
        const sub = new Parser(body, this.lineAt(bodyStart), this.sink, {
          ...this.options,
          columns: false,
          bound: this.bound,
        });
        return sub.parseWholeTemplate(indent ? 'flush' : 'heredoc');
      }
      if (lineEnd < 0) throw new Syntax(`heredoc not terminated by "${marker}"`, start);
      lineStart = lineEnd + 1;
    }
  }

  /** Template text: `raw` runs to the end of the source (no backslash escapes: hcl2json has
   * already decoded them); `quoted` ends at an unescaped `"` and decodes escapes; `heredoc`
   * and `flush` are raw text whose literals end at each newline, as terraform reads heredocs
   * (a strip marker trims one line only), and `flush` removes the indentation (flushHeredoc).
   * The text is read as a flat list of literals, interpolations and directives (strip markers
   * trim the literal next to them), then the directives are nested (templateTree). */
  private templateParts(mode: 'raw' | 'quoted' | 'heredoc' | 'flush'): Node {
    const s = this.src;
    const line = this.lineAt(this.i);
    const items: TmplItem[] = [];
    let lit = '';
    let litLine = line;
    const flush = () => {
      if (lit) items.push({ t: 'lit', v: lit, line: litLine, at: this.i });
      lit = '';
    };
    const boundHere = this.bound.length;
    try {
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
        if (mode === 'quoted' && c === '\n')
          throw new Syntax(
            'Invalid multi-line string\nQuoted strings may not be split over multiple lines: use the \\n escape or a heredoc (<<EOT).',
            this.i,
          );
        if ((c === '$' || c === '%') && s[this.i + 1] === c && s[this.i + 2] === '{') {
          if (!lit) litLine = this.lineAt(this.i);
          lit += `${c}{`;
          this.i += 3;
          continue;
        }
        if ((c === '$' || c === '%') && s[this.i + 1] === '{') {
          flush();
          const item = c === '$' ? this.interpolation() : this.directive();
          items.push(item);
          // A `%{for}` binds its names (two slots: an unused key is '') until its `%{endfor}`.
          if (item.t === 'for') this.bound.push(item.keyVar ?? '', item.valVar);
          if (item.t === 'endfor' && this.bound.length >= boundHere + 2) this.bound.length -= 2;
          continue;
        }
        if (!lit) litLine = this.lineAt(this.i);
        if (mode === 'quoted' && c === '\\') {
          lit += this.escape();
          continue;
        }
        lit += c;
        this.i++;
        if (c === '\n' && (mode === 'heredoc' || mode === 'flush')) flush();
      }
      flush();
    } finally {
      this.bound.length = boundHere;
    }
    // Strip markers: `~` trims the whitespace of the literal on its side.
    for (let j = 0; j < items.length; j++) {
      const x = items[j]!;
      if (x.t === 'lit') continue;
      const prev = items[j - 1];
      const next = items[j + 1];
      if (x.stripLeft && prev?.t === 'lit') prev.v = prev.v.replace(/\s+$/u, '');
      if (x.stripRight && next?.t === 'lit') next.v = next.v.replace(/^\s+/u, '');
    }
    if (mode === 'flush') flushHeredoc(items);
    const node = this.templateTree(items, { j: 0 }, line, []);
    // Only a template written as exactly `${x}` is x's value; `"  ${~ x}"` is a string even
    // when stripping leaves nothing but x.
    if (node.k === 'tmpl' && node.parts.length === 1 && items.length > 1)
      return { ...node, parts: ['', ...node.parts] };
    return node;
  }

  /** `${ expr }` at this.i, with its strip markers. */
  private interpolation(): TmplItem {
    const at = this.i;
    const stripLeft = this.openTemplateSequence();
    const node = this.nested(() => this.expr());
    const stripRight = this.closeTemplateSequence(at, 'interpolation');
    return { t: 'interp', node, stripLeft, stripRight, at, line: this.lineAt(at) };
  }

  /** Past `${` or `%{` and an optional `~`. Returns the strip mark. */
  private openTemplateSequence(): boolean {
    this.i += 2;
    this.cache = undefined;
    if (this.src[this.i] !== '~') return false;
    this.i++;
    return true;
  }

  /** After a template sequence's content: an optional `~`, then `}`. Returns the strip mark. */
  private closeTemplateSequence(at: number, what: string): boolean {
    // Inside the sequence newlines are spaces, up to and including its `}`.
    return this.nested(() => {
      let strip = false;
      if (this.isOp('~')) {
        this.next();
        strip = true;
      }
      if (!this.isOp('}')) throw new Syntax(`expected "}" to close the ${what}`, at);
      this.next();
      return strip;
    });
  }

  /** `%{ if c }`, `%{ else }`, `%{ endif }`, `%{ for k, v in coll }`, `%{ endfor }` at this.i.
   * (templateParts binds a `for`'s names until its `endfor`.) */
  private directive(): TmplItem {
    const at = this.i;
    const stripLeft = this.openTemplateSequence();
    this.nest++;
    try {
      return this.directiveBody(at, stripLeft);
    } finally {
      this.nest--;
    }
  }

  private directiveBody(at: number, stripLeft: boolean): TmplItem {
    const kw = this.next();
    const word = kw.t === 'ident' ? kw.v : '';
    const line = this.lineAt(at);
    const close = () => this.closeTemplateSequence(at, `%{${word}} directive`);
    switch (word) {
      case 'if': {
        const c = this.expr();
        return { t: 'if', c, stripLeft, stripRight: close(), at, line };
      }
      case 'else':
      case 'endif':
        return { t: word, stripLeft, stripRight: close(), at, line };
      case 'endfor':
        return { t: 'endfor', stripLeft, stripRight: close(), at, line };
      case 'for': {
        const { keyVar, valVar, coll } = this.forIntro(at);
        return {
          t: 'for',
          ...(keyVar !== undefined ? { keyVar } : {}),
          valVar,
          coll,
          stripLeft,
          stripRight: close(),
          at,
          line,
        };
      }
      default:
        throw new Syntax(
          `invalid template directive ${describe(kw)}: expected if, else, endif, for or endfor`,
          at,
        );
    }
  }

  /** Nest a template's flat items from `at.j` until one of `until` (left at at.j) or the end. */
  private templateTree(items: TmplItem[], at: { j: number }, line: number, until: string[]): Node {
    const parts: Array<string | Node> = [];
    while (at.j < items.length) {
      const x = items[at.j]!;
      if (until.includes(x.t)) break;
      at.j++;
      switch (x.t) {
        case 'lit':
          if (typeof parts[parts.length - 1] === 'string') parts[parts.length - 1] += x.v;
          else if (x.v) parts.push(x.v);
          break;
        case 'interp':
          parts.push(x.node);
          break;
        case 'if': {
          const t = this.templateTree(items, at, x.line, ['else', 'endif', 'endfor']);
          let f: Node | undefined;
          if (items[at.j]?.t === 'else') {
            at.j++;
            f = this.templateTree(items, at, items[at.j - 1]!.line, ['else', 'endif', 'endfor']);
          }
          const end = items[at.j];
          if (end?.t !== 'endif')
            throw new Syntax(
              end ? `unexpected %{${end.t}} inside %{if}` : 'unterminated %{if}: expected %{endif}',
              end?.at ?? x.at,
            );
          at.j++;
          parts.push({ k: 'tmplIf', c: x.c, t, ...(f ? { f } : {}), line: x.line });
          break;
        }
        case 'for': {
          const body = this.templateTree(items, at, x.line, ['else', 'endif', 'endfor']);
          const end = items[at.j];
          if (end?.t !== 'endfor')
            throw new Syntax(
              end
                ? `unexpected %{${end.t}} inside %{for}`
                : 'unterminated %{for}: expected %{endfor}',
              end?.at ?? x.at,
            );
          at.j++;
          parts.push({
            k: 'tmplFor',
            ...(x.keyVar !== undefined ? { keyVar: x.keyVar } : {}),
            valVar: x.valVar,
            coll: x.coll,
            body,
            line: x.line,
          });
          break;
        }
        default:
          throw new Syntax(`unexpected %{${x.t}} without its opening directive`, x.at);
      }
    }
    if (parts.length === 0) return { k: 'lit', v: '', line };
    if (parts.length === 1 && typeof parts[0] === 'string') return { k: 'lit', v: parts[0], line };
    return { k: 'tmpl', parts, line };
  }

  /** `for k, v in coll` (after `for`), up to and not including the `:` or `}` that follows. */
  private forIntro(at: number): { keyVar?: string; valVar: string; coll: Node } {
    const first = this.next();
    if (first.t !== 'ident')
      throw new Syntax(`expected a variable name after "for", found ${describe(first)}`, at);
    let keyVar: string | undefined;
    let valVar = first.v;
    if (this.isOp(',')) {
      this.next();
      const second = this.next();
      if (second.t !== 'ident')
        throw new Syntax(
          `expected a second variable name after ",", found ${describe(second)}`,
          at,
        );
      keyVar = first.v;
      valVar = second.v;
    }
    const kw = this.next();
    if (kw.t !== 'ident' || kw.v !== 'in')
      throw new Syntax(`expected "in" after the "for" variables, found ${describe(kw)}`, at);
    const coll = this.expr();
    return { ...(keyVar !== undefined ? { keyVar } : {}), valVar, coll };
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

  // ---- expressions ----

  expr(): Node {
    const c = this.binary(0);
    if (this.isOp('?')) {
      this.next();
      const t = this.expr();
      this.expectOp(':');
      const f = this.expr();
      return this.spanFrom({ k: 'cond', c, t, f, line: c.line }, c);
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
      l = this.spanFrom({ k: 'binary', op: t.v as BinOp, l, r, line: l.line }, l);
    }
  }

  private unary(): Node {
    const t = this.peek();
    const start = this.i;
    if (t.t === 'op' && (t.v === '-' || t.v === '!')) {
      const line = this.lineAt(this.i);
      this.next();
      return this.span({ k: 'unary', op: t.v, x: this.unary(), line }, start);
    }
    return this.postfix(this.primary(), start);
  }

  /** Attribute and index steps after a term, and splats. As in Terraform, a full splat
   * (`[*]`) takes every traversal step after it (`a[*].b[0].c` is `.b[0].c` of each element);
   * an attribute-only splat (`.*`) takes only the `.name` / `.0` steps after it, so
   * `a.*.b[0]` is element 0 of the list `a.*.b`. */
  private postfix(first: Node, start: number): Node {
    let n = first;
    for (;;) {
      if (this.isOp('.')) {
        const at = this.i;
        this.next();
        const t = this.next();
        if (t.t === 'ident') n = { k: 'attr', obj: n, name: t.v, line: n.line };
        else if (t.t === 'num') n = this.legacyIndex(n, t.v, at);
        else if (t.t === 'op' && t.v === '*') {
          let each: Node = { k: 'splatItem', line: n.line };
          while (this.isOp('.')) {
            const dot = this.i;
            this.next();
            const a = this.next();
            if (a.t === 'ident') each = { k: 'attr', obj: each, name: a.v, line: n.line };
            else if (a.t === 'num') each = this.legacyIndex(each, a.v, dot);
            else if (a.t === 'op' && a.v === '*')
              throw new Syntax(
                'a splat expression (*) cannot be used inside another attribute-only splat expression',
                dot,
              );
            else
              throw new Syntax(`expected an attribute name after ".", found ${describe(a)}`, dot);
          }
          n = { k: 'splat', obj: n, each, full: false, line: n.line };
        } else throw new Syntax(`expected an attribute name after ".", found ${describe(t)}`, at);
      } else if (this.isOp('[')) {
        this.next();
        if (this.isOp('*')) {
          this.next();
          this.expectOp(']');
          const each = this.postfix({ k: 'splatItem', line: n.line }, this.i);
          return this.span({ k: 'splat', obj: n, each, full: true, line: n.line }, start);
        }
        const key = this.nested(() => this.expr());
        this.expectOp(']');
        n = { k: 'index', obj: n, key, line: n.line };
      } else return n;
      n = this.span(n, start);
    }
  }

  /** `x.0` (the legacy index form); `x.0.1` lexes as the number 0.1 and is refused. */
  private legacyIndex(n: Node, v: number, at: number): Node {
    if (!Number.isInteger(v))
      throw new Syntax(
        'when using the legacy index syntax, chaining two indexes together is not permitted: use [i][j]',
        at,
      );
    return { k: 'index', obj: n, key: { k: 'lit', v, line: n.line }, line: n.line };
  }

  private primary(): Node {
    this.peek();
    const at = this.i;
    return this.span(this.primaryAt(at), at);
  }

  private primaryAt(at: number): Node {
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
          const inner = this.nested(() => this.expr());
          this.expectOp(')');
          return inner;
        }
        if (t.v === '[') return this.nested(() => this.tuple(at, line));
        if (t.v === '{') return this.nested(() => this.object(at, line));
        throw new Syntax(`unexpected "${t.v}"`, at);
    }
  }

  private identStart(name: string, at: number, line: number): Node {
    if (name === 'true' || name === 'false') return { k: 'lit', v: name === 'true', line };
    if (name === 'null') return { k: 'lit', v: null, line };
    if (this.isOp('(')) return this.call(name, at, line);
    // A name bound by an enclosing `for` hides any root of the same name.
    if (this.bound.includes(name)) return { k: 'ref', root: name, line };
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
    if (name === 'self') return { k: 'ref', root: 'self', line };
    const attrs = CONTEXT_ROOTS[name];
    if (attrs) {
      if (!this.isOp('.'))
        return this.invalidReference(
          name,
          line,
          `The "${name}" object cannot be accessed directly. Instead, access one of its attributes: ${attrs.map((a) => `${name}.${a}`).join(', ')}.`,
        );
      this.next();
      const a = this.next();
      if (a.t !== 'ident' || !attrs.includes(a.v))
        return this.invalidReference(
          `${name}.${a.t === 'ident' ? a.v : '?'}`,
          line,
          `The "${name}" object has no attribute named ${describe(a)}. Its attributes are ${attrs.map((x) => `${name}.${x}`).join(', ')}.`,
        );
      return { k: 'ref', root: `${name}.${a.v}`, line };
    }
    if (name in UNSUPPORTED_ROOTS) {
      const parts = [name];
      while (this.isOp('.') && parts.length < 2) {
        this.next();
        const a = this.next();
        if (a.t === 'ident') parts.push(a.v);
      }
      // module.* roots stay in refs so graph and policy code can see them.
      if (parts.length > 1 && name === 'module') this.sink.refs.add(parts.join('.'));
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
    if (!this.isOp('.'))
      return this.invalidReference(
        name,
        line,
        'A reference must name a variable (var.NAME), a local value (local.NAME), count.index, or a resource (TYPE.NAME). Strings must be quoted.',
      );
    this.next();
    const second = this.next();
    if (second.t !== 'ident')
      throw new Syntax(`expected a name after "${name}.", found ${describe(second)}`, at);
    const root = `${name}.${second.v}`;
    this.sink.refs.add(root);
    return { k: 'ref', root, line };
  }

  private invalidReference(text: string, line: number, remedy: string): Node {
    this.sink.diagnostics.push(
      diag('CONFIG_REFERENCE', `Invalid reference "${text}"`, remedy, {
        file: this.sink.file,
        line,
      }),
    );
    return { k: 'bad', line };
  }

  private call(name: string, at: number, line: number): Node {
    return this.nested(() => this.callArgs(name, at, line));
  }

  private callArgs(name: string, at: number, line: number): Node {
    this.expectOp('(');
    const args: Node[] = [];
    let expand = false;
    while (!this.isOp(')')) {
      args.push(this.expr());
      if (this.isOp('...')) {
        this.next();
        expand = true;
        if (!this.isOp(')'))
          throw new Syntax(
            'an expanded function argument (with ...) must be immediately followed by ")"',
            this.i,
          );
        break;
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
    return { k: 'call', name, args, ...(expand ? { expand } : {}), line };
  }

  /** `[for ...]` or `{for ...}` after the opening bracket, when the next word is `for`. */
  private forExpression(at: number, line: number, close: ']' | '}'): Node | undefined {
    const t = this.peek();
    if (t.t !== 'ident' || t.v !== 'for') return undefined;
    this.next();
    const { keyVar, valVar, coll } = this.forIntro(at);
    this.expectOp(':');
    const boundHere = this.bound.length;
    this.bound.push(keyVar ?? '', valVar);
    try {
      const object = close === '}';
      let key: Node | undefined;
      let value = this.expr();
      if (this.isOp('=>')) {
        if (!object)
          throw new Syntax('a key expression (`=>`) is not valid when building a tuple', this.i);
        this.next();
        key = value;
        value = this.expr();
      } else if (object)
        throw new Syntax('a key expression (`k => v`) is required when building an object', this.i);
      let grouping = false;
      if (this.isOp('...')) {
        if (!object)
          throw new Syntax('grouping (`...`) is valid only when building an object', this.i);
        this.next();
        grouping = true;
      }
      let cond: Node | undefined;
      const kw = this.peek();
      if (kw.t === 'ident' && kw.v === 'if') {
        this.next();
        cond = this.expr();
      }
      if (!this.isOp(close))
        throw new Syntax(
          `expected "${close}" to end the for expression, found ${describe(this.peek())}`,
          this.i,
        );
      this.next();
      return {
        k: 'for',
        ...(keyVar !== undefined ? { keyVar } : {}),
        valVar,
        coll,
        ...(key ? { key } : {}),
        value,
        ...(cond ? { cond } : {}),
        object,
        grouping,
        line,
      };
    } finally {
      this.bound.length = boundHere;
    }
  }

  private tuple(at: number, line: number): Node {
    const f = this.forExpression(at, line, ']');
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
    const f = this.forExpression(at, line, '}');
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

/** The sub-expressions of the node kinds for expressions, splats and template directives
 * (walkers that know the older kinds name them themselves). */
export function childNodes(n: Node): Node[] {
  switch (n.k) {
    case 'for':
      return [n.coll, ...(n.key ? [n.key] : []), n.value, ...(n.cond ? [n.cond] : [])];
    case 'splat':
      return [n.obj, n.each];
    case 'tmplIf':
      return [n.c, n.t, ...(n.f ? [n.f] : [])];
    case 'tmplFor':
      return [n.coll, n.body];
    default:
      return [];
  }
}

/** `n` with the names in `names` bound: a traversal the parser read as a block reference
 * (`ref` root `rule.value`) whose head is one of them becomes the bound name and an attribute
 * step (`rule` . `value`), as a `for` would have parsed it. Used where a binding is known only
 * after the value was parsed (the iterator of a `dynamic` block). */
export function bindNames(n: Node, names: ReadonlySet<string>): Node {
  const b = (x: Node): Node => bindNames(x, names);
  switch (n.k) {
    case 'ref': {
      const dot = n.root.indexOf('.');
      const head = dot < 0 ? n.root : n.root.slice(0, dot);
      if (dot < 0 || !names.has(head)) return n;
      return {
        ...n,
        k: 'attr',
        obj: { k: 'ref', root: head, line: n.line },
        name: n.root.slice(dot + 1),
      };
    }
    case 'tmpl':
      return { ...n, parts: n.parts.map((p) => (typeof p === 'string' ? p : b(p))) };
    case 'attr':
      return { ...n, obj: b(n.obj) };
    case 'index':
      return { ...n, obj: b(n.obj), key: b(n.key) };
    case 'call':
      return { ...n, args: n.args.map(b) };
    case 'unary':
      return { ...n, x: b(n.x) };
    case 'binary':
      return { ...n, l: b(n.l), r: b(n.r) };
    case 'cond':
      return { ...n, c: b(n.c), t: b(n.t), f: b(n.f) };
    case 'tuple':
      return { ...n, items: n.items.map(b) };
    case 'object':
      return { ...n, items: n.items.map((i) => ({ key: b(i.key), value: b(i.value) })) };
    case 'for':
      return {
        ...n,
        coll: b(n.coll),
        value: b(n.value),
        ...(n.key ? { key: b(n.key) } : {}),
        ...(n.cond ? { cond: b(n.cond) } : {}),
      };
    case 'splat':
      return { ...n, obj: b(n.obj), each: b(n.each) };
    case 'tmplIf':
      return { ...n, c: b(n.c), t: b(n.t), ...(n.f ? { f: b(n.f) } : {}) };
    case 'tmplFor':
      return { ...n, coll: b(n.coll), body: b(n.body) };
    case 'lit':
    case 'splatItem':
    case 'bad':
      return n;
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

/** Terraform's `<<-` heredoc: the smallest indentation of the lines (counted on the literal
 * that starts each line, after strip markers; a line that starts with `${` / `%{` counts as 0;
 * a blank line does not count) is removed from the literals that start lines. */
function flushHeredoc(items: TmplItem[]): void {
  let min = Infinity;
  let atLineStart = true;
  const adjust: Array<Extract<TmplItem, { t: 'lit' }>> = [];
  for (const x of items) {
    if (atLineStart) {
      atLineStart = false;
      if (x.t !== 'lit') min = 0;
      else {
        const spaces = [.../^\s*/u.exec(x.v)![0]].length;
        if (!(spaces === [...x.v].length && x.v.endsWith('\n'))) {
          min = Math.min(min, spaces);
          adjust.push(x);
        }
      }
    }
    if (x.t === 'lit' && x.v.endsWith('\n')) atLineStart = true;
  }
  if (min === Infinity || min === 0) return;
  for (const x of adjust) x.v = [...x.v].slice(min).join('');
}
