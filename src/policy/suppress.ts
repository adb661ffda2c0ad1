// Suppressions: `--skip CODE` on the command line, and inline markers on a resource — a tag or
// label (`tags = { "cmek:skip" = "CMEK_KEY_ROTATION_OFF reason" }`, a value
// `cmek:skip=CODE reason` in any tag, or for Google labels, which allow neither `:` nor spaces,
// `labels = { cmek-skip = "cmek_key_rotation_off" }`), or an HCL comment in or just above the
// resource block (`# cmek:skip=CODE reason`). A suppressed finding is still reported, marked
// suppressed with its justification.

import type { Value } from '../model/values.js';
import { attributeAt } from '../rules/index.js';
import type { Attrs } from '../model/values.js';
import type { InlineSkip } from './types.js';

const MARKER = /cmek:skip=([A-Za-z_]+)(?:[ \t]+([^\n"]*))?/g;

/** Normalise a written code (`cmek_key_rotation_off`, `CMEK-KEY-ROTATION-OFF`). */
export function normaliseCode(code: string): string {
  return code.trim().toUpperCase().replace(/-/g, '_');
}

function fromText(text: string, source: string): InlineSkip[] {
  const out: InlineSkip[] = [];
  for (const m of text.matchAll(MARKER)) {
    out.push({ code: normaliseCode(m[1]!), reason: (m[2] ?? '').trim(), source });
  }
  return out;
}

const TAG_ATTRIBUTES = ['tags', 'tags_all', 'labels', 'user_labels', 'settings.user_labels'];

/** Skips written in a resource's tags or labels. */
export function tagSkips(attrs: Attrs | null | undefined): InlineSkip[] {
  if (!attrs) return [];
  const out: InlineSkip[] = [];
  const seen = new Set<string>();
  for (const name of TAG_ATTRIBUTES) {
    const tags: Value | undefined = attributeAt(attrs, name);
    if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) continue;
    for (const [k, v] of Object.entries(tags as Record<string, Value>)) {
      if (typeof v !== 'string') continue;
      const source = `${name}["${k}"]`;
      const found: InlineSkip[] = [];
      if (/^cmek[:_-]skip$/i.test(k)) {
        const [code, ...reason] = v.trim().split(/\s+/);
        if (code) found.push({ code: normaliseCode(code), reason: reason.join(' '), source });
      } else found.push(...fromText(v, source));
      for (const s of found) {
        const id = `${s.code}|${s.reason}`;
        if (!seen.has(id)) out.push(s);
        seen.add(id);
      }
    }
  }
  return out;
}

/** Skips written as comments (`#`, `//`, `/* *\/`) from the line above a block's first line
 * (contiguous comment lines) up to the line before the next block. */
export function commentSkips(
  text: string,
  file: string,
  startLine: number,
  nextStart: number | undefined,
): InlineSkip[] {
  if (!text.includes('cmek:skip=')) return [];
  const lines = text.split('\n');
  let from = startLine - 1; // 0-based index of the block's first line
  while (from > 0 && /^\s*(#|\/\/|\/\*|\*)/.test(lines[from - 1] ?? '')) from--;
  const to = (nextStart ?? lines.length + 1) - 1;
  const out: InlineSkip[] = [];
  for (let i = from; i < to && i < lines.length; i++) {
    const line = lines[i]!;
    const c = line.search(/#|\/\/|\/\*/);
    if (c < 0) continue;
    // A comment just above the next block belongs to that block.
    if (i >= startLine && /^\s*(#|\/\/)/.test(line) && nextStart !== undefined) {
      let j = i;
      while (j < to && /^\s*(#|\/\/|\/\*|\*)/.test(lines[j] ?? '')) j++;
      if (j === to) break;
    }
    out.push(...fromText(line.slice(c), `${file}:${i + 1}`));
  }
  return out;
}
