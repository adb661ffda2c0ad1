// -target, -replace and -refresh-only through the engine API (plan() and apply()).
import { describe, expect, it } from 'vitest';
import { apply, plan, renderPlanText } from '../../src/engine/index.js';
import { loadState } from '../../src/engine/state.js';
import { makeWorld, workdir, write } from './fake.js';
import { join } from 'node:path';

const CONFIG = `
resource "fake_key" "k" {
  region = "eu-west-1"
}
resource "fake_thing" "t" {
  name = "t1"
  key  = fake_key.k.arn
  size = 1
}
resource "fake_thing" "other" {
  name = "other"
  size = 1
}
resource "fake_thing" "many" {
  count = 2
  name  = "m\${count.index}"
  size  = 1
}
output "other_name" {
  value = fake_thing.other.name
}
`;

describe('plan -target', () => {
  it('plans only the targets and their dependencies, and warns the plan is partial', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CONFIG });
    const p = await plan({ dir, deps: w.deps, targets: ['fake_thing.t'] });
    expect(p.errored).toBe(false);
    expect(p.targets).toEqual(['fake_thing.t']);
    expect(p.changes.map((c) => [c.address, c.action])).toEqual([
      ['fake_key.k', 'create'],
      ['fake_thing.t', 'create'],
    ]);
    expect(p.diagnostics.map((d) => [d.severity, d.summary])).toEqual([
      ['warning', 'Resource targeting is in effect'],
    ]);
    // The output reads a resource outside the target: not planned.
    expect(p.outputChanges).toEqual({});
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect(r.added).toBe(2);
    // The rest is planned by the next full plan; nothing targeted is touched again.
    const full = await plan({ dir, deps: w.deps });
    expect(full.changes.filter((c) => c.action !== 'noop').map((c) => c.address)).toEqual([
      'fake_thing.other',
      'fake_thing.many[0]',
      'fake_thing.many[1]',
    ]);
  });

  it('an instance target plans that instance only; a removed block can be targeted for deletion', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CONFIG });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, {
      'main.tf': CONFIG.replace(/size(\s+)= 1/g, 'size$1= 2')
        .replace(/resource "fake_thing" "other" \{[^}]*\}\n/, '')
        .replace(/output[\s\S]*$/, ''),
    });
    const one = await plan({ dir, deps: w.deps, targets: ['fake_thing.many[1]'] });
    expect(one.errored).toBe(false);
    expect(one.changes.map((c) => [c.address, c.action])).toEqual([
      ['fake_thing.many[1]', 'update'],
    ]);
    const gone = await plan({ dir, deps: w.deps, targets: ['fake_thing.other'] });
    expect(gone.changes.map((c) => [c.address, c.action, c.actionReason])).toEqual([
      ['fake_thing.other', 'delete', 'delete_because_no_resource_config'],
    ]);
  });

  it('a malformed address is a USAGE error; one that names nothing is a warning', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CONFIG });
    const bad = await plan({ dir, deps: w.deps, targets: ['not an address'] });
    expect(bad.errored).toBe(true);
    expect(bad.diagnostics[0]).toMatchObject({
      code: 'USAGE',
      summary: 'Invalid -target address "not an address"',
    });
    const none = await plan({ dir, deps: w.deps, targets: ['fake_thing.nope'] });
    expect(none.errored).toBe(false);
    expect(none.changes).toEqual([]);
    expect(none.diagnostics.map((d) => d.summary)).toEqual([
      '-target=fake_thing.nope matches no resource',
      'Resource targeting is in effect',
    ]);
  });
});

describe('plan -replace', () => {
  it('replaces an unchanged instance (replace_by_request); apply makes a new object', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CONFIG });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const before = loadState(join(dir, 'terraform.tfstate')).state!;
    const oldId = before.resources.find((r) => r.name === 'other')!.instances[0]!.attributes.id;
    const p = await plan({ dir, deps: w.deps, replace: ['fake_thing.other'] });
    expect(p.errored).toBe(false);
    const c = p.changes.filter((x) => x.action !== 'noop');
    expect(c.map((x) => [x.address, x.action, x.actionReason])).toEqual([
      ['fake_thing.other', 'replace', 'replace_by_request'],
    ]);
    expect(renderPlanText(p)).toContain('(replacement requested with -replace)');
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    const after = loadState(join(dir, 'terraform.tfstate')).state!;
    const newId = after.resources.find((r) => r.name === 'other')!.instances[0]!.attributes.id;
    expect(newId).not.toBe(oldId);
  });

  it('an address not in the state (or no longer configured) is a USAGE error naming it', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CONFIG });
    const p = await plan({ dir, deps: w.deps, replace: ['fake_thing.other', 'x'] });
    expect(p.errored).toBe(true);
    expect(p.diagnostics.map((d) => [d.code, d.summary])).toEqual([
      ['USAGE', '-replace=fake_thing.other: no such resource instance'],
      ['USAGE', 'Invalid -replace address "x"'],
    ]);
    expect(p.diagnostics[0]!.detail).toContain('cmek state list');
  });
});

describe('plan -refresh-only', () => {
  it('shows drift, plans no resource changes, and applying it records the refreshed state', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CONFIG });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const thing = [...w.objects.values()].find((o) => o.name === 't1')!;
    w.objects.set(String(thing.id), { ...thing, size: 9 });
    const p = await plan({ dir, deps: w.deps, refreshOnly: true });
    expect(p.mode).toBe('refresh-only');
    expect(p.changes).toEqual([]);
    expect(p.drift.map((d) => [d.address, d.action])).toEqual([['fake_thing.t', 'update']]);
    expect(renderPlanText(p)).toContain('This is a refresh-only plan');
    const calls = w.calls.length;
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect(w.calls.slice(calls).filter((c) => !c.startsWith('read'))).toEqual([]);
    const st = loadState(join(dir, 'terraform.tfstate')).state!;
    expect(st.resources.find((x) => x.name === 't')!.instances[0]!.attributes.size).toBe(9);
    // A normal plan now wants to put size back.
    const normal = await plan({ dir, deps: w.deps });
    expect(normal.changes.find((c) => c.address === 'fake_thing.t')!.action).toBe('update');
    expect(renderPlanText(await plan({ dir, deps: w.deps, refreshOnly: true }))).toContain(
      'No changes. Your infrastructure still matches the configuration.',
    );
  });
});

describe('destroy -target', () => {
  it('destroys the target and what depends on it, nothing else', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CONFIG });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const p = await plan({ dir, deps: w.deps, destroy: true, targets: ['fake_key.k'] });
    expect(p.errored).toBe(false);
    expect(p.changes.map((c) => [c.address, c.action]).sort()).toEqual([
      ['fake_key.k', 'delete'],
      ['fake_thing.t', 'delete'],
    ]);
  });
});
