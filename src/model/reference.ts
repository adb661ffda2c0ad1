// References as structured values (what Terraform's addrs.Reference is): what an expression
// reads, produced once by the config loader from the parsed expression, so the graph and the
// planner never re-parse text or guess an instance from values. The text forms
// (`cmek_kms_key.k[0].arn`, `var.region`) exist only to be printed.

import { formatAddress, formatKey, parseResourceAddress, type InstanceKey } from './address.js';

export type Reference =
  | { kind: 'var'; name: string; attribute?: string }
  | { kind: 'local'; name: string; attribute?: string }
  /** `count.index` */
  | { kind: 'count' }
  /** `each.key` / `each.value` in a block with for_each. */
  | { kind: 'each'; attribute: 'key' | 'value' }
  /** `module.NAME` (the whole call) or `module.NAME.OUTPUT`. */
  | { kind: 'module'; name: string; output?: string }
  | {
      kind: 'resource';
      resource: { type: string; name: string };
      /** The module instance the resource is in (`module.a["x"]`), once a child module's
       * expressions are placed in the whole configuration; absent in the root module. */
      module?: string;
      /** The instance key when it is static: a number or string literal, or `count.index` /
       * `each.key` (resolved per instance by the evaluator). Absent: the whole block, or a key
       * computed at run time (see ParsedExpr.instanceReferences, which evaluates it). */
      index?: InstanceKey | 'count.index' | 'each.key';
      /** The first attribute read on it (`arn` in `cmek_kms_key.k[0].arn`). */
      attribute?: string;
    }
  /** `data.TYPE.NAME` and `module.NAME`: roots cmek does not evaluate (the loader reports them);
   * kept so tools can still see them. */
  | { kind: 'other'; root: string };

/** The graph node a reference reads: `var.x`, `local.x`, `TYPE.NAME`, `module.NAME`; undefined
 * for count and each. */
export function referenceKey(r: Reference): string | undefined {
  switch (r.kind) {
    case 'var':
      return `var.${r.name}`;
    case 'local':
      return `local.${r.name}`;
    case 'resource':
      return `${r.module ? `${r.module}.` : ''}${r.resource.type}.${r.resource.name}`;
    case 'module':
      return `module.${r.name}`;
    case 'other':
      return r.root;
    case 'count':
    case 'each':
      return undefined;
  }
}

/** The instance address a resource reference names (`TYPE.NAME[i]`, `TYPE.NAME["k"]`), or its
 * block address when the key is not resolved. */
export function referenceAddress(r: Extract<Reference, { kind: 'resource' }>): string {
  const resolved = r.index === 'count.index' || r.index === 'each.key' ? undefined : r.index;
  const a = formatAddress(r.resource.type, r.resource.name, resolved);
  return r.module ? `${r.module}.${a}` : a;
}

/** Printable text, as it would be written in a configuration. */
export function formatReference(r: Reference): string {
  switch (r.kind) {
    case 'count':
      return 'count.index';
    case 'each':
      return `each.${r.attribute}`;
    case 'module':
      return `module.${r.name}${r.output ? `.${r.output}` : ''}`;
    case 'var':
    case 'local':
      return `${r.kind}.${r.name}${r.attribute ? `.${r.attribute}` : ''}`;
    case 'resource': {
      const idx =
        r.index === undefined
          ? ''
          : r.index === 'count.index' || r.index === 'each.key'
            ? `[${r.index}]`
            : formatKey(r.index);
      return `${r.resource.type}.${r.resource.name}${idx}${r.attribute ? `.${r.attribute}` : ''}`;
    }
    case 'other':
      return r.root;
  }
}

/** Parse reference text as users write it in places that are not expressions (`depends_on`,
 * `-target`): `var.x`, `local.y`, `count.index`, `each.key`, `module.NAME`, `TYPE.NAME`,
 * `TYPE.NAME[N]`, `TYPE.NAME["k"]`, with an optional attribute. Undefined when it is none of
 * these. */
export function parseReference(text: string): Reference | undefined {
  const t = text.trim();
  const m = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)/.exec(t);
  if (!m) return undefined;
  const [, head, second] = m as unknown as [string, string, string];
  const rest = t.slice(m[0].length);
  const attrOf = (s: string) => /^\.([A-Za-z_][A-Za-z0-9_-]*)/.exec(s)?.[1];
  if (head === 'count') return second === 'index' ? { kind: 'count' } : undefined;
  if (head === 'each')
    return second === 'key' || second === 'value' ? { kind: 'each', attribute: second } : undefined;
  if (head === 'var' || head === 'local') {
    const attr = attrOf(rest);
    return { kind: head, name: second, ...(attr ? { attribute: attr } : {}) };
  }
  if (head === 'module') {
    const out = attrOf(rest);
    return { kind: 'module', name: second, ...(out ? { output: out } : {}) };
  }
  // terraform.workspace (and data.*): not a managed resource.
  if (head === 'data' || head === 'terraform') return { kind: 'other', root: `${head}.${second}` };
  const resource = { type: head, name: second };
  const sym = /^\[\s*(count\.index|each\.key)\s*\]/.exec(rest);
  if (sym) {
    const attr = attrOf(rest.slice(sym[0].length));
    return {
      kind: 'resource',
      resource,
      index: sym[1] as 'count.index' | 'each.key',
      ...(attr ? { attribute: attr } : {}),
    };
  }
  // The key, if any, as the address parser reads it (numbers and quoted strings).
  const keyText = /^\[(?:\s*\d+\s*|\s*"(?:[^"\\]|\\.)*"\s*)\]/.exec(rest)?.[0] ?? '';
  const parsed = parseResourceAddress(`${head}.${second}${keyText}`);
  if (!parsed.ok) return undefined;
  const attr = attrOf(rest.slice(keyText.length));
  return {
    kind: 'resource',
    resource,
    ...(parsed.address.key === undefined ? {} : { index: parsed.address.key }),
    ...(attr ? { attribute: attr } : {}),
  };
}
