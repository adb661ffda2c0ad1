// Source positions of a configuration file, by path of names and labels, e.g.
// ["resource","cmek_kms_key","k","region"]: the SourceIndex the loader asks for the line (and,
// for native syntax, the range) of a block or attribute. The native parser (syntax.ts) builds
// one from its tree; this file builds one for Terraform JSON files from jsonc-parser's tree,
// and finds duplicate keys there, which JSON.parse silently collapses (last wins).

import { duplicateKeyWarning } from './ast.js';
import type { Diagnostic } from '../../model/diagnostics.js';
import type { Node as JsonNode } from 'jsonc-parser';

/** A range in a file, 1-based; `endColumn` is exclusive. */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface SourceIndex {
  /** 1-based line of a path (first occurrence), walking up to the nearest known ancestor. */
  lineOf(path: readonly string[]): number | undefined;
  /** Lines of every occurrence of a block path (repeated blocks), in source order. */
  blockLines(path: readonly string[]): number[];
  /** True when the path was written as a block (`name {`), not an attribute. */
  isBlock(path: readonly string[]): boolean;
  /** The range of a path (first occurrence, or the nearest known ancestor), when known. */
  rangeOf?(path: readonly string[]): SourceRange | undefined;
  /** Ranges of every occurrence of a block path, in source order, when known. */
  blockRanges?(path: readonly string[]): SourceRange[];
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
