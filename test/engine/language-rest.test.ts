// Unit tests of the smaller language pieces (docs/configuration.md, docs/cli/import.md): the
// loader's reading of count / for_each on data blocks and of import blocks with for_each, the
// expansion of import for_each, data-source state instances, and saved plans that still say
// movedFromIndex. The same behaviours run through the real CLI in test/e2e/language-rest.test.ts.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/engine/config/index.js';
import { expandImports } from '../../src/engine/import.js';
import { parsePlan, serializePlan } from '../../src/engine/planfile.js';
import { emptyState, setDataInstances } from '../../src/engine/state.js';
import { apply, plan } from '../../src/engine/index.js';
import { makeWorld, workdir, write } from './fake.js';

describe('loader: data blocks with count / for_each', () => {
  it('keeps count and for_each; both at once is an error at for_each', async () => {
    const dir = workdir({
      'main.tf':
        'data "cmek_kms_key" "a" {\n  count  = 2\n  key_id = "alias/${count.index}"\n}\n' +
        'data "cmek_kms_key" "b" {\n  for_each = toset(["x"])\n  key_id   = each.key\n}\n' +
        'data "cmek_kms_key" "c" {\n  count    = 1\n  for_each = {}\n  key_id   = "k"\n}\n',
    });
    const { config, diagnostics } = await loadConfig(dir);
    const [a, b, c] = config.dataSources!;
    expect(a!.count?.text).toBe('2');
    expect(b!.forEach?.text).toBe('toset(["x"])');
    expect(c!.forEach).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.summary, d.line])).toEqual([
      ['CONFIG_SCHEMA', 'Invalid combination of "count" and "for_each"', 11],
    ]);
  });

  it('count.index and each.* are references errors without the meta-argument', async () => {
    const dir = workdir({
      'main.tf':
        'data "cmek_kms_key" "a" {\n  key_id = "alias/${count.index}"\n}\n' +
        'data "cmek_kms_key" "b" {\n  key_id = each.key\n}\n',
    });
    const { diagnostics } = await loadConfig(dir);
    expect(diagnostics.map((d) => [d.code, d.address, d.line])).toEqual([
      ['CONFIG_REFERENCE', 'data.cmek_kms_key.a', 2],
      ['CONFIG_REFERENCE', 'data.cmek_kms_key.b', 5],
    ]);
  });
});

