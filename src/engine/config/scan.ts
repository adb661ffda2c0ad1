// Source positions for HCL files. @cdktf/hcl2json returns JSON without positions, so this
// scanner walks the native syntax once (blocks, attributes, strings, heredocs, comments) and
// records the line of every block header and attribute by its path of names and labels, e.g.
// ["resource","cmek_kms_key","k","region"]. It also tells blocks from attributes (hcl2json
// renders `x { }` and `x = [{ }]` alike) and finds duplicate keys in object literals, which
// hcl2json silently collapses (last wins). It never decides validity: hcl2json does that.
// Also here: lines for Terraform JSON files (from jsonc-parser's tree) and hcl2json's syntax
// errors turned into diagnostics with their lines.

import { duplicateKeyWarning, isIdChar, isIdStart } from './ast.js';
import { diag, type Diagnostic } from '../../model/diagnostics.js';
import type { Node as JsonNode } from 'jsonc-parser';

export interface SourceIndex {
  /** 1-based line of a path (first occurrence), walking up to the nearest known ancestor. */
  lineOf(path: readonly string[]): number | undefined;
  /** Lines of every occurrence of a block path (repeated blocks), in source order. */
  blockLines(path: readonly string[]): number[];
  /** True when the path was written as a block (`name {`), not an attribute. */
  isBlock(path: readonly string[]): boolean;
  /** True when the attribute's value is a heredoc (its text starts on the next line). */
  isHeredoc?(path: readonly string[]): boolean;
  /** Warnings found while scanning (duplicate object keys). */
  warnings: Diagnostic[];
}

const key = (path: readonly string[]) => path.join('\u0000');

export function indexJsonLines(
  entries: Map<string, number[]>,
  blocks: Set<string> = new Set(),
  warnings: Diagnostic[] = [],
): SourceIndex {
  return {
    lineOf(path) {
      for (let n = path.length; n > 0; n--) {
        const l = entries.get(key(path.slice(0, n)));
        if (l) return l[0];
      }
      return undefined;
    },
    blockLines: (path) => entries.get(key(path)) ?? [],
    isBlock: (path) => blocks.has(key(path)),
    warnings,
  };
}

export function scanHcl(src: string, file: string): SourceIndex {
  const entries = new Map<string, number[]>();
  const blocks = new Set<string>();
  const heredocs = new Set<string>();
  const warnings: Diagnostic[] = [];
  const nl: number[] = [];
  for (let j = 0; j < src.length; j++) if (src[j] === '\n') nl.push(j);
  const lineAt = (off: number) => {
    let lo = 0;
    let hi = nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nl[mid]! < off) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const record = (path: string[], off: number) => {
    const k = key(path);
    const list = entries.get(k);
    if (list) list.push(lineAt(off));
    else entries.set(k, [lineAt(off)]);
  };
  let i = 0;
  const isId = isIdChar;

  const skipInline = () => {
    for (;;) {
      const c = src[i];
      if (c === ' ' || c === '\t' || c === '\r') i++;
      else if (c === '/' && src[i + 1] === '*') {
        const e = src.indexOf('*/', i + 2);
        i = e < 0 ? src.length : e + 2;
      } else return;
    }
  };
  const skipLineComment = () => {
    while (i < src.length && src[i] !== '\n') i++;
  };
  const skipAll = () => {
    for (;;) {
      skipInline();
      const c = src[i];
      if (c === '\n') i++;
      else if (c === '#' || (c === '/' && src[i + 1] === '/')) skipLineComment();
      else return;
    }
  };
  const readIdent = () => {
    const st = i;
    while (isId(src[i])) i++;
    return src.slice(st, i);
  };
  // A quoted string starting at src[i] === '"'; returns its raw text (escapes undecoded).
  const skipString = (): string => {
    const st = ++i;
    while (i < src.length && src[i] !== '"' && src[i] !== '\n') {
      if (src[i] === '\\') i += 2;
      else if ((src[i] === '$' || src[i] === '%') && src[i + 1] === '{') {
        i += 2;
        skipExpr(true);
        if (src[i] === '}') i++;
      } else i++;
    }
    const s = src.slice(st, i);
    if (src[i] === '"') i++;
    return s;
  };
  const skipHeredoc = () => {
    i += 2;
    if (src[i] === '-') i++;
    const marker = readIdent();
    const eol = src.indexOf('\n', i);
    if (eol < 0) {
      i = src.length;
      return;
    }
    let ls = eol + 1;
    for (;;) {
      const le = src.indexOf('\n', ls);
      const line = src.slice(ls, le < 0 ? src.length : le);
      if (line.trim() === marker || le < 0) {
        i = le < 0 ? src.length : le;
        return;
      }
      ls = le + 1;
    }
  };
  // Skip an expression. At depth 0 it ends at a newline (attribute value) or at an unmatched
  // closer; `inInterp` ends it at the `}` closing a template interpolation.
  // `base` (the attribute's path) is given for attribute values: keys of object literals are
  // then recorded too (`tags = { team = ... }` → [..., "tags", "team"]), so nested values get
  // their own lines. List elements share their list's path, as in jsonToNode.
  const skipExpr = (inInterp: boolean, base?: string[]) => {
    type Frame = {
      c: string;
      keys: Map<string, number>;
      expectKey: boolean;
      path: string[];
      lastKey?: string;
    };
    const stack: Frame[] = [];
    for (;;) {
      skipInline();
      const c = src[i];
      if (c === undefined) return;
      const top = stack[stack.length - 1];
      if (c === '\n') {
        if (stack.length === 0 && !inInterp) return;
        if (top?.c === '{') {
          top.expectKey = true;
          top.lastKey = undefined;
        }
        i++;
        continue;
      }
      if (c === '#' || (c === '/' && src[i + 1] === '/')) {
        skipLineComment();
        continue;
      }
      if (c === '{' || c === '[' || c === '(') {
        const parent = top ? (top.lastKey ? [...top.path, top.lastKey] : top.path) : (base ?? []);
        stack.push({ c, keys: new Map(), expectKey: c === '{', path: parent });
        i++;
        continue;
      }
      if (c === '}' || c === ']' || c === ')') {
        if (stack.length === 0) return;
        stack.pop();
        i++;
        continue;
      }
      if (c === ',') {
        if (top?.c === '{') {
          top.expectKey = true;
          top.lastKey = undefined;
        }
        i++;
        continue;
      }
      const keyStart = i;
      let word: string | undefined;
      if (c === '"') word = skipString();
      else if (c === '<' && src[i + 1] === '<' && (src[i + 2] === '-' || isIdStart(src[i + 2]))) {
        skipHeredoc();
      } else if (isId(c)) word = readIdent();
      else i++;
      if (top?.c === '{' && top.expectKey && word !== undefined) {
        skipInline();
        if ((src[i] === '=' && src[i + 1] !== '=' && src[i + 1] !== '>') || src[i] === ':') {
          const line = lineAt(keyStart);
          const first = top.keys.get(word);
          if (first !== undefined) warnings.push(duplicateKeyWarning(file, word, line, first));
          else top.keys.set(word, line);
          top.lastKey = word;
          if (base) record([...top.path, word], keyStart);
        }
      }
      if (top?.c === '{') top.expectKey = false;
    }
  };

  const body = (path: string[]) => {
    for (;;) {
      skipAll();
      const c = src[i];
      if (c === undefined) return;
      if (c === '}') {
        i++;
        // A stray brace at the top level (in a file hcl2json rejects anyway) must not end
        // the scan of the rest of the file.
        if (path.length) return;
        continue;
      }
      if (!isIdStart(c)) {
        // Not valid HCL here; hcl2json reports it. Resynchronise at the next line.
        skipLineComment();
        continue;
      }
      const start = i;
      const name = readIdent();
      skipInline();
      if (src[i] === '=' && src[i + 1] !== '=') {
        i++;
        record([...path, name], start);
        skipInline();
        // A heredoc's text starts on the next line: lines inside it count from there.
        if (src[i] === '<' && src[i + 1] === '<') heredocs.add(key([...path, name]));
        skipExpr(false, [...path, name]);
        continue;
      }
      const labels: string[] = [];
      for (;;) {
        skipInline();
        if (src[i] === '"') labels.push(skipString());
        else if (isIdStart(src[i])) labels.push(readIdent());
        else break;
      }
      if (src[i] === '{') {
        i++;
        const p = [...path, name, ...labels];
        record(p, start);
        if (labels.length) record([...path, name], start);
        blocks.add(key([...path, name]));
        blocks.add(key(p));
        body(p);
        continue;
      }
      skipLineComment();
    }
  };
  body([]);
  return { ...indexJsonLines(entries, blocks, warnings), isHeredoc: (p) => heredocs.has(key(p)) };
}

