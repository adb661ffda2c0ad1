// Inheritance over the node graph: the key and region a replica, clone, backup or restore
// really ends up with when it does not name its own (docs/rules.md: replicas, clones and backups
// inherit; a restore of an encrypted backup uses the backup's key). Every rule that needs an
// "effective" key or region asks this one place, so inheritance is defined once.

import type { Diagnostic } from '../model/diagnostics.js';
import type { SourcePos } from '../model/position.js';
import { keyTokens, sameKeyInPlan, type Sameness } from './keys.js';
import type { KeyView, NodeView, RuleInput } from './model.js';

/** undefined = not known at plan time; null = known: no key. */
export type EffectiveKey = KeyView | null | undefined;

export interface RuleContext {
  input: RuleInput;
  byAddress: ReadonlyMap<string, NodeView>;
  parentOf(node: NodeView): NodeView | undefined;
  /** The key the node uses after the plan (for a destroyed node: the key it used). */
  keyAfter(node: NodeView): EffectiveKey;
  /** The key the node used before the plan (existing nodes). */
  keyBefore(node: NodeView): EffectiveKey;
  /** The node's region, or for clones/backups/restores without one, its parent's. */
  regionOf(node: NodeView): string | undefined;
  /** Key comparison that knows which keys this plan creates (see sameKeyInPlan). */
  sameKey(a: KeyView, b: KeyView): Sameness;
  /** Live nodes whose key after (or before) the plan is the same key as `k`, in input order.
   * Indexed, so checking every key and policy of a large plan stays linear. */
  nodesUsing(k: KeyView, when: 'after' | 'before'): NodeView[];
}

/** Whether the configuration writes a key on this node (vs inheriting or leaving it out). */
export function keyIsWritten(node: NodeView): boolean {
  return node.keyWritten ?? (node.key !== null && node.key !== undefined);
}

export function isLive(node: NodeView): boolean {
  return node.action !== 'delete';
}

export function buildContext(input: RuleInput): RuleContext {
  const byAddress = new Map<string, NodeView>();
  // First one wins: duplicate addresses are a caller bug, but rules must not throw on them.
  for (const n of input.nodes) if (!byAddress.has(n.address)) byAddress.set(n.address, n);

  const parentOf = (node: NodeView): NodeView | undefined => {
    if (node.kind === 'service' || node.parent === undefined) return undefined;
    const p = byAddress.get(node.parent);
    return p === node ? undefined : p;
  };

  // Parent chains come from user input, so guard against cycles (a ← b ← a) with a visited set.
  const walk = <T>(
    node: NodeView,
    own: (n: NodeView) => T | 'inherit',
    seen = new Set<NodeView>(),
  ): T | undefined => {
    if (seen.has(node)) return undefined;
    seen.add(node);
    const v = own(node);
    if (v !== 'inherit') return v;
    const p = parentOf(node);
    return p ? walk(p, own, seen) : undefined;
  };

  const ownAfter = (n: NodeView): EffectiveKey | 'inherit' => {
    if (n.action === 'delete') return ownBefore(n);
    if (n.kind === 'service') return n.key;
    if (keyIsWritten(n)) return n.key;
    // Not written: a known key on the view is the node's known effective key (a backup's
    // computed kms_key, an effective_kms_key from state); otherwise inherit.
    return n.key ? n.key : 'inherit';
  };
  const ownBefore = (n: NodeView): EffectiveKey | 'inherit' => {
    if (n.action === 'create') return undefined;
    if (n.kind === 'service') return n.priorKey;
    return n.priorKey ? n.priorKey : 'inherit';
  };

  const created = new Set(input.keys.filter((k) => k.action === 'create').map((k) => k.address));
  const sameKey = (a: KeyView, b: KeyView) => sameKeyInPlan(a, b, created);

  const memo = <T>(f: (n: NodeView) => T): ((n: NodeView) => T) => {
    const cache = new Map<NodeView, T>();
    return (n) => {
      if (cache.has(n)) return cache.get(n)!;
      const v = f(n);
      cache.set(n, v);
      return v;
    };
  };
  const keyAfter = memo((node) => walk(node, ownAfter));
  const keyBefore = memo((node) => walk(node, ownBefore));
  const regionOf = memo((node) =>
    walk<string | undefined>(node, (n) =>
      n.region !== undefined ? n.region : n.kind === 'replica' ? undefined : 'inherit',
    ),
  );

  const order = new Map<NodeView, number>();
  input.nodes.forEach((n, i) => order.set(n, i));
  const indexes: Partial<Record<'after' | 'before', Map<string, NodeView[]>>> = {};
  const indexFor = (when: 'after' | 'before'): Map<string, NodeView[]> => {
    let idx = indexes[when];
    if (idx) return idx;
    idx = new Map();
    for (const n of input.nodes) {
      if (!isLive(n)) continue;
      const k = when === 'after' ? keyAfter(n) : keyBefore(n);
      if (!k) continue;
      for (const t of keyTokens(k)) {
        const list = idx.get(t);
        if (list) list.push(n);
        else idx.set(t, [n]);
      }
    }
    indexes[when] = idx;
    return idx;
  };
  const nodesUsing = (k: KeyView, when: 'after' | 'before'): NodeView[] => {
    const idx = indexFor(when);
    const found = new Set<NodeView>();
    for (const t of keyTokens(k)) for (const n of idx.get(t) ?? []) found.add(n);
    return [...found]
      .filter((n) => {
        const used = when === 'after' ? keyAfter(n) : keyBefore(n);
        return !!used && sameKey(k, used) === 'same';
      })
      .sort((a, b) => order.get(a)! - order.get(b)!);
  };

  return {
    input,
    byAddress,
    sameKey,
    parentOf,
    keyAfter,
    keyBefore,
    regionOf,
    nodesUsing,
  };
}

/** `file`, `line` and, when the parser knows them, the column and end of the range, for a
 * diagnostic on this attribute of a node (the attribute's own range, else the block's). */
export function where(
  node: { address: string; pos?: SourcePos; attrPos?: Record<string, SourcePos> },
  attribute: string | undefined,
): Pick<
  Diagnostic,
  'address' | 'attribute' | 'file' | 'line' | 'column' | 'endLine' | 'endColumn'
> {
  const pos = (attribute !== undefined ? node.attrPos?.[attribute] : undefined) ?? node.pos;
  const out: ReturnType<typeof where> = { address: node.address };
  if (attribute !== undefined) out.attribute = attribute;
  if (pos) {
    out.file = pos.file;
    out.line = pos.line;
    if (pos.column !== undefined) out.column = pos.column;
    if (pos.endLine !== undefined) out.endLine = pos.endLine;
    if (pos.endColumn !== undefined) out.endColumn = pos.endColumn;
  }
  return out;
}

export function keyAttr(node: NodeView): string {
  return node.keyAttribute ?? 'kms_key';
}
