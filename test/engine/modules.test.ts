// Local modules through the real loader, planner, apply and state (fake resource types):
// instances of calls with count and for_each, nested calls, each instance's own scope
// (variables converted to their type, defaults, locals, path.module, outputs), module values in
// the caller (object / list / map), depends_on on a call, terraform's state layout, module
// -target, moved blocks that rename a call or move a resource into a module, removed blocks
// that forget a call, and state mv of a whole module.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, plan } from '../../src/engine/index.js';
import { stateMv } from '../../src/engine/state-edit.js';
import { makeWorld, workdir, write } from './fake.js';

const project = workdir;
const put = write;

const stateOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')) as {
    resources: Array<{ module?: string; type: string; name: string; instances: unknown[] }>;
    outputs: Record<string, { value: unknown }>;
  };

const THING = `
variable "name" {
  type = string
}
variable "size" {
  type    = number
  default = 1
}
locals {
  full = "\${var.name}-\${var.size}"
}
resource "fake_thing" "t" {
  name = local.full
  size = var.size
  tags = { dir = path.module }
}
output "name" {
  value = fake_thing.t.name
}
output "id" {
  value = fake_thing.t.id
}
`;

describe('module instances and scope', () => {
  it('count, for_each and nested calls: addresses, own scope, values in the caller, state layout', async () => {
    const w = makeWorld();
    const dir = project({
      'main.tf': `
module "one" {
  source = "./modules/thing"
  name   = "solo"
  size   = "3"
}
module "many" {
  source = "./modules/thing"
  count  = 2
  name   = "n\${count.index}"
}
module "by_key" {
  source   = "./modules/thing"
  for_each = { a = 2, b = 4 }
  name     = each.key
  size     = each.value
}
module "outer" {
  source = "./modules/outer"
}
output "all" {
  value = {
    one    = module.one.name
    many   = [for m in module.many : m.name]
    second = module.many[1].name
    keys   = { for k, m in module.by_key : k => m.name }
    b      = module.by_key["b"].name
    nested = module.outer.inner_name
  }
}
`,
      'modules/thing/main.tf': THING,
      'modules/outer/main.tf': `
module "inner" {
  source = "../thing"
  name   = "deep"
}
output "inner_name" {
  value = module.inner.name
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => c.address).sort()).toEqual([
      'module.by_key["a"].fake_thing.t',
      'module.by_key["b"].fake_thing.t',
      'module.many[0].fake_thing.t',
      'module.many[1].fake_thing.t',
      'module.one.fake_thing.t',
      'module.outer.module.inner.fake_thing.t',
    ]);
    const one = p.changes.find((c) => c.address === 'module.one.fake_thing.t')!;
    // "3" converted to the variable's number type; path.module is the module's directory.
    expect(one.after).toMatchObject({ name: 'solo-3', size: 3, tags: { dir: 'modules/thing' } });
    expect(one.module).toBe('module.one');
    const many0 = p.changes.find((c) => c.address === 'module.many[0].fake_thing.t')!;
    expect(many0.after).toMatchObject({ name: 'n0-1', size: 1 }); // the default
    expect(p.outputChanges.all!.after).toEqual({
      one: 'solo-3',
      many: ['n0-1', 'n1-1'],
      second: 'n1-1',
      keys: { a: 'a-2', b: 'b-4' },
      b: 'b-4',
      nested: 'deep-1',
    });

    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const state = stateOf(dir);
    expect(state.resources.map((x) => `${x.module ?? ''} ${x.type}.${x.name}`)).toEqual([
      'module.by_key["a"] fake_thing.t',
      'module.by_key["b"] fake_thing.t',
      'module.many[0] fake_thing.t',
      'module.many[1] fake_thing.t',
      'module.one fake_thing.t',
      'module.outer.module.inner fake_thing.t',
    ]);
    expect(state.outputs.all!.value).toMatchObject({ nested: 'deep-1' });
    const again = await plan({ dir, deps: w.deps });
    expect(again.changes.every((c) => c.action === 'noop')).toBe(true);

    // -target of a module address: every resource of that call's instances.
    const t = await plan({ dir, deps: w.deps, destroy: true, targets: ['module.many'] });
    expect(t.changes.map((c) => c.address).sort()).toEqual([
      'module.many[0].fake_thing.t',
      'module.many[1].fake_thing.t',
    ]);
  });

  it('an unknown value passes through a variable and an output untouched; depends_on orders a call', async () => {
    const w = makeWorld();
    const dir = project({
      'main.tf': `
resource "fake_key" "k" {
  region = "eu-west-1"
}
module "user" {
  source     = "./modules/user"
  key        = fake_key.k.arn
  depends_on = [fake_key.k]
}
resource "fake_thing" "after" {
  name       = "after"
  key        = module.user.key
  depends_on = [module.user]
}
`,
      'modules/user/main.tf': `
variable "key" {
  type = string
}
resource "fake_thing" "t" {
  name = "user"
  key  = var.key
}
output "key" {
  value = fake_thing.t.key
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    const user = p.changes.find((c) => c.address === 'module.user.fake_thing.t')!;
    expect(user.afterUnknown).toMatchObject({ key: true });
    expect(user.dependencies).toContain('fake_key.k');
    const after = p.changes.find((c) => c.address === 'fake_thing.after')!;
    expect(after.dependencies).toContain('module.user.fake_thing.t');
    await apply(p, { dir, deps: w.deps });
    expect(w.calls).toEqual(['create-key eu-west-1', 'create-thing user', 'create-thing after']);
    const key = [...w.objects.values()].find((o) => String(o.id).startsWith('key-'))!;
    const thing = [...w.objects.values()].find((o) => o.name === 'after')!;
    expect(thing.key).toBe(key.arn);
  });

  it('for_each of a call that is not known until apply is an error at its line', async () => {
    const w = makeWorld();
    const dir = project({
      'main.tf': `
resource "fake_key" "k" {
  region = "eu-west-1"
}
module "m" {
  source   = "./modules/thing"
  for_each = toset([fake_key.k.id])
  name     = each.key
}
`,
      'modules/thing/main.tf': THING,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.errored).toBe(true);
    expect(p.diagnostics.map((d) => [d.code, d.file, d.line, d.address])).toContainEqual([
      'CONFIG_UNSUPPORTED',
      'main.tf',
      7,
      'module.m',
    ]);
  });
});

describe('variables of module instances', () => {
  it('validation per instance at the line in the module; sensitive marks the value', async () => {
    const w = makeWorld();
    const dir = project({
      'main.tf': `
module "v" {
  source   = "./modules/v"
  for_each = { ok = 3, bad = 0 }
  size     = each.value
  token    = "s3cret"
}
output "token" {
  value = module.v["ok"].token
}
`,
      'modules/v/main.tf': `
variable "size" {
  type = number
  validation {
    condition     = var.size > 0
    error_message = "size must be positive."
  }
}
variable "token" {
  type      = string
  sensitive = true
}
output "token" {
  value     = var.token
  sensitive = true
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    const failed = p.diagnostics.filter((d) => d.code === 'CONDITION_FAILED');
    expect(failed.map((d) => [d.file, d.line, d.address, d.detail])).toEqual([
      [
        'modules/v/main.tf',
        4,
        'module.v["bad"].var.size',
        expect.stringContaining('size must be positive.'),
      ],
    ]);
    expect(p.diagnostics.map((d) => d.summary)).toContain('Output refers to sensitive values');
  });
});

describe('moved, removed and state mv with module addresses', () => {
  const base = {
    'main.tf': `
module "old" {
  source = "./modules/thing"
  name   = "x"
}
resource "fake_thing" "root" {
  name = "root"
}
`,
    'modules/thing/main.tf': THING,
  };

  it('moved renames a module call and moves a root resource into a module, without replacing', async () => {
    const w = makeWorld();
    const dir = project(base);
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    put(dir, {
      'main.tf': `
module "new" {
  source = "./modules/thing"
  name   = "x"
}
module "extra" {
  source = "./modules/thing"
  name   = "root-x"
}
moved {
  from = module.old
  to   = module.new
}
moved {
  from = fake_thing.root
  to   = module.extra.fake_thing.t
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.action, c.movedFrom])).toEqual(
      expect.arrayContaining([
        ['module.new.fake_thing.t', 'noop', 'module.old.fake_thing.t'],
        ['module.extra.fake_thing.t', 'replace', 'fake_thing.root'],
      ]),
    );
    await apply(p, { dir, deps: w.deps });
    expect(stateOf(dir).resources.map((r) => r.module)).toEqual(['module.extra', 'module.new']);
  });

  it('removed { from = module.NAME, destroy = false } forgets the call; state mv moves a module', async () => {
    const w = makeWorld();
    const dir = project(base);
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const mv = await stateMv('module.old', 'module.kept', { dir, deps: w.deps });
    expect(mv.diagnostics).toEqual([]);
    expect(mv.result).toEqual(['module.old.fake_thing.t -> module.kept.fake_thing.t']);
    put(dir, {
      'main.tf': `
resource "fake_thing" "root" {
  name = "root"
}
removed {
  from = module.kept
  lifecycle {
    destroy = false
  }
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.action])).toContainEqual([
      'module.kept.fake_thing.t',
      'forget',
    ]);
    await apply(p, { dir, deps: w.deps });
    expect(stateOf(dir).resources.map((r) => r.module ?? 'root')).toEqual(['root']);
    expect([...w.objects.values()].some((o) => o.name === 'x-1')).toBe(true);
  });
});
