// The native HCL parser (docs/configuration.md, "How files are read"): one pass over a `.tf` or
// `.tfvars` file that reads the body structure (attributes, blocks with identifier or quoted
// labels, one-line blocks, comments) and hands every attribute value to the expression parser
// of ast.ts at its offset, so each expression is parsed once, from the file's text, with its
// line and column range. The result keeps the shape the loader walks (the one hcl2json used to
// produce: `{resource: {TYPE: {NAME: [body]}}}`, nested blocks as arrays of bodies), with every
// attribute value a ParsedExpr instead of a `"${...}"` string, and a SourceIndex built from the
// same tree. Syntax errors are CONFIG_SYNTAX diagnostics with file, line, column and end; after
// one, the parser recovers at the next line that starts a top-level argument or block (or closes a
// top-level block) and goes on, so every independent error of a file is reported in one run.

import { diag, type Diagnostic } from '../../model/diagnostics.js';
import { isIdChar, isIdStart, Parser, Syntax, type Node, type ParseSink } from './ast.js';
import { ParsedExpr } from './expr.js';
import type { SourceIndex, SourceRange } from './scan.js';
import type { Obj } from './shape.js';
import type { SourcePos } from './types.js';

export interface HclFile {
  /** The body tree (see the header); partial when `diagnostics` has errors. */
  doc: Obj;
  index: SourceIndex;
  /** Syntax errors (and duplicate-argument errors); empty for a valid file. */
  diagnostics: Diagnostic[];
}

const isDuplicateKey = (d: Diagnostic) =>
  d.severity === 'warning' && d.summary.startsWith('Duplicate object key');

const key = (path: readonly string[]) => path.join('\u0000');

