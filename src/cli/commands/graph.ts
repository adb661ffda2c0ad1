// `cmek graph`: the resources of the configuration and what each depends on, in DOT (Graphviz),
// the shape `terraform graph` prints: one node per resource block, an edge A -> B when A reads
// B, directly or through locals. The graph is the engine's (the one plan walks).
import type { Command } from 'commander';
import { defaultDeps } from '../../engine/defaults.js';
import {
  buildGraph,
  expandModules,
  openWorkspace,
  resolveSettings,
  type Graph,
} from '../../engine/index.js';
import { hasErrors } from '../../model/diagnostics.js';
import { finish, runVerb } from './engine-cli.js';

/** Resource-to-resource edges, looking through locals (and outputs, which nothing reads). */
export function resourceEdges(graph: Graph): Array<[string, string]> {
  const edges: Array<[string, string]> = [];
  const reach = (id: string, seen: Set<string>, out: Set<string>) => {
    for (const d of graph.nodes.get(id)?.deps ?? []) {
      if (seen.has(d)) continue;
      seen.add(d);
      if (graph.nodes.get(d)?.kind === 'resource') out.add(d);
      else reach(d, seen, out);
    }
  };
  for (const node of graph.nodes.values()) {
    if (node.kind !== 'resource') continue;
    const out = new Set<string>();
    reach(node.id, new Set([node.id]), out);
    for (const d of [...out].sort()) edges.push([node.id, d]);
  }
  return edges;
}

export function renderDot(graph: Graph): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    'digraph G {',
    '  rankdir = "RL";',
    '  node [shape = rect, fontname = "sans-serif"];',
  ];
  const resources = [...graph.nodes.values()].filter((n) => n.kind === 'resource');
  for (const n of resources.map((r) => r.id).sort()) lines.push(`  ${q(n)} [label=${q(n)}];`);
  for (const [a, b] of resourceEdges(graph)) lines.push(`  ${q(a)} -> ${q(b)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('graph')
    .description('Print the dependency graph of the resources in DOT (for Graphviz)')
    .action(() =>
      runVerb(async () => {
        const ws = await openWorkspace();
        if (hasErrors(ws.diagnostics)) return finish(ws.diagnostics);
        if (ws.config.modules?.length) {
          // MODULES: the resources of module instances (their count / for_each read variables).
          const s = await resolveSettings(ws, defaultDeps, {});
          const expanded = [...s.diagnostics, ...expandModules(ws.config, s.variables)];
          if (hasErrors(expanded)) return finish(expanded);
        }
        const { graph, diagnostics } = buildGraph(ws.config);
        if (!hasErrors(diagnostics)) process.stdout.write(renderDot(graph));
        finish([...ws.diagnostics, ...diagnostics]);
      }),
    );
}
