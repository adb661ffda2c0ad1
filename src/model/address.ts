// Resource addresses as Terraform writes them: `TYPE.NAME` for a block, `TYPE.NAME[i]` for an
// instance of a block with `count`; and the roots of reference traversals as the config loader
// reports them in `Expr.refs` (`cmek_kms_key.k.arn`, `var.region`, `local.x`, `count.index`).

export function formatAddress(type: string, name: string, index?: number): string {
  return index === undefined ? `${type}.${name}` : `${type}.${name}[${index}]`;
}

export interface ParsedAddress {
  type: string;
  name: string;
  index?: number;
}

/** Parse `TYPE.NAME` or `TYPE.NAME[N]`; undefined when it is not a resource address. */
export function parseAddress(address: string): ParsedAddress | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[(\d+)\])?$/.exec(address);
  if (!m) return undefined;
  return m[3] === undefined
    ? { type: m[1]!, name: m[2]! }
    : { type: m[1]!, name: m[2]!, index: Number(m[3]) };
}

export type RefRoot =
  | { kind: 'var'; name: string; key: string }
  | { kind: 'local'; name: string; key: string }
  | { kind: 'count' }
  | { kind: 'resource'; type: string; name: string; key: string; index?: number | 'count.index' }
  | { kind: 'other'; text: string };

/** The root object a traversal reads, for graph edges. `key` is the graph node id. */
export function refRoot(ref: string): RefRoot {
  const parts = ref.split('.');
  const head = parts[0] ?? '';
  if (head === 'var' && parts[1]) {
    const name = parts[1].replace(/\[.*$/, '');
    return { kind: 'var', name, key: `var.${name}` };
  }
  if (head === 'local' && parts[1]) {
    const name = parts[1].replace(/\[.*$/, '');
    return { kind: 'local', name, key: `local.${name}` };
  }
  if (head === 'count') return { kind: 'count' };
  // Match on the whole text: an index may itself contain a dot (`k[count.index].arn`).
  const m = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[\s*([^\]]+?)\s*\])?/.exec(
    ref,
  );
  if (m) {
    const idx = m[3];
    const root: RefRoot = { kind: 'resource', type: m[1]!, name: m[2]!, key: `${m[1]}.${m[2]}` };
    if (idx !== undefined && /^\d+$/.test(idx)) root.index = Number(idx);
    else if (idx === 'count.index') root.index = 'count.index';
    return root;
  }
  return { kind: 'other', text: ref };
}
