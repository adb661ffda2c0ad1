import { describe, expect, it } from 'vitest';
import type { Config, Expr, ResourceBlock } from '../../src/engine/config/types.js';
import { buildGraph, resourceDependencies } from '../../src/engine/graph.js';
import { parseAddress } from '../../src/model/address.js';
import { parseReference, referenceKey } from '../../src/model/reference.js';

const pos = (line: number) => ({ file: 'main.tf', line });
const expr = (refs: string[], line = 1): Expr => ({
  refs,
  references: refs.map((r) => parseReference(r)!),
  instanceReferences: () => refs.map((r) => parseReference(r)!),
  pos: pos(line),
  text: refs.join(' '),
  evaluate: () => null,
});
const res = (
  address: string,
  refs: string[],
  line: number,
  dependsOn: string[] = [],
): ResourceBlock => {
  const [type, name] = address.split('.') as [string, string];
  return {
    type,
    name,
    address,
    attributes: { x: expr(refs, line + 1) },
    dependsOn,
    lifecycle: { preventDestroy: false, createBeforeDestroy: false, ignoreChanges: [] },
    pos: pos(line),
  };
};
const config = (resources: ResourceBlock[], locals: Config['locals'] = []): Config => ({
  dir: '/x',
  files: ['main.tf'],
  resources,
  variables: [],
  locals,
  outputs: [],
  backend: { type: 'local', path: 'terraform.tfstate' },
});

describe('graph', () => {
  it('orders dependencies first, through locals, and records resource dependencies', () => {
    const c = config(
      [
        res('t.b', ['local.k', 'var.v'], 5),
        res('t.a', [], 1),
        res('t.c', ['t.b.id', 't.a[0].id'], 9, ['t.a']),
      ],
      [{ name: 'k', value: expr(['t.a.arn'], 20), pos: pos(20) }],
    );
    const { graph, diagnostics } = buildGraph(c);
    expect(diagnostics).toEqual([]);
    const order = graph.order;
    expect(order.indexOf('t.a')).toBeLessThan(order.indexOf('local.k'));
    expect(order.indexOf('local.k')).toBeLessThan(order.indexOf('t.b'));
    expect(order.indexOf('t.b')).toBeLessThan(order.indexOf('t.c'));
    expect(resourceDependencies(graph, 't.b')).toEqual(['t.a']);
    expect(resourceDependencies(graph, 't.c')).toEqual(['t.a', 't.b']);
  });

  it('reports each cycle once, walking the loop in order with file:line of every member', () => {
    const c = config([
      res('t.a', ['t.c.id'], 1),
      res('t.b', ['t.a.id'], 5),
      res('t.c', ['t.b.id'], 9),
      res('t.self', ['t.self.id'], 13),
      res('t.free', [], 17),
    ]);
    const { graph, diagnostics } = buildGraph(c);
    expect(diagnostics.map((d) => d.code)).toEqual(['CONFIG_CYCLE', 'CONFIG_CYCLE']);
    const loop = diagnostics.find((d) => d.summary.includes('t.b'))!;
    expect(loop.summary).toMatch(/^Cycle: t\.\w → t\.\w → t\.\w → t\.\w$/);
    for (const [id, line] of [
      ['t.a', 1],
      ['t.b', 5],
      ['t.c', 9],
    ] as const) {
      expect(loop.detail).toContain(`${id} (main.tf:${line})`);
    }
    expect(diagnostics.some((d) => d.summary === 'Cycle: t.self → t.self')).toBe(true);
    expect(graph.order).toEqual(['t.free']);
  });

  it('handles 10,000 chained nodes without recursion limits', () => {
    const rs = Array.from({ length: 10_000 }, (_, i) =>
      res(`t.n${i}`, i ? [`t.n${i - 1}.id`] : [], i + 1),
    );
    const { graph, diagnostics } = buildGraph(config(rs));
    expect(diagnostics).toEqual([]);
    expect(graph.order[0]).toBe('t.n0');
    expect(graph.order[9999]).toBe('t.n9999');
  });
});

describe('addresses', () => {
  it('parses instance addresses and reference roots', () => {
    expect(parseAddress('cmek_kms_key.k[3]')).toEqual({
      type: 'cmek_kms_key',
      name: 'k',
      index: 3,
    });
    expect(parseAddress('cmek_kms_key.k')).toEqual({ type: 'cmek_kms_key', name: 'k' });
    expect(parseAddress('nope')).toBeUndefined();
    expect(parseReference('cmek_kms_key.k[count.index].arn')).toEqual({
      kind: 'resource',
      resource: { type: 'cmek_kms_key', name: 'k' },
      index: 'count.index',
      attribute: 'arn',
    });
    expect(referenceKey(parseReference('cmek_kms_key.k[2]')!)).toBe('cmek_kms_key.k');
    expect(parseReference('var.region')).toEqual({ kind: 'var', name: 'region' });
    expect(referenceKey(parseReference('local.x[0]')!)).toBe('local.x');
    expect(parseReference('count.index')).toEqual({ kind: 'count' });
    expect(parseReference('nope')).toBeUndefined();
  });
});
