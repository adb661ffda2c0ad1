// for_each on resources through the real loader, planner, apply and state (with the fake
// resource types of fake.ts): instances keyed by string, each.key / each.value, the state
// layout terraform writes (`index_key` string, `each: "map"`), references to one instance and to
// the whole map, terraform's errors, and count ↔ for_each changes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, plan, renderPlanText, type PlannedChange } from '../../src/engine/index.js';
import { setTainted, stateMv } from '../../src/engine/state-edit.js';
import { stateRm } from '../../src/engine/index.js';
import { Unknown } from '../../src/model/values.js';
import { makeWorld, workdir, write } from './fake.js';

const rows = (changes: PlannedChange[]) =>
  changes.map((c) => [c.address, c.action, c.actionReason ?? null]);

const KEYS = (regions: string) => `
variable "regions" {
  default = ${regions}
}
resource "fake_key" "k" {
  for_each = var.regions
  region   = each.value
}
resource "fake_thing" "t" {
  for_each = var.regions
  name     = "db-\${each.key}"
  key      = fake_key.k[each.key].arn
}
output "arns" {
  value = { for_each_keys = keys(fake_key.k), one = fake_key.k["eu"].region }
}
`;

describe('for_each', () => {
  it('plans, applies and records map instances with each.key / each.value', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': KEYS('{ eu = "eu-west-1", us = "us-east-1" }') });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.index, c.after!.region ?? c.after!.name])).toEqual([
      ['fake_key.k["eu"]', 'eu', 'eu-west-1'],
      ['fake_key.k["us"]', 'us', 'us-east-1'],
      ['fake_thing.t["eu"]', 'eu', 'db-eu'],
      ['fake_thing.t["us"]', 'us', 'db-us'],
    ]);
    // fake_key.k[each.key].arn reads the instance with the same key: its facts reach the rules.
    const t = p.changes.find((c) => c.address === 'fake_thing.t["us"]')!;
    expect((t.after!.key as Unknown).facts).toMatchObject({
      region: 'us-east-1',
      address: 'fake_key.k["us"]',
    });
    const seen = w.ruleChanges.at(-1)!;
    expect(seen.find((c) => c.address === 'fake_thing.t["eu"]')!.refs).toEqual({
      key: 'fake_key.k["eu"]',
    });
    expect(renderPlanText(p)).toContain('# fake_key.k["eu"] will be created');
    expect(p.outputChanges.arns!.after).toMatchObject({
      for_each_keys: ['eu', 'us'],
      one: 'eu-west-1',
    });

    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    const key = state.resources.find((x: { type: string }) => x.type === 'fake_key');
    expect(key.each).toBe('map');
    expect(key.instances.map((i: { index_key: unknown }) => i.index_key)).toEqual(['eu', 'us']);
    const thing = state.resources.find((x: { type: string }) => x.type === 'fake_thing');
    // Applied with each.key and each.value re-evaluated: the key ARN of the same region.
    const euKey = key.instances[0].attributes.arn;
    expect(thing.instances[0].attributes).toMatchObject({ name: 'db-eu', key: euKey });
    expect(state.outputs.arns.value).toEqual({ for_each_keys: ['eu', 'us'], one: 'eu-west-1' });

    const again = await plan({ dir, deps: w.deps });
    expect(again.changes.every((c) => c.action === 'noop')).toBe(true);
  });

  it('a key leaving the map is destroyed with delete_because_each_key', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': KEYS('{ eu = "eu-west-1", us = "us-east-1" }') });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': KEYS('{ eu = "eu-west-1" }').replace(/, one = [^}]*/, '') });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(rows(p.changes.filter((c) => c.action !== 'noop'))).toEqual([
      ['fake_key.k["us"]', 'delete', 'delete_because_each_key'],
      ['fake_thing.t["us"]', 'delete', 'delete_because_each_key'],
    ]);
    expect(renderPlanText(p)).toContain('# (because key ["us"] is not in for_each map)');
  });

  it('a set of strings: each.value is each.key, duplicates collapse', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `resource "fake_thing" "t" {
  for_each = toset(["b", "a", "b"])
  name     = "\${each.key}-\${each.value}"
}`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.after!.name])).toEqual([
      ['fake_thing.t["a"]', 'a-a'],
      ['fake_thing.t["b"]', 'b-b'],
    ]);
  });

  it("reports terraform's for_each errors at the for_each line", async () => {
    const w = makeWorld();
    const cases: Array<[string, string, string]> = [
      ['null', 'CONFIG_SCHEMA', 'argument value is null'],
      ['["a", 1]', 'CONFIG_SCHEMA', 'set containing type number'],
      ['["a", null]', 'CONFIG_SCHEMA', 'must not contain null values'],
      ['"a"', 'CONFIG_SCHEMA', 'provided a value of type string'],
      ['sensitive({ a = "x" })', 'CONFIG_SCHEMA', 'Sensitive values'],
      ['{ (fake_key.k.arn) = 1 }', 'CONFIG_UNSUPPORTED', 'cannot be determined until apply'],
    ];
    for (const [value, code, text] of cases) {
      const dir = workdir({
        'main.tf': `resource "fake_key" "k" {
  region = "eu-west-1"
}
resource "fake_thing" "t" {
  for_each = ${value}
  name     = "x"
}`,
      });
      const p = await plan({ dir, deps: w.deps });
      const d = p.diagnostics.find((x) => x.attribute === 'for_each');
      expect(d, value).toMatchObject({
        code,
        summary: 'Invalid for_each argument',
        address: 'fake_thing.t',
        file: 'main.tf',
        line: 5,
      });
      expect(d!.detail, value).toContain(text);
    }
  });

  it('rejects count with for_each, and each.* outside for_each', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `resource "fake_thing" "t" {
  count    = 1
  for_each = toset(["a"])
  name     = "x"
}
resource "fake_thing" "u" {
  name = each.key
}`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics.map((d) => [d.code, d.summary, d.line])).toEqual(
      expect.arrayContaining([
        ['CONFIG_SCHEMA', 'Invalid combination of "count" and "for_each"', 3],
        ['CONFIG_REFERENCE', 'Reference to "each" in context without for_each', 7],
      ]),
    );
  });

  it('count ↔ for_each: the old instances are destroyed as terraform plans it', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': 'resource "fake_thing" "t" {\n  count = 1\n  name  = "t"\n}\n',
    });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, {
      'main.tf': 'resource "fake_thing" "t" {\n  for_each = toset(["a"])\n  name = "t"\n}\n',
    });
    const p = await plan({ dir, deps: w.deps });
    expect(rows(p.changes)).toEqual([
      ['fake_thing.t["a"]', 'create', null],
      ['fake_thing.t[0]', 'delete', 'delete_because_wrong_repetition'],
    ]);
    expect(renderPlanText(p)).toContain('# (because resource does not use count)');
    await apply(p, { dir, deps: w.deps });
    write(dir, { 'main.tf': 'resource "fake_thing" "t" {\n  name = "t"\n}\n' });
    const back = await plan({ dir, deps: w.deps });
    expect(rows(back.changes)).toEqual([
      ['fake_thing.t', 'create', null],
      ['fake_thing.t["a"]', 'delete', 'delete_because_wrong_repetition'],
    ]);
    expect(renderPlanText(back)).toContain('# (because resource does not use for_each)');
  });

  it('-target, -replace, taint, state mv and state rm take string-key addresses', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': KEYS('{ eu = "eu-west-1", us = "us-east-1" }') });
    const targeted = await plan({ dir, deps: w.deps, targets: ['fake_thing.t["us"]'] });
    expect(targeted.changes.map((c) => c.address)).toEqual([
      'fake_key.k["eu"]',
      'fake_key.k["us"]',
      'fake_thing.t["us"]',
    ]);
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const replaced = await plan({ dir, deps: w.deps, replace: ['fake_key.k[ "us" ]'] });
    expect(replaced.diagnostics).toEqual([]);
    expect(rows(replaced.changes).find((r) => r[1] === 'replace')).toEqual([
      'fake_key.k["us"]',
      'replace',
      'replace_by_request',
    ]);
    const bad = await plan({ dir, deps: w.deps, targets: ['fake_key.k[us]'] });
    expect(bad.diagnostics[0]).toMatchObject({ code: 'USAGE' });
    expect(bad.diagnostics[0]!.detail).toContain('quoted string');

    expect((await setTainted('fake_thing.t["eu"]', true, { dir, deps: w.deps })).result).toBe(true);
    const tainted = await plan({ dir, deps: w.deps });
    expect(rows(tainted.changes).find((r) => r[0] === 'fake_thing.t["eu"]')).toEqual([
      'fake_thing.t["eu"]',
      'replace',
      'replace_because_tainted',
    ]);
    const mv = await stateMv('fake_thing.t["eu"]', 'fake_thing.t["de"]', { dir, deps: w.deps });
    expect(mv.diagnostics).toEqual([]);
    expect(mv.result).toEqual(['fake_thing.t["eu"] -> fake_thing.t["de"]']);
    const wrongKind = await stateMv('fake_thing.t["de"]', 'fake_thing.t[0]', { dir, deps: w.deps });
    expect(wrongKind.diagnostics[0]!.summary).toContain('has for_each');
    const rm = await stateRm(['fake_thing.t'], { dir, deps: w.deps });
    expect(rm.removed).toEqual(['fake_thing.t["de"]', 'fake_thing.t["us"]']);
  });
});
