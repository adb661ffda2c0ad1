// The dependency graph of a configuration: locals, resource blocks and outputs are nodes; the
// references their expressions read (`Expr.references`) and `depends_on` are edges. Variables are
// resolved before the graph is walked, so they are leaves and not nodes. A cycle is a
// CONFIG_CYCLE diagnostic naming every member of the loop with its file:line.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import type { Condition, Config, Expr, SourcePos } from './config/types.js';
import { parseReference, referenceKey, type Reference } from '../model/reference.js';

export type NodeKind = 'local' | 'resource' | 'output' | 'data';

export interface GraphNode {
  /** `local.NAME`, `TYPE.NAME`, `data.TYPE.NAME` or `output.NAME`. */
  id: string;
  kind: NodeKind;
  pos: SourcePos;
  /** Ids of nodes this one reads. */
  deps: Set<string>;
}

export interface Graph {
  nodes: Map<string, GraphNode>;
  /** Topological order (dependencies first), ties broken by declaration order. Nodes on a cycle
   * are left out. */
  order: string[];
}

function conditionExprs(list: readonly Condition[] | undefined): Expr[] {
  return (list ?? []).flatMap((c) => [c.condition, c.errorMessage]);
}

function exprRefs(exprs: Iterable<Expr | undefined>): Reference[] {
  const out: Reference[] = [];
  for (const e of exprs) if (e) out.push(...e.references);
  return out;
}

export function buildGraph(config: Config): { graph: Graph; diagnostics: Diagnostic[] } {
  const nodes = new Map<string, GraphNode>();
  const pending: Array<[GraphNode, Reference[], string[]]> = [];
  const add = (
    id: string,
    kind: NodeKind,
    pos: SourcePos,
    refs: Reference[],
    dependsOn: string[],
  ) => {
    const node: GraphNode = { id, kind, pos, deps: new Set() };
    nodes.set(id, node);
    pending.push([node, refs, dependsOn]);
  };
  for (const l of config.locals)
    add(`local.${l.name}`, 'local', l.pos, [...l.value.references], []);
  for (const r of config.resources) {
    add(
      r.address,
      'resource',
      r.pos,
      exprRefs([
        ...Object.values(r.attributes),
        r.count,
        r.forEach,
        ...conditionExprs(r.lifecycle.preconditions),
        ...conditionExprs(r.lifecycle.postconditions),
        ...(r.lifecycle.replaceTriggeredBy ?? []),
      ]),
      r.dependsOn,
    );
  }
  // Data sources (docs/configuration.md): read when what they read is known.
  for (const d of config.dataSources ?? [])
    add(
      d.address,
      'data',
      d.pos,
      exprRefs([
        ...Object.values(d.attributes),
        d.count,
        d.forEach,
        ...conditionExprs(d.preconditions),
        ...conditionExprs(d.postconditions),
      ]),
      d.dependsOn,
    );
  for (const o of config.outputs)
    add(
      `output.${o.name}`,
      'output',
      o.pos,
      exprRefs([o.value, ...conditionExprs(o.preconditions)]),
      o.dependsOn,
    );

  for (const [node, refs, dependsOn] of pending) {
    for (const ref of refs) {
      // MODULES: `module.NAME` in the root module is the local of that name (expand.ts).
      if (ref.kind === 'module') {
        const key = `local.module.${ref.name}`;
        if (nodes.has(key)) node.deps.add(key);
        continue;
      }
      if (ref.kind !== 'local' && ref.kind !== 'resource' && ref.kind !== 'other') continue;
      const key = referenceKey(ref)!;
      if (nodes.has(key)) node.deps.add(key);
    }
    // depends_on names a resource (TYPE.NAME, or its full address in a module instance);
    // unknown names are reported by the planner.
    for (const d of dependsOn) {
      if (nodes.has(d)) {
        node.deps.add(d);
        continue;
      }
      const ref = parseReference(d);
      if (ref?.kind === 'resource' && nodes.has(referenceKey(ref)!))
        node.deps.add(referenceKey(ref)!);
    }
  }

  const diagnostics = findCycles(nodes);
  const cyclic = new Set<string>();
  for (const d of diagnostics)
    for (const id of (d as CycleDiagnostic).members ?? []) cyclic.add(id);
  for (const d of diagnostics) delete (d as CycleDiagnostic).members;
  return { graph: { nodes, order: topoOrder(nodes, cyclic) }, diagnostics };
}