/** Set an own property, even one named `__proto__`. */
function put(o: Obj, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** The index key of a child of `parent` (a key made by this function, or '' for the file). */
const child = (parent: string, name: string) => (parent === '' ? name : `${parent}\u0000${name}`);

/** A line that starts a top-level argument or block (see recoveryPoint). */
const ITEM_START = /^[A-Za-z_][\w-]*[ \t]*(?:=(?!=)|(?:(?:"[^"\n]*"|[A-Za-z_][\w-]*)[ \t]*)*\{)/;

/** A line that opens a heredoc: its marker. */
const HEREDOC_OPEN = /<<-?([A-Za-z_][\w-]*)[ \t\r]*$/;

const has = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Parse one native-syntax HCL file. Never throws for bad input: see `diagnostics`. */
export function parseHclFile(file: string, text: string): HclFile {
  return new BodyParser(file, text).run();
}

class BodyParser {
  private i = 0;
  private readonly expr: Parser;
  /** Start and end offsets of each path's occurrences, flat (`[s0, e0, s1, e1, ...]`);
   * turned into lines and columns only when asked. */
  private readonly ranges = new Map<string, number[]>();
  private readonly blocks = new Set<string>();
  private readonly diagnostics: Diagnostic[] = [];
  private readonly warnings: Diagnostic[] = [];

  constructor(
    private readonly file: string,
    private readonly src: string,
  ) {
    const sink: ParseSink = { file, diagnostics: [], refs: new Set() };
    this.expr = new Parser(src, 1, sink, { columns: true });
  }

  run(): HclFile {
    const doc: Obj = {};
    const seen = new Map<string, number>();
    for (;;) {
      try {
        this.body(doc, '', false, seen);
        break;
      } catch (e) {
        if (!(e instanceof Syntax)) throw e;
        this.diagnostics.push(this.syntaxDiag(e.message, e.offset, e.end));
        this.openAt.length = 0;
        const next = this.recoveryPoint(Math.max(this.i, e.offset));
        if (next === undefined) break;
        this.i = next;
      }
    }
    return { doc, index: this.index(), diagnostics: this.diagnostics };
  }

  /** Where to resume after a syntax error at or before `from`. At the top level (`indent` 0):
   * the start of the next line that begins, at column 1, an argument (`name =`) or a block
   * (`type "label" {`), or just after the next line that is a top-level block's closing `}`.
   * In a block whose items are indented by `indent`: the next line that starts an item at that
   * indentation, or the `}` (less indented) that closes the block; undefined when another less
   * indented line comes first (the file level recovers then). Undefined at the end of the file.
   * Terraform-formatted files lay items out this way, so one error costs the rest of its own
   * item only. */
  private recoveryPoint(from: number, indent = 0): number | undefined {
    const s = this.src;
    let at = s.indexOf('\n', from);
    // A heredoc opened on a skipped line: its body lines are text, never recovery points.
    let heredoc = HEREDOC_OPEN.exec(s.slice(s.lastIndexOf('\n', from) + 1, at < 0 ? s.length : at));
    while (at >= 0) {
      const line = at + 1;
      const eol = s.indexOf('\n', line);
      const text = s.slice(line, eol < 0 ? s.length : eol);
      const lead = /^[ \t]*/.exec(text)![0].length;
      const rest = text.slice(lead);
      if (heredoc) {
        if (text.trim() === heredoc[1]) heredoc = null;
      } else if (indent === 0 && /^\}\s*$/.test(text)) return eol < 0 ? s.length : eol + 1;
      else if (indent === 0 && ITEM_START.test(text)) return line;
      else if (indent > 0 && lead === indent && ITEM_START.test(rest)) return line;
      else if (indent > 0 && lead < indent && rest.trim() !== '' && !/^(#|\/\/)/.test(rest))
        return rest.startsWith('}') ? line + lead : undefined;
      else heredoc = HEREDOC_OPEN.exec(text);
      at = eol;
    }
    return undefined;
  }

  private syntaxDiag(message: string, offset: number, end?: number): Diagnostic {
    const [summary, detail] = message.split('\n') as [string, string | undefined];
    const r = this.range(offset, end ?? this.tokenEnd(offset));
    // A newline (or the end of the file) is highlighted on its own line.
    if (end === undefined && (this.src[offset] ?? '\n') === '\n') {
      r.endLine = r.line;
      r.endColumn = r.column + 1;
    }
    return diag('CONFIG_SYNTAX', summary, detail ?? 'Fix the HCL syntax.', {
      file: this.file,
      ...r,
    });
  }

  /** The end of the word at `offset` (one character when it is not a name). */
  private tokenEnd(offset: number): number {
    let e = offset;
    while (isIdChar(this.src[e])) e++;
    return Math.min(this.src.length, Math.max(e, offset + 1));
  }

  private range(start: number, end: number): SourceRange {
    return {
      line: this.expr.lineAt(start),
      column: this.expr.colAt(start),
      endLine: this.expr.lineAt(end),
      endColumn: this.expr.colAt(end),
    };
  }

  private record(k: string, start: number, end: number): void {
    const list = this.ranges.get(k);
    if (list) list.push(start, end);
    else this.ranges.set(k, [start, end]);
  }

  private index(): SourceIndex {
    const ranges = this.ranges;
    const blocks = this.blocks;
    const nearest = (path: readonly string[]) => {
      for (let n = path.length; n > 0; n--) {
        const l = ranges.get(key(path.slice(0, n)));
        if (l) return this.range(l[0]!, l[1]!);
      }
      return undefined;
    };
    const all = (path: readonly string[]) => {
      const l = ranges.get(key(path)) ?? [];
      const out: SourceRange[] = [];
      for (let j = 0; j < l.length; j += 2) out.push(this.range(l[j]!, l[j + 1]!));
      return out;
    };
    return {
      lineOf: (path) => nearest(path)?.line,
      rangeOf: (path) => nearest(path),
      blockLines: (path) => all(path).map((r) => r.line),
      blockRanges: all,
      isBlock: (path) => blocks.has(key(path)),
      warnings: this.warnings,
    };
  }

  // ---- lexing of the body level ----

  /** Skip spaces, tabs, carriage returns and comments, but not newlines. */
  private skipInline(): void {
    const s = this.src;
    for (;;) {
      const c = s[this.i];
      if (c === ' ' || c === '\t' || c === '\r') this.i++;
      else if (c === '#' || (c === '/' && s[this.i + 1] === '/')) {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else if (c === '/' && s[this.i + 1] === '*') {
        const e = s.indexOf('*/', this.i + 2);
        if (e < 0)
          throw new Syntax('Unterminated block comment\nClose the comment with */.', this.i);
        this.i = e + 2;
      } else return;
    }
  }

  /** Skip blank lines and comments. */
  private skipAll(): void {
    for (;;) {
      this.skipInline();
      if (this.src[this.i] === '\n') this.i++;
      else return;
    }
  }

  private ident(): string {
    const st = this.i;
    while (isIdChar(this.src[this.i])) this.i++;
    return this.src.slice(st, this.i);
  }

  /** A quoted block label: a string without interpolations, escapes decoded. */
  private label(): string {
    const s = this.src;
    const start = this.i++;
    let out = '';
    for (;;) {
      const c = s[this.i];
      if (c === undefined || c === '\n')
        throw new Syntax('Unterminated block label\nClose the label with a double quote.', start);
      if (c === '"') {
        this.i++;
        return out;
      }
      if ((c === '$' || c === '%') && s[this.i + 1] === '{')
        throw new Syntax(
          'Invalid block label\nBlock labels are literal strings; templates are not allowed.',
          this.i,
        );
      if (c === '\\') {
        const e = s[this.i + 1];
        const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          this.i += 2;
          continue;
        }
        const len = e === 'u' ? 4 : e === 'U' ? 8 : 0;
        const hex = s.slice(this.i + 2, this.i + 2 + len);
        if (len === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len)
          throw new Syntax(
            `Invalid escape sequence in a block label\nUse \\n, \\r, \\t, \\", \\\\, \\uNNNN or \\UNNNNNNNN.`,
            this.i,
          );
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += 2 + len;
        continue;
      }
      out += c;
      this.i++;
    }
  }

  /** After an attribute or a block: the line must end (or the enclosing one-line block close). */
  private endOfItem(inBlock: boolean, what: string): void {
    this.skipInline();
    const c = this.src[this.i];
    if (c === undefined || c === '\n' || (inBlock && c === '}')) return;
    throw new Syntax(
      `Missing newline after ${what}\nAn ${what} must end with a newline; put the next one on its own line.`,
      this.i,
    );
  }

  // ---- the body grammar ----

  /** Items of a body until `}` (inBlock) or the end of the file; `}` is consumed. */
  private body(out: Obj, path: string, inBlock: boolean, seen = new Map<string, number>()): void {
    const s = this.src;
    for (;;) {
      this.skipAll();
      const c = s[this.i];
      if (c === undefined) {
        if (inBlock)
          throw new Syntax(
            'Unclosed block\nThe block opened here has no closing brace: add "}".',
            this.openAt[this.openAt.length - 1] ?? this.i,
          );
        return;
      }
      if (c === '}') {
        if (!inBlock)
          throw new Syntax('Unexpected "}"\nThere is no block to close here: remove it.', this.i);
        this.i++;
        return;
      }
      if (!inBlock) {
        this.item(out, path, inBlock, seen);
        continue;
      }
      // In a block: an error costs the rest of its item only, when the body's layout shows
      // where the next item starts (see recoveryPoint); otherwise the file level recovers.
      const start = this.i;
      const depth = this.openAt.length;
      try {
        this.item(out, path, inBlock, seen);
      } catch (e) {
        if (!(e instanceof Syntax) || e.message.startsWith('Unclosed block')) throw e;
        const indent = this.indentOf(start);
        const next = indent ? this.recoveryPoint(Math.max(this.i, e.offset), indent) : undefined;
        if (next === undefined) throw e;
        this.diagnostics.push(this.syntaxDiag(e.message, e.offset, e.end));
        this.openAt.length = depth;
        this.i = next;
      }
    }
  }

  /** The width of the blanks before `offset` on its line; undefined when other text precedes. */
  private indentOf(offset: number): number | undefined {
    const lineStart = this.src.lastIndexOf('\n', offset - 1) + 1;
    return /^[ \t]*$/.test(this.src.slice(lineStart, offset)) ? offset - lineStart : undefined;
  }

  /** One argument or block of a body, at a name's first character (or an error). */
  private item(out: Obj, path: string, inBlock: boolean, seen: Map<string, number>): void {
    const s = this.src;
    const c = s[this.i];
    if (!isIdStart(c))
      throw new Syntax(
        `Argument or block definition required\nAn argument (name = value) or a block (type "label" { ... }) must start here, not ${JSON.stringify(c)}.`,
        this.i,
      );
    const start = this.i;
    const name = this.ident();
    this.skipInline();
    if (s[this.i] === '=' && s[this.i + 1] !== '=') {
      this.i++;
      this.attribute(out, path, name, start, seen);
      this.endOfItem(inBlock, 'argument definition');
      return;
    }
    const labels: string[] = [];
    let headerEnd = this.i;
    for (;;) {
      this.skipInline();
      if (s[this.i] === '"') labels.push(this.label());
      else if (isIdStart(s[this.i])) labels.push(this.ident());
      else break;
      headerEnd = this.i;
    }
    if (s[this.i] !== '{')
      throw new Syntax(
        `Invalid argument or block definition\nAfter "${[name, ...labels].join(' ')}" write "=" and a value (an argument), or block labels and "{" (a block).`,
        this.i,
      );
    this.i++;
    this.block(out, path, name, labels, start, headerEnd);
    this.endOfItem(inBlock, 'block definition');
  }

  private readonly openAt: number[] = [];

  private attribute(
    out: Obj,
    path: string,
    name: string,
    start: number,
    seen: Map<string, number>,
  ): void {
    const sink: ParseSink = { file: this.file, diagnostics: [], refs: new Set() };
    this.skipInline();
    const exprStart = this.i;
    let parsed: { node: Node; end: number };
    try {
      parsed = this.expr.parseValueAt(exprStart, sink);
    } catch (e) {
      if (!(e instanceof Syntax)) throw e;
      if (e.message.includes('\n')) throw e;
      throw new Syntax(
        `Invalid expression: ${e.message}\nIn the value of "${name}": fix the expression.`,
        e.offset,
      );
    }
    const { node, end } = parsed;
    this.i = end;
    const first = seen.get(name);
    if (first !== undefined || (has(out, name) && !(out[name] instanceof ParsedExpr))) {
      this.diagnostics.push(
        this.syntaxDiag(
          first !== undefined
            ? `Duplicate argument "${name}"\nThe argument "${name}" was already set at ${this.file}:${first}. Each argument may be set only once: remove one of them.`
            : `Argument "${name}" has the name of a block\nA block "${name}" is already defined in this body: rename or remove one of them.`,
          start,
          start + name.length,
        ),
      );
      return;
    }
    seen.set(name, this.expr.lineAt(start));
    // Duplicate object keys are warnings about the file, whatever the loader does with the
    // attribute (an unsupported block's arguments are never evaluated).
    const own = sink.diagnostics.filter((d) => !isDuplicateKey(d));
    this.warnings.push(...sink.diagnostics.filter(isDuplicateKey));
    sink.diagnostics = own;
    const pos: SourcePos = { file: this.file, ...this.range(exprStart, end) };
    const text = this.src.slice(exprStart, end);
    put(out, name, new ParsedExpr(node, [...sink.refs].sort(), pos, text, sink.diagnostics));
    this.record(child(path, name), start, end);
  }

  private block(
    out: Obj,
    path: string,
    type: string,
    labels: string[],
    start: number,
    headerEnd: number,
  ): void {
    if (has(out, type) && out[type] instanceof ParsedExpr)
      throw new Syntax(
        `Block "${type}" has the name of an argument\nAn argument "${type}" is already set in this body: rename or remove one of them.`,
        this.i - 1,
      );
    // Descend through one object per label; the last holds the list of bodies.
    let holder = out;
    let k = type;
    for (const label of labels) {
      if (!has(holder, k)) put(holder, k, {});
      holder = holder[k] as Obj;
      k = label;
    }
    if (!has(holder, k)) put(holder, k, []);
    const list = holder[k];
    if (!Array.isArray(list))
      throw new Syntax(
        `Block "${type}" repeated with a different number of labels\nEvery "${type}" block in a body takes the same labels.`,
        this.i - 1,
      );
    const body: Obj = {};
    list.push(body);
    const typeKey = child(path, type);
    let p = typeKey;
    for (const label of labels) p = child(p, label);
    this.record(p, start, headerEnd);
    if (labels.length) this.record(typeKey, start, headerEnd);
    this.blocks.add(typeKey);
    this.blocks.add(p);
    this.openAt.push(this.i - 1);
    this.body(body, p, true);
    this.openAt.pop();
  }
}
