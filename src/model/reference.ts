// References as structured values (what Terraform's addrs.Reference is): what an expression
// reads, produced once by the config loader from the parsed expression, so the graph and the
// planner never re-parse text or guess an instance from values. The text forms
// (`cmek_kms_key.k[0].arn`, `var.region`) exist only to be printed.

export type Reference =
  | { kind: 'var'; name: string; attribute?: string }
  | { kind: 'local'; name: string; attribute?: string }
  /** `count.index` */
  | { kind: 'count' }
  | {
      kind: 'resource';
      resource: { type: string; name: string };
      /** The instance key when it is static: a number literal, or `count.index` (resolved per
       * instance by the evaluator). Absent: the whole block, or an index computed at run time
       * (see ParsedExpr.instanceReferences, which evaluates it). */
      index?: number | 'count.index';
      /** The first attribute read on it (`arn` in `cmek_kms_key.k[0].arn`). */
      attribute?: string;
    }
  /** `data.TYPE.NAME` and `module.NAME`: roots cmek does not evaluate (the loader reports them);
   * kept so tools can still see them. */
  | { kind: 'other'; root: string };

/** The graph node a reference reads: `var.x`, `local.x`, `TYPE.NAME`; undefined for count. */
export function referenceKey(r: Reference): string | undefined {
  switch (r.kind) {
    case 'var':
      return `var.${r.name}`;
    case 'local':
      return `local.${r.name}`;
    case 'resource':
      return `${r.resource.type}.${r.resource.name}`;
    case 'other':
      return r.root;
    case 'count':
      return undefined;
  }
}

/** The instance address a resource reference names (`TYPE.NAME[i]`), or its block address when
 * the index is not a number. */
export function referenceAddress(r: Extract<Reference, { kind: 'resource' }>): string {
  const block = `${r.resource.type}.${r.resource.name}`;
  return typeof r.index === 'number' ? `${block}[${r.index}]` : block;
}

/** Printable text, as it would be written in a configuration. */
export function formatReference(r: Reference): string {
  switch (r.kind) {
    case 'count':
      return 'count.index';
    case 'var':
    case 'local':
      return `${r.kind}.${r.name}${r.attribute ? `.${r.attribute}` : ''}`;
    case 'resource': {
      const idx = r.index === undefined ? '' : `[${r.index}]`;
      return `${r.resource.type}.${r.resource.name}${idx}${r.attribute ? `.${r.attribute}` : ''}`;
    }
    case 'other':
      return r.root;
  }
}

/** Parse reference text as users write it in places that are not expressions (`depends_on`,
 * `-target`): `var.x`, `local.y`, `count.index`, `TYPE.NAME`, `TYPE.NAME[N]`, with an optional
 * attribute. Undefined when it is none of these. */
export function parseReference(text: string): Reference | undefined {
  const m =
    /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[\s*(\d+|count\.index)\s*\])?(?:\.([A-Za-z_][A-Za-z0-9_-]*))?/.exec(
      text.trim(),
    );
  if (!m) return undefined;
  const [, head, second, idx, attr] = m as unknown as [string, string, string, string?, string?];
  if (head === 'count') return second === 'index' ? { kind: 'count' } : undefined;
  if (head === 'var' || head === 'local')
    return { kind: head, name: second, ...(attr ? { attribute: attr } : {}) };
  // terraform.workspace (and the unsupported data.*, module.*): not a resource.
  if (head === 'data' || head === 'module' || head === 'terraform')
    return { kind: 'other', root: `${head}.${second}` };
  return {
    kind: 'resource',
    resource: { type: head, name: second },
    ...(idx === undefined ? {} : { index: idx === 'count.index' ? 'count.index' : Number(idx) }),
    ...(attr ? { attribute: attr } : {}),
  };
}
