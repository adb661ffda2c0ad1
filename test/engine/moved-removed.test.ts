// `moved` and `removed` blocks through the real loader, planner, apply and state (fake resource
// types): renames without replacement, chains, instance moves into for_each keys, terraform's
// errors (type mismatch, ambiguous, cycle, source still declared) and the blocked-move warning;
// removed blocks that forget (state only) or destroy.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apply,
  plan,
  planCounts,
  planHasChanges,
  renderPlanJson,
  renderPlanText,
} from '../../src/engine/index.js';
import { makeWorld, workdir, write } from './fake.js';

const addrs = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).resources.flatMap(
    (r: { type: string; name: string; instances: Array<{ index_key?: unknown }> }) =>
      r.instances.map(
        (i) =>
          `${r.type}.${r.name}${i.index_key === undefined ? '' : JSON.stringify([i.index_key])}`,
      ),
  );

describe('moved blocks', () => {
  it('renames a resource without replacing it, through a chain, and apply records it', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': 'resource "fake_thing" "a" {\n  name = "t"\n}\n' });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, {
      'main.tf': `resource "fake_thing" "c" {
  name = "t"
}
moved {
  from = fake_thing.a
  to   = fake_thing.b
}
moved {
  from = fake_thing.b
  to   = fake_thing.c
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.action, c.movedFrom])).toEqual([
      ['fake_thing.c', 'noop', 'fake_thing.a'],
    ]);
    expect(planHasChanges(p)).toBe(true);
    expect(planCounts(p)).toEqual({ add: 0, change: 0, destroy: 0 });
    expect(renderPlanText(p)).toContain('# fake_thing.a has moved to fake_thing.c');
    const json = renderPlanJson(p) as { resource_changes: Array<Record<string, unknown>> };
    expect(json.resource_changes[0]).toMatchObject({
      address: 'fake_thing.c',
      previous_address: 'fake_thing.a',
    });
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect(addrs(dir)).toEqual(['fake_thing.c']);
    const again = await plan({ dir, deps: w.deps });
    expect(planHasChanges(again)).toBe(false);
  });

  it('moves a single object into a for_each key', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': 'resource "fake_thing" "t" {\n  name = "eu"\n}\n' });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, {
      'main.tf': `resource "fake_thing" "t" {
  for_each = toset(["eu", "us"])
  name     = each.key
}
moved {
  from = fake_thing.t
  to   = fake_thing.t["eu"]
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    // A block-to-instance move is terraform's "Invalid moved addresses".
    expect(p.diagnostics[0]).toMatchObject({ summary: 'Invalid "moved" addresses', line: 5 });
  });

  it('moves one instance to another key; a source still planned is reported', async () => {
    const w = makeWorld();
    const cfg = (keys: string, extra = '') => `resource "fake_thing" "t" {
  for_each = toset(${keys})
  name     = "x"
}
${extra}`;
    const dir = workdir({ 'main.tf': cfg('["old"]') });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, {
      'main.tf': cfg(
        '["new"]',
        'moved {\n  from = fake_thing.t["old"]\n  to   = fake_thing.t["new"]\n}\n',
      ),
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.action, c.movedFrom])).toEqual([
      ['fake_thing.t["new"]', 'noop', 'fake_thing.t["old"]'],
    ]);
    await apply(p, { dir, deps: w.deps });
    expect(addrs(dir)).toEqual(['fake_thing.t["new"]']);
  });

  it("reports terraform's errors for bad statements, and warns when the destination is taken", async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `resource "fake_thing" "a" {
  name = "a"
}
moved {
  from = fake_thing.a
  to   = fake_thing.z
}
moved {
  from = fake_key.x
  to   = fake_thing.y
}
moved {
  from = fake_thing.p
  to   = fake_thing.q
}
moved {
  from = fake_thing.p
  to   = fake_thing.r
}
moved {
  from = fake_thing.m
  to   = fake_thing.n
}
moved {
  from = fake_thing.n
  to   = fake_thing.m
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics.map((d) => [d.summary, d.line])).toEqual([
      ['Moved object still exists', 4],
      ['Resource type mismatch', 8],
      ['Ambiguous move statements', 16],
      ['Cyclic dependency in move statements', 20],
    ]);

    const w2 = makeWorld();
    const both = workdir({
      'main.tf':
        'resource "fake_thing" "a" {\n  name = "a"\n}\nresource "fake_thing" "b" {\n  name = "b"\n}\n',
    });
    await apply(await plan({ dir: both, deps: w2.deps }), { dir: both, deps: w2.deps });
    write(both, {
      'main.tf':
        'resource "fake_thing" "b" {\n  name = "b"\n}\nmoved {\n  from = fake_thing.a\n  to   = fake_thing.b\n}\n',
    });
    const blocked = await plan({ dir: both, deps: w2.deps });
    expect(blocked.diagnostics).toMatchObject([
      { severity: 'warning', summary: 'Unresolved resource instance address changes' },
    ]);
    expect(blocked.diagnostics[0]!.detail).toContain('fake_thing.a could not move to fake_thing.b');
    expect(blocked.changes.map((c) => [c.address, c.action])).toEqual([
      ['fake_thing.b', 'noop'],
      ['fake_thing.a', 'delete'],
    ]);
  });
});

describe('removed blocks', () => {
  it('destroy = false forgets the objects: out of the state, not destroyed', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': 'resource "fake_thing" "t" {\n  count = 2\n  name  = "t${count.index}"\n}\n',
    });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const ids = addrs(dir);
    expect(ids).toHaveLength(2);
    write(dir, {
      'main.tf': 'removed {\n  from = fake_thing.t\n  lifecycle {\n    destroy = false\n  }\n}\n',
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.action])).toEqual([
      ['fake_thing.t[0]', 'forget'],
      ['fake_thing.t[1]', 'forget'],
    ]);
    expect(planCounts(p)).toEqual({ add: 0, change: 0, destroy: 0, forget: 2 });
    const text = renderPlanText(p);
    expect(text).toContain('# fake_thing.t[0] will no longer be managed by cmek');
    expect(text).toContain('Plan: 0 to add, 0 to change, 0 to destroy, 2 to forget.');
    const before = w.calls.filter((c) => c.includes('delete')).length;
    expect(w.objects.size).toBe(2);
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect(w.calls.filter((c) => c.includes('delete')).length).toBe(before);
    // The objects still exist: only cmek's record of them is gone.
    expect(w.objects.size).toBe(2);
    expect(addrs(dir)).toEqual([]);
  });

  it('destroy = true destroys; a removed block whose resource is still declared is an error', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': 'resource "fake_thing" "t" {\n  name = "t"\n}\n' });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, {
      'main.tf': 'removed {\n  from = fake_thing.t\n  lifecycle {\n    destroy = true\n  }\n}\n',
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.changes.map((c) => [c.address, c.action])).toEqual([['fake_thing.t', 'delete']]);
    write(dir, {
      'main.tf':
        'resource "fake_thing" "t" {\n  name = "t"\n}\nremoved {\n  from = fake_thing.t\n  lifecycle {\n    destroy = false\n  }\n}\n',
    });
    const still = await plan({ dir, deps: w.deps });
    expect(still.diagnostics.map((d) => [d.code, d.summary, d.line])).toEqual([
      ['CONFIG_SCHEMA', 'Removed resource block still exists', 4],
    ]);
  });
});