/** hcl2json's error text, `parse config: [F:9,9-14: Summary; detail. F:12,3-4: ...]`, as one
 * CONFIG_SYNTAX diagnostic per HCL diagnostic, each with its line. */
export function hclSyntaxDiagnostics(message: string, file: string): Diagnostic[] {
  const body = message.replace(/^parse config: \[/, '').replace(/\]\s*$/, '');
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const head = new RegExp(`(?:^|\\s)${esc}:(\\d+),\\d+(?:-\\d+(?:,\\d+)?)?: `, 'g');
  const starts = [...body.matchAll(head)];
  if (starts.length === 0)
    return [diag('CONFIG_SYNTAX', body || 'Invalid HCL', 'Fix the HCL syntax.', { file, line: 1 })];
  const out: Diagnostic[] = [];
  starts.forEach((m, i) => {
    const text = body.slice(m.index! + m[0].length, starts[i + 1]?.index ?? body.length).trim();
    const semi = text.indexOf('; ');
    const summary = semi < 0 ? text : text.slice(0, semi);
    const detail = semi < 0 ? 'Fix the HCL syntax.' : text.slice(semi + 2);
    out.push(diag('CONFIG_SYNTAX', summary, detail, { file, line: Number(m[1]) }));
  });
  return out;
}

export function indexJson(root: JsonNode | undefined, text: string, file: string): SourceIndex {
  const starts: number[] = [];
  for (let j = 0; j < text.length; j++) if (text[j] === '\n') starts.push(j);
  const lineAt = (off: number) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! < off) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const map = new Map<string, number[]>();
  const warnings: Diagnostic[] = [];
  const walk = (n: JsonNode, path: string[]) => {
    if (n.type === 'object') {
      // JSON.parse keeps the last of duplicate keys silently; say so, as for HCL objects.
      const seen = new Map<string, number>();
      for (const prop of n.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (!k || typeof k.value !== 'string') continue;
        const first = seen.get(k.value);
        if (first !== undefined && k.value !== '//')
          warnings.push(duplicateKeyWarning(file, k.value, lineAt(prop.offset), first));
        else seen.set(k.value, lineAt(prop.offset));
        const p = [...path, k.value];
        const key = p.join('\u0000');
        const list = map.get(key);
        if (list) list.push(lineAt(prop.offset));
        else map.set(key, [lineAt(prop.offset)]);
        if (v) walk(v, p);
      }
    } else if (n.type === 'array') for (const c of n.children ?? []) walk(c, path);
  };
  if (root) walk(root, []);
  return indexJsonLines(map, new Set(), warnings);
}