describe('import blocks with for_each', () => {
  const load = async (importBody: string) => {
    const dir = workdir({
      'main.tf':
        `variable "m" {\n  default = { a = "id-a", b = "id-b" }\n}\nimport {\n${importBody}\n}\n` +
        'resource "cmek_kms_key" "k" {\n  for_each = var.m\n  region = "eu-west-1"\n}\n',
    });
    return loadConfig(dir);
  };
  const vars = { m: { a: 'id-a', b: 'id-b' } };

  it('reads the target key as an expression and expands one import per element', async () => {
    const { config, diagnostics } = await load(
      '  for_each = var.m\n  to = cmek_kms_key.k[each.key]\n  id = each.value',
    );
    expect(diagnostics).toEqual([]);
    const imp = config.imports![0]!;
    expect([imp.toBlock, imp.toKey?.text]).toEqual(['cmek_kms_key.k', 'each.key']);
    const r = expandImports(config, vars);
    expect(r.diagnostics).toEqual([]);
    expect(r.items.map((i) => [i.to, i.each?.value])).toEqual([
      ['cmek_kms_key.k["a"]', 'id-a'],
      ['cmek_kms_key.k["b"]', 'id-b'],
    ]);
  });

  it('a template key, a literal key (duplicates) and a for_each of the wrong type', async () => {
    const tmpl = await load(
      '  for_each = var.m\n  to = cmek_kms_key.k["k-${each.key}"]\n  id = "x"',
    );
    expect(expandImports(tmpl.config, vars).items.map((i) => i.to)).toEqual([
      'cmek_kms_key.k["k-a"]',
      'cmek_kms_key.k["k-b"]',
    ]);
    const lit = await load('  for_each = var.m\n  to = cmek_kms_key.k["a"]\n  id = each.value');
    const dup = expandImports(lit.config, vars);
    expect(dup.items).toHaveLength(1);
    expect(dup.diagnostics.map((d) => d.summary)).toEqual([
      'Duplicate import configuration for "cmek_kms_key.k["a"]"',
    ]);
    const num = await load('  for_each = 3\n  to = cmek_kms_key.k[each.key]\n  id = "x"');
    const bad = expandImports(num.config, vars);
    expect(bad.items).toEqual([]);
    expect(bad.diagnostics.map((d) => [d.code, d.summary])).toEqual([
      ['CONFIG_SCHEMA', 'Invalid for_each argument'],
    ]);
  });

  it('for_each and id may read locals made of variables, not of resources', async () => {
    const dir = workdir({
      'main.tf':
        'variable "m" {\n  default = { a = "id-a" }\n}\n' +
        'locals {\n  ids = { for k, v in var.m : k => upper(v) }\n  arn = cmek_kms_key.k["a"].arn\n}\n' +
        'import {\n  for_each = local.ids\n  to = cmek_kms_key.k[each.key]\n  id = "${each.value}-${path.module}"\n}\n' +
        'import {\n  for_each = { x = local.arn }\n  to = cmek_kms_key.k[each.key]\n  id = each.value\n}\n' +
        'resource "cmek_kms_key" "k" {\n  for_each = var.m\n  region = "eu-west-1"\n}\n',
    });
    const { config, diagnostics } = await loadConfig(dir);
    expect(diagnostics).toEqual([]);
    const r = expandImports(config, { m: { a: 'id-a' } });
    expect(r.items.map((i) => [i.to, i.each?.value])).toEqual([['cmek_kms_key.k["a"]', 'ID-A']]);
    expect(r.diagnostics.map((d) => [d.summary, d.detail.split(':')[0]])).toEqual([
      [
        'Invalid import for_each',
        'The import block "for_each" argument depends on cmek_kms_key.k["a"].arn',
      ],
    ]);
  });

  it('a key expression without for_each is not an address', async () => {
    const { diagnostics } = await load('  to = cmek_kms_key.k[each.key]\n  id = "x"');
    expect(diagnostics.map((d) => d.summary)).toEqual(['Invalid import address']);
  });
});

describe('data source state instances', () => {
  it('one resource per block, instances in key order with index_key and each', () => {
    const state = emptyState();
    setDataInstances(state, 'cmek_kms_key', 'd', [
      { index: 'b', attributes: { id: '2' } },
      { index: 'a', attributes: { id: '1' } },
    ]);
    setDataInstances(state, 'cmek_kms_key', 'one', [{ attributes: { id: '3' } }]);
    expect(
      state.resources.map((r) => [r.name, r.each, r.instances.map((i) => i.index_key)]),
    ).toEqual([
      ['d', 'map', ['a', 'b']],
      ['one', undefined, [undefined]],
    ]);
    setDataInstances(state, 'cmek_kms_key', 'd', []);
    expect(state.resources.map((r) => r.name)).toEqual(['one']);
  });
});

describe('saved plans with movedFromIndex', () => {
  it('are read as movedFrom, and apply re-keys the object', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': 'resource "fake_thing" "t" {\n  name = "t"\n}\n' });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': 'resource "fake_thing" "t" {\n  count = 1\n  name  = "t"\n}\n' });
    const p = await plan({ dir, deps: w.deps });
    // The shape an older cmek wrote.
    const old = JSON.parse(serializePlan(p)) as { changes: Array<Record<string, unknown>> };
    for (const c of old.changes) {
      delete c.movedFrom;
      c.movedFromIndex = null;
    }
    const read = parsePlan(JSON.stringify(old));
    expect(read.changes.map((c) => [c.address, c.movedFrom, 'movedFromIndex' in c])).toEqual([
      ['fake_thing.t[0]', 'fake_thing.t', false],
    ]);
    await apply(read, { dir, deps: w.deps });
    const again = await plan({ dir, deps: w.deps });
    expect(again.changes.map((c) => [c.address, c.action, c.movedFrom])).toEqual([
      ['fake_thing.t[0]', 'noop', undefined],
    ]);
    expect(w.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
  });
});
