// `cmek fmt`: rewrite HCL (.tf, .tfvars) in the canonical style of `terraform fmt`, token by
// token, as HashiCorp's hclwrite formatter does: re-indent each line by its bracket nesting
// (2 spaces a level), normalise the spaces between tokens, align the `=` of consecutive
// attribute lines and the trailing comments of consecutive lines, drop trailing whitespace.
// Then terraform's own touches: an attribute whose whole value is one interpolation
// (`"${var.x}"`) is unwrapped, a variable's legacy quoted type (`"string"`) becomes a type, and
// block labels are quoted. Blank lines are kept as they are (terraform does the same).
// Comments, strings and heredocs keep their text exactly. The input must be valid HCL: the
// caller checks the syntax first (see parseHclText), because the token rules here assume it.

export type TokType =
  | 'ident'
  | 'number'
  | 'op' // operators and punctuation other than those below
  | 'oquote'
  | 'cquote'
  | 'qlit' // literal text inside a quoted string
  | 'strlit' // a line of a heredoc's text
  | 'oheredoc' // `<<EOT\n` or `<<-EOT\n`
  | 'cheredoc'
  | 'interp' // `${` or `${~`
  | 'control' // `%{` or `%{~`
  | 'seqend' // `}` or `~}` closing an interp or control
  | 'comment' // `#`/`//` comments include their newline; `/* */` do not
  | 'newline';

export interface Token {
  type: TokType;
  text: string;
  spaces: number;
}

const OPS = ['...', '==', '!=', '<=', '>=', '&&', '||', '=>', '::'];

function isIdStart(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}_]/u.test(c);
}
function isIdChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}_-]/u.test(c);
}

/** Split HCL source into hclsyntax's tokens (without the spaces between them). */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (type: TokType, text: string) => {
    out.push({ type, text, spaces: 0 });
    i += text.length;
  };
  // What each open `{`, `${`, `%{` and `"`/heredoc is, to know what a `}` or `"` closes.
  const stack: Array<'brace' | 'interp' | 'quote' | { heredoc: string; indent: boolean }> = [];

  const templateText = (end: (j: number) => boolean, type: 'qlit' | 'strlit') => {
    // Literal text up to an interpolation, a directive or `end`.
    let j = i;
    while (j < src.length && !end(j)) {
      if (src.startsWith('$${', j) || src.startsWith('%%{', j)) {
        j += 3;
        continue;
      }
      if (src.startsWith('${', j) || src.startsWith('%{', j)) break;
      if (type === 'qlit' && src[j] === '\\') {
        j += 2;
        continue;
      }
      j++;
    }
    if (j > i) push(type, src.slice(i, j));
  };

  while (i < src.length) {
    const top = stack.at(-1);
    if (top === 'quote') {
      templateText((j) => src[j] === '"' || src[j] === '\n', 'qlit');
      if (src[i] === '"') {
        push('cquote', '"');
        stack.pop();
      } else if (src.startsWith('${', i) || src.startsWith('%{', i)) {
        const t = src[i + 2] === '~' ? 3 : 2;
        push(src[i] === '$' ? 'interp' : 'control', src.slice(i, i + t));
        stack.push('interp');
      } else if (i < src.length) {
        throw new Error('unterminated string');
      }
      continue;
    }
    if (top && typeof top === 'object') {
      // Heredoc body: one token a line, until the line holding only the marker.
      const lineEnd = src.indexOf('\n', i);
      const line = src.slice(i, lineEnd < 0 ? src.length : lineEnd);
      if (line.replace(/\r$/, '').trim() === top.heredoc) {
        push('cheredoc', line);
        stack.pop();
        continue;
      }
      // Text of the line up to an interpolation or the end of the line (inclusive).
      let j = i;
      while (j < src.length && src[j] !== '\n') {
        if (src.startsWith('$${', j) || src.startsWith('%%{', j)) {
          j += 3;
          continue;
        }
        if (src.startsWith('${', j) || src.startsWith('%{', j)) break;
        j++;
      }
      if (src[j] === '\n') j++;
      if (j > i) push('strlit', src.slice(i, j));
      if (src.startsWith('${', i) || src.startsWith('%{', i)) {
        const t = src[i + 2] === '~' ? 3 : 2;
        push(src[i] === '$' ? 'interp' : 'control', src.slice(i, i + t));
        stack.push('interp');
      }
      continue;
    }
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\r' && src[i + 1] === '\n') {
      push('newline', '\r\n');
      continue;
    }
    if (c === '\n') {
      push('newline', '\n');
      continue;
    }
    if (c === '#' || src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      push('comment', end < 0 ? src.slice(i) : src.slice(i, end + 1));
      continue;
    }
    if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated comment');
      push('comment', src.slice(i, end + 2));
      continue;
    }
    if (c === '"') {
      push('oquote', '"');
      stack.push('quote');
      continue;
    }
    const here = /^<<(-?)([\p{L}_][\p{L}\p{N}_-]*)\r?\n/u.exec(src.slice(i, i + 200));
    if (here) {
      push('oheredoc', here[0]);
      stack.push({ heredoc: here[2]!, indent: here[1] === '-' });
      continue;
    }
    if (c === '{') {
      push('op', '{');
      stack.push('brace');
      continue;
    }
    if (c === '}' || (c === '~' && src[i + 1] === '}' && top === 'interp')) {
      if (top === 'interp') {
        push('seqend', c === '~' ? '~}' : '}');
      } else push('op', '}');
      stack.pop();
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 100))!;
      push('number', m[0]);
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (isIdChar(src[j])) j++;
      push('ident', src.slice(i, j));
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      push('op', op);
      continue;
    }
    if ('+-*/%<>!?:=.,()[]'.includes(c)) {
      push('op', c);
      continue;
    }
    throw new Error(`unexpected character ${JSON.stringify(c)}`);
  }
  return out;
}