interface CycleDiagnostic extends Diagnostic {
  members?: string[];
}

/** Tarjan's strongly connected components: every component with more than one node (or a node
 * reading itself) is a loop. */
function findCycles(nodes: Map<string, GraphNode>): Diagnostic[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: CycleDiagnostic[] = [];

  // Iterative to survive 10k-node configurations without blowing the call stack.
  for (const start of nodes.keys()) {
    if (index.has(start)) continue;
    const work: Array<[string, string[]]> = [];
    const visit = (id: string) => {
      index.set(id, counter);
      low.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      work.push([id, [...nodes.get(id)!.deps]]);
    };
    visit(start);
    while (work.length) {
      const top = work[work.length - 1]!;
      const [id, rest] = top;
      const next = rest.shift();
      if (next !== undefined) {
        if (!index.has(next)) visit(next);
        else if (onStack.has(next)) low.set(id, Math.min(low.get(id)!, index.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0])!, low.get(id)!));
      if (low.get(id) === index.get(id)) {
        const comp: string[] = [];
        for (;;) {
          const x = stack.pop()!;
          onStack.delete(x);
          comp.push(x);
          if (x === id) break;
        }
        const selfLoop = comp.length === 1 && nodes.get(id)!.deps.has(id);
        if (comp.length > 1 || selfLoop) out.push(cycleDiagnostic(nodes, comp.reverse()));
      }
    }
  }
  return out;
}

function cycleDiagnostic(nodes: Map<string, GraphNode>, comp: string[]): CycleDiagnostic {
  // Walk the loop in edge order so the message reads "a → b → c → a".
  const inComp = new Set(comp);
  const path: string[] = [comp[0]!];
  const seen = new Set(path);
  for (;;) {
    const cur = nodes.get(path[path.length - 1]!)!;
    const next = [...cur.deps].find((d) => inComp.has(d) && !seen.has(d));
    if (!next) break;
    path.push(next);
    seen.add(next);
  }
  const first = nodes.get(path[0]!)!;
  const where = path.map((id) => {
    const n = nodes.get(id)!;
    return `  ${id} (${n.pos.file}:${n.pos.line})`;
  });
  return {
    ...diag(
      'CONFIG_CYCLE',
      `Cycle: ${[...path, path[0]].join(' → ')}`,
      `These blocks refer to each other, so none can be evaluated first:\n${where.join('\n')}\n` +
        'Break the loop: one of them must not read the others (use a variable or a literal).',
      {
        file: first.pos.file,
        line: first.pos.line,
        ...(first.kind === 'resource' ? { address: first.id } : {}),
      },
    ),
    members: comp,
  };
}

function topoOrder(nodes: Map<string, GraphNode>, skip: Set<string>): string[] {
  const indeg = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, n] of nodes) {
    if (skip.has(id)) continue;
    let k = 0;
    for (const d of n.deps) {
      if (skip.has(d)) {
        k = Infinity;
        break;
      }
      k++;
      let list = dependents.get(d);
      if (!list) dependents.set(d, (list = []));
      list.push(id);
    }
    indeg.set(id, k);
  }
  const order: string[] = [];
  const ready = [...indeg].filter(([, k]) => k === 0).map(([id]) => id);
  // Declaration order among ready nodes: a FIFO over the (ordered) map keeps it stable.
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i]!;
    order.push(id);
    for (const dep of dependents.get(id) ?? []) {
      const k = indeg.get(dep)! - 1;
      indeg.set(dep, k);
      if (k === 0) ready.push(dep);
    }
  }
  return order;
}

/** The resource blocks a node reads, directly or through locals (what Terraform records as an
 * instance's `dependencies`). */
export function resourceDependencies(graph: Graph, id: string): string[] {
  const out = new Set<string>();
  const seen = new Set<string>();
  const stack = [...(graph.nodes.get(id)?.deps ?? [])];
  while (stack.length) {
    const d = stack.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    const n = graph.nodes.get(d);
    if (!n) continue;
    if (n.kind === 'resource') out.add(d);
    else stack.push(...n.deps);
  }
  return [...out].sort();
}
