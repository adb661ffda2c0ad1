// Property tests of the dependency graph over random configurations: the order always puts
// dependencies first, every node off a cycle is ordered, and every cycle is reported.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config, ResourceBlock } from '../../src/engine/config/types.js';
import { buildGraph } from '../../src/engine/graph.js';
import { parseReference } from '../../src/model/reference.js';

function configOf(edges: number[][]): Config {
  const resources: ResourceBlock[] = edges.map((deps, i) => ({
    type: 't',
    name: `n${i}`,
    address: `t.n${i}`,
    attributes: {
      x: {
        refs: deps.map((d) => `t.n${d}`),
        references: deps.map((d) => parseReference(`t.n${d}.id`)!),
        instanceReferences: () => deps.map((d) => parseReference(`t.n${d}.id`)!),
        pos: { file: 'main.tf', line: i + 1 },
        text: '',
        evaluate: () => null,
      },
    },
    dependsOn: [],
    lifecycle: { preventDestroy: false, createBeforeDestroy: false, ignoreChanges: [] },
    pos: { file: 'main.tf', line: i + 1 },
  }));
  return {
    dir: '/',
    files: [],
    resources,
    variables: [],
    locals: [],
    outputs: [],
    backend: { type: 'local', path: 'terraform.tfstate' },
  };
}

const graphs = (acyclic: boolean) =>
  fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc
      .array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), {
        minLength: n,
        maxLength: n,
      })
      .map((edges) =>
        // Acyclic: keep only edges to lower indexes.
        acyclic ? edges.map((ds, i) => ds.filter((d) => d < i)) : edges,
      ),
  );

describe('graph properties', () => {
  it('acyclic configurations: no diagnostics, every node ordered after its dependencies', () => {
    fc.assert(
      fc.property(graphs(true), (edges) => {
        const { graph, diagnostics } = buildGraph(configOf(edges));
        expect(diagnostics).toEqual([]);
        expect(graph.order).toHaveLength(edges.length);
        const at = new Map(graph.order.map((id, i) => [id, i]));
        edges.forEach((ds, i) =>
          ds.forEach((d) => expect(at.get(`t.n${d}`)!).toBeLessThan(at.get(`t.n${i}`)!)),
        );
      }),
    );
  });

  it('any configuration: ordered nodes respect dependencies; a node is left out only if it reaches a cycle, which is reported', () => {
    fc.assert(
      fc.property(graphs(false), (edges) => {
        const { graph, diagnostics } = buildGraph(configOf(edges));
        const at = new Map(graph.order.map((id, i) => [id, i]));
        edges.forEach((ds, i) => {
          if (!at.has(`t.n${i}`)) return;
          ds.forEach((d) => expect(at.get(`t.n${d}`)!).toBeLessThan(at.get(`t.n${i}`)!));
        });
        // Reaching a cycle = some path leads back to a node already on the path.
        const reachesCycle = (start: number): boolean => {
          const state = new Map<number, 1 | 2>();
          const visit = (v: number): boolean => {
            state.set(v, 1);
            for (const d of edges[v]!) {
              if (state.get(d) === 1) return true;
              if (!state.has(d) && visit(d)) return true;
            }
            state.set(v, 2);
            return false;
          };
          return visit(start);
        };
        edges.forEach((_, i) => expect(at.has(`t.n${i}`)).toBe(!reachesCycle(i)));
        const anyCycle = edges.some((_, i) => reachesCycle(i));
        expect(diagnostics.length > 0).toBe(anyCycle);
        for (const d of diagnostics) expect(d.code).toBe('CONFIG_CYCLE');
      }),
    );
  });
});
