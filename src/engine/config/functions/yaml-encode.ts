// YAML text exactly as terraform's yamlencode writes it. Terraform marshals a value with
// go-cty-yaml, whose emitter is go-yaml's: this module follows that emitter's rules, tracking
// the column, indentation and "last thing written" state as it does:
// - block style, two-space indentation; a list that is a map's value is not indented
//   ("indentless"); empty lists and maps are `[]` and `{}`;
// - map keys sorted; every string (key or value) double-quoted, except a string containing a
//   line feed, which is a literal block (`|`, `|-`, `|+`, with an indentation digit when it
//   starts with a space or a line break) unless it holds a character a block cannot (a
//   non-printable one, a space before a line break, a trailing space): then double-quoted too;
// - double-quoted strings wrap at a space past column 80, with go-yaml's escapes (`\t`, `\L`,
//   `\x..`, `\u....`, `\U........`); characters outside the Basic Multilingual Plane count as
//   non-printable, as in go-yaml;
// - a key that holds a line break or is longer than 128 bytes is written as `? key` / `: value`;
// - numbers in plain decimal, and a document that is only a number, bool or null ends `...`.

import { Sensitive, type Value } from '../../../model/values.js';
import { numberToString } from './support.js';

const BEST_WIDTH = 80;

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

function isBreak(cp: number): boolean {
  return cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
}

/** What go-yaml's scalar analysis says about a string. */
function analyze(s: string): { multiline: boolean; blockAllowed: boolean } {
  const cps = [...s].map((ch) => ch.codePointAt(0)!);
  let special = false;
  let spaceBreak = false;
  let lineBreaks = false;
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    if (!isPrintable(cp) || cp === 0xfeff) special = true;
    if (isBreak(cp)) lineBreaks = true;
    if (cp === 0x20 && i + 1 < cps.length && isBreak(cps[i + 1]!)) spaceBreak = true;
  }
  const trailingSpace = cps.length > 0 && cps[cps.length - 1] === 0x20;
  return {
    multiline: lineBreaks,
    blockAllowed: cps.length > 0 && !special && !spaceBreak && !trailingSpace,
  };
}

const ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

function escape(cp: number): string {
  const e = ESCAPES[cp];
  if (e !== undefined) return `\\${e}`;
  const hex = cp.toString(16).toUpperCase();
  if (cp <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

/** The emitter's state: the text, the column, and go-yaml's `whitespace` / `indention` flags. */
class Emitter {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;

  private put(text: string): void {
    this.out += text;
    this.column += [...text].length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  writeIndent(indent: number): void {
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace))
      this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  writeIndicator(
    text: string,
    needWhitespace: boolean,
    isWhitespace: boolean,
    isIndention: boolean,
  ) {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(text);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  plain(text: string): void {
    if (!this.whitespace) this.put(' ');
    this.put(text);
    this.whitespace = false;
    this.indention = false;
  }

  doubleQuoted(s: string, indent: number, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const cps = [...s].map((ch) => ch.codePointAt(0)!);
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i]!;
      if (!isPrintable(cp) || cp === 0xfeff || isBreak(cp) || cp === 0x22 || cp === 0x5c) {
        this.put(escape(cp));
        spaces = false;
      } else if (cp === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== cps.length - 1) {
          this.writeIndent(indent);
          if (cps[i + 1] === 0x20) this.put('\\');
        } else this.put(' ');
        spaces = true;
      } else {
        this.put(String.fromCodePoint(cp));
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  literal(s: string, indent: number): void {
    this.writeIndicator('|', true, false, false);
    const cps = [...s].map((ch) => ch.codePointAt(0)!);
    if (cps[0] === 0x20 || isBreak(cps[0]!)) this.writeIndicator('2', false, false, false);
    const last = cps.length - 1;
    const chomp = !isBreak(cps[last]!) ? '-' : last === 0 || isBreak(cps[last - 1]!) ? '+' : '';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const cp of cps) {
      if (isBreak(cp)) {
        this.putBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) {
          this.writeIndent(indent);
          this.indention = cp === 0x20;
        }
        this.put(String.fromCodePoint(cp));
        this.indention = false;
        breaks = false;
      }
    }
  }
}

function isEmptyCollection(v: Value): boolean {
  return Array.isArray(v)
    ? v.length === 0
    : typeof v === 'object' && v !== null && !Object.keys(v).length;
}

/** One string scalar: literal when it spans lines and a block may hold it, else double-quoted. */
function stringScalar(e: Emitter, s: string, indent: number, simpleKey: boolean): void {
  const a = analyze(s);
  if (a.multiline && a.blockAllowed && !simpleKey) e.literal(s, indent);
  else e.doubleQuoted(s, indent, !simpleKey);
}

/** Emit a node whose parent's indentation is `parent` (-1 at the root); `inMapValue` makes a
 * list indentless, as go-yaml's is when it is a mapping's value. */
function node(e: Emitter, v: Value, parent: number, inMapValue: boolean): void {
  if (v instanceof Sensitive) return node(e, v.value, parent, inMapValue);
  const scalarIndent = parent < 0 ? 2 : parent + 2;
  if (v === null) return e.plain('null');
  if (typeof v === 'boolean') return e.plain(String(v));
  if (typeof v === 'number') return e.plain(numberToString(v));
  if (typeof v === 'string') return stringScalar(e, v, scalarIndent, false);
  if (isEmptyCollection(v)) {
    e.writeIndicator(Array.isArray(v) ? '[' : '{', true, true, false);
    e.writeIndicator(Array.isArray(v) ? ']' : '}', false, false, false);
    return;
  }
  if (Array.isArray(v)) {
    const indentless = inMapValue && !e.indention;
    const indent = parent < 0 ? 0 : indentless ? parent : parent + 2;
    for (const item of v) {
      e.writeIndent(indent);
      e.writeIndicator('-', true, false, true);
      node(e, item, indent, false);
    }
    return;
  }
  const indent = parent < 0 ? 0 : parent + 2;
  const obj = v as Record<string, Value>;
  for (const k of Object.keys(obj).sort()) {
    e.writeIndent(indent);
    const simple = !analyze(k).multiline && Buffer.byteLength(k) <= 128;
    if (simple) {
      stringScalar(e, k, indent + 2, true);
      e.writeIndicator(':', false, false, false);
    } else {
      e.writeIndicator('?', true, false, true);
      stringScalar(e, k, indent + 2, false);
      e.writeIndent(indent);
      e.writeIndicator(':', true, false, true);
    }
    node(e, obj[k]!, indent, true);
  }
}

/** A value as the YAML text terraform's yamlencode gives. */
export function terraformYaml(v: Value): string {
  const e = new Emitter();
  node(e, v, -1, false);
  const root = v instanceof Sensitive ? v.value : v;
  if (e.column > 0) e.writeIndent(0);
  if (root === null || typeof root === 'number' || typeof root === 'boolean') e.out += '...\n';
  return e.out;
}