function bracketChange(t: Token): number {
  if (t.type === 'interp' || t.type === 'control') return 1;
  if (t.type === 'seqend') return -1;
  if (t.type !== 'op') return 0;
  if (t.text === '{' || t.text === '[' || t.text === '(') return 1;
  if (t.text === '}' || t.text === ']' || t.text === ')') return -1;
  return 0;
}

function isNewline(t: Token): boolean {
  return t.type === 'newline' || (t.type === 'comment' && t.text.endsWith('\n'));
}

const is = (t: Token | undefined, text: string) => t?.type === 'op' && t.text === text;

/** hclwrite's rule for one space (or none) between `subject` and `after`. */
function spaceAfter(subject: Token, before: Token | undefined, after: Token): boolean {
  if (after.type === 'newline') return false;
  if (subject.type === 'ident' && is(after, '(')) return false;
  if (
    (subject.type === 'ident' && is(after, '::')) ||
    (is(subject, '::') && after.type === 'ident')
  )
    return false;
  if (is(subject, '.') || is(after, '.')) return false;
  if (is(after, ',') || is(after, '...')) return false;
  if (is(subject, ',')) return true;
  if (is(subject, '!')) return false;
  if (
    subject.type === 'qlit' ||
    subject.type === 'strlit' ||
    subject.type === 'oquote' ||
    subject.type === 'oheredoc' ||
    after.type === 'qlit' ||
    after.type === 'strlit' ||
    after.type === 'cquote' ||
    after.type === 'cheredoc'
  )
    return false;
  if (subject.type === 'ident' && subject.text === 'in' && before?.type === 'ident') return true;
  if (
    is(after, '[') &&
    (subject.type === 'ident' || subject.type === 'number' || bracketChange(subject) < 0)
  )
    return false;
  if (is(subject, '-')) {
    if (!before) return false;
    if (before.type === 'op' || before.type === 'interp' || before.type === 'control')
      return !/^(\(|\{|\[|=|:|,|\?|\+|\*|\/|%|-|==|!=|>|>=|<|<=|&&|\|\||!)$/.test(before.text);
    return true;
  }
  if (is(subject, '{') || is(after, '}')) return !(is(subject, '{') && is(after, '}'));
  if ((subject.type === 'interp' || subject.type === 'control') && is(after, '{')) return true;
  if (is(subject, '}') && after.type === 'seqend') return true;
  if (subject.type === 'seqend' && (after.type === 'interp' || after.type === 'control'))
    return false;
  if (bracketChange(subject) > 0) return false;
  if (bracketChange(after) < 0) return false;
  return true;
}

interface Line {
  lead: Token[];
  assign?: Token[];
  comment?: Token[];
}

function columns(ts: readonly Token[] | undefined): number {
  let n = 0;
  for (const t of ts ?? []) n += t.spaces + [...t.text].length;
  return n;
}

function splitLines(tokens: Token[]): Line[] {
  const lines: Line[] = [];
  let start = 0;
  tokens.forEach((t, i) => {
    if (isNewline(t)) {
      lines.push({ lead: tokens.slice(start, i + 1) });
      start = i + 1;
    }
  });
  lines.push({ lead: tokens.slice(start) });
  for (const line of lines) {
    const lead = line.lead;
    if (lead.length > 1 && lead.at(-1)!.type === 'comment') {
      line.comment = lead.slice(-1);
      line.lead = lead.slice(0, -1);
    }
    const eq = line.lead.findIndex((t, i) => i > 0 && is(t, '='));
    if (eq > 0) {
      let net = 0;
      for (const t of line.lead.slice(eq)) {
        net += bracketChange(t);
        if (t.type === 'oheredoc') break;
      }
      if (net === 0) {
        line.assign = line.lead.slice(eq);
        line.lead = line.lead.slice(0, eq);
      }
    }
  }
  return lines;
}

function formatIndent(lines: Line[]): void {
  const indents: number[] = [];
  for (const line of lines) {
    if (!line.lead.length) continue;
    if (line.lead[0]!.type === 'newline') {
      line.lead[0]!.spaces = 0;
      continue;
    }
    let net = 0;
    for (const part of [line.lead, line.assign ?? []]) {
      for (const t of part) {
        net += bracketChange(t);
        if (t.type === 'oheredoc') break;
      }
    }
    if (net > 0) {
      line.lead[0]!.spaces = 2 * indents.length;
      indents.push(net);
      continue;
    }
    let closed = -net;
    while (closed > 0 && indents.length) {
      const top = indents.at(-1)!;
      if (closed > top) {
        closed -= top;
        indents.pop();
      } else if (closed < top) {
        indents[indents.length - 1] = top - closed;
        closed = 0;
      } else {
        indents.pop();
        closed = 0;
      }
    }
    line.lead[0]!.spaces = 2 * indents.length;
  }
}

function formatSpaces(lines: Line[]): void {
  for (const line of lines) {
    for (const [part, first] of [
      [line.lead, false],
      [line.assign ?? [], true],
    ] as const) {
      part.forEach((t, i) => {
        if (i === 0 && first) t.spaces = 1;
        const after = part[i + 1];
        if (after) after.spaces = spaceAfter(t, part[i - 1], after) ? 1 : 0;
      });
    }
  }
}

function formatCells(lines: Line[]): void {
  const align = (has: (l: Line) => Token | undefined, width: (l: Line) => number): void => {
    let chain: Line[] = [];
    const close = () => {
      const max = Math.max(...chain.map(width));
      for (const l of chain) has(l)!.spaces = max - width(l) + 1;
      chain = [];
    };
    for (const l of lines) {
      if (has(l)) chain.push(l);
      else if (chain.length) close();
    }
    if (chain.length) close();
  };
  align(
    (l) => l.assign?.[0],
    (l) => columns(l.lead),
  );
  align(
    (l) => l.comment?.[0],
    (l) => columns(l.lead) + columns(l.assign),
  );
}

function render(tokens: readonly Token[]): string {
  let s = '';
  for (const t of tokens) s += ' '.repeat(t.spaces) + t.text;
  return s;
}

/** hclwrite's Format: indentation, spaces and alignment. */
export function formatTokens(tokens: Token[]): string {
  const lines = splitLines(tokens);
  formatIndent(lines);
  formatSpaces(lines);
  formatCells(lines);
  return render(tokens);
}

// ---- terraform fmt's rewrites on top of hclwrite (structure-aware) ----

/** Index just past the expression starting at `i` (up to a newline at nesting depth 0). */
function exprEnd(tokens: Token[], i: number): number {
  let depth = 0;
  let j = i;
  for (; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (depth === 0 && isNewline(t)) break;
    if (depth === 0 && t.type === 'op' && t.text === '}') break;
    if (t.type === 'oquote' || t.type === 'oheredoc') depth++;
    else if (t.type === 'cquote' || t.type === 'cheredoc') depth--;
    else depth += bracketChange(t);
  }
  return j;
}

/** `"${expr}"` → `expr` when the string is exactly one interpolation (terraform fmt's rule). */
function unwrapInterpolation(value: Token[]): Token[] {
  if (value.length < 5) return value;
  const [oq, oi] = value;
  const cs = value.at(-2)!;
  const cq = value.at(-1)!;
  if (oq!.type !== 'oquote' || oi!.type !== 'interp') return value;
  if (cs.type !== 'seqend' || cq.type !== 'cquote') return value;
  const inside = value.slice(2, -2);
  let quotes = 0;
  for (const t of inside) {
    if (t.type === 'oquote') quotes++;
    else if (t.type === 'cquote') quotes--;
    else if (quotes > 0) continue;
    else if (t.type === 'interp' || t.type === 'control' || t.type === 'seqend') return value;
    else if (t.type === 'qlit') return value;
  }
  let a = 0;
  let b = inside.length;
  while (a < b && inside[a]!.type === 'newline') a++;
  while (b > a && inside[b - 1]!.type === 'newline') b--;
  const trimmed = inside.slice(a, b);
  if (trimmed.some(isNewline)) {
    return [{ type: 'op', text: '(', spaces: 0 }, ...trimmed, { type: 'op', text: ')', spaces: 0 }];
  }
  return trimmed;
}

const LEGACY_TYPES: Record<string, string> = {
  string: 'string',
  list: 'list(string)',
  map: 'map(string)',
};

/** A variable's `type = "string"` (terraform 0.11) → `type = string`. */
function fixType(value: Token[]): Token[] {
  if (value.length !== 3 || value[0]!.type !== 'oquote' || value[1]!.type !== 'qlit') return value;
  const t = LEGACY_TYPES[value[1]!.text];
  if (!t || value[2]!.type !== 'cquote') return value;
  return tokenize(t);
}

/** Apply terraform's rewrites to the bodies (not to object constructors inside expressions). */
export function rewriteBodies(tokens: Token[]): Token[] {
  const out: Token[] = [];
  // Block types from the outermost body in.
  const blocks: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.type === 'newline' || t.type === 'comment') {
      out.push(t);
      i++;
      continue;
    }
    if (is(t, '}')) {
      blocks.pop();
      out.push(t);
      i++;
      continue;
    }
    if (t.type !== 'ident') {
      // Not a body item (cannot happen in valid HCL): copy the rest as it is.
      out.push(...tokens.slice(i));
      break;
    }
    const next = tokens[i + 1];
    if (is(next, '=')) {
      const end = exprEnd(tokens, i + 2);
      let value = tokens.slice(i + 2, end);
      const inVariable = blocks.length === 1 && blocks[0] === 'variable';
      value = inVariable && t.text === 'type' ? fixType(value) : unwrapInterpolation(value);
      out.push(t, next!, ...value);
      i = end;
      continue;
    }
    // A block: TYPE LABEL... { — labels are quoted (`resource aws_x y {` → `resource "aws_x" "y" {`).
    out.push(t);
    let j = i + 1;
    while (j < tokens.length && !is(tokens[j], '{')) {
      const l = tokens[j]!;
      if (l.type === 'ident') {
        out.push(
          { type: 'oquote', text: '"', spaces: 0 },
          { type: 'qlit', text: l.text, spaces: 0 },
          { type: 'cquote', text: '"', spaces: 0 },
        );
      } else out.push(l);
      j++;
    }
    blocks.push(t.text);
    i = j;
    if (j < tokens.length) {
      out.push(tokens[j]!);
      i = j + 1;
      // A one-line block `b { x = 1 }`: its single attribute follows on the same line.
    }
  }
  return out;
}

/** Format HCL source as `terraform fmt` does. Throws on input it cannot tokenize (the caller
 * reports syntax errors from the real parser first). */
export function formatHcl(src: string): string {
  const out = formatTokens(rewriteBodies(tokenize(src)));
  if (out === '' || out.endsWith('\n')) return out;
  return out + (src.includes('\r\n') ? '\r\n' : '\n');
}
