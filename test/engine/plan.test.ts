import { describe, expect, it } from 'vitest';
import { diag } from '../../src/model/diagnostics.js';
import {
  apply,
  plan,
  planCounts,
  planHasChanges,
  renderPlanJson,
  renderPlanText,
  type PlannedChange,
} from '../../src/engine/index.js';
import { Unknown } from '../../src/model/values.js';
import { makeWorld, workdir, write } from './fake.js';

const KEY_AND_THING = `
resource "fake_key" "k" {
  region = "eu-west-1"
}
resource "fake_thing" "t" {
  name = "t1"
  key  = fake_key.k.arn
  size = 1
}
`;

function byAddr(changes: PlannedChange[], a: string): PlannedChange {
  const c = changes.find((x) => x.address === a);
  if (!c) throw new Error(`no change for ${a}: ${changes.map((x) => x.address).join(', ')}`);
  return c;
}

describe('plan', () => {
  it('creates from scratch with unknown computed values that carry the key facts', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': KEY_AND_THING });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.action])).toEqual([
      ['fake_key.k', 'create'],
      ['fake_thing.t', 'create'],
    ]);
    const t = byAddr(p.changes, 'fake_thing.t');
    // The thing's key is the key's ARN: unknown, but its region and address are known now.
    const key = t.after!.key;
    expect(key).toBeInstanceOf(Unknown);
    expect((key as Unknown).facts).toMatchObject({ region: 'eu-west-1', address: 'fake_key.k' });
    expect(t.afterUnknown).toEqual({ id: true, key: true });
    expect(t.dependencies).toEqual(['fake_key.k']);
    // The rules saw both resources with per-attribute refs linking the thing to its key.
    const seen = w.ruleChanges.at(-1)!;
    expect(seen.find((c) => c.address === 'fake_thing.t')!.refs).toEqual({ key: 'fake_key.k' });
    expect(planCounts(p)).toEqual({ add: 2, change: 0, destroy: 0 });
  });

  it('plans no-op, update (with notes) and replace (with replace_paths and reason)', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': KEY_AND_THING });
    const r = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    const again = await plan({ dir, deps: w.deps });
    expect(again.changes.every((c) => c.action === 'noop')).toBe(true);

    write(dir, { 'main.tf': KEY_AND_THING.replace('size = 1', 'size = 2') });
    const upd = await plan({ dir, deps: w.deps });
    expect(byAddr(upd.changes, 'fake_thing.t').action).toBe('update');

    write(dir, { 'main.tf': KEY_AND_THING.replace('"t1"', '"t2"') });
    const rep = await plan({ dir, deps: w.deps });
    const t = byAddr(rep.changes, 'fake_thing.t');
    expect(t.action).toBe('replace');
    expect(t.replacePaths).toEqual([['name']]);
    expect(t.actionReason).toBe('replace_because_cannot_update');

    // Replacing the key makes its ARN unknown, so the thing's key changes too (with the note).
    write(dir, { 'main.tf': KEY_AND_THING.replace('eu-west-1', 'us-east-1') });
    const rk = await plan({ dir, deps: w.deps });
    expect(byAddr(rk.changes, 'fake_key.k').action).toBe('replace');
    const tt = byAddr(rk.changes, 'fake_thing.t');
    expect(tt.action).toBe('update');
    expect((tt.after!.key as Unknown).facts?.region).toBe('us-east-1');
  });

  it('ignore_changes keeps the prior value; ignore_changes = all too', async () => {
    const w = makeWorld();
    const cfg = (size: number, ignore: string) => `
resource "fake_thing" "t" {
  name = "t"
  size = ${size}
  lifecycle {
    ignore_changes = ${ignore}
  }
}`;
    const dir = workdir({ 'main.tf': cfg(1, '[size]') });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': cfg(5, '[size]') });
    expect((await plan({ dir, deps: w.deps })).changes[0]!.action).toBe('noop');
    write(dir, { 'main.tf': cfg(5, 'all') });
    expect((await plan({ dir, deps: w.deps })).changes[0]!.action).toBe('noop');
    write(dir, { 'main.tf': cfg(5, '[]') });
    expect((await plan({ dir, deps: w.deps })).changes[0]!.action).toBe('update');
  });

  it('deletes what the configuration dropped, and with -destroy everything', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': KEY_AND_THING });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': 'resource "fake_key" "k" {\n  region = "eu-west-1"\n}\n' });
    const p = await plan({ dir, deps: w.deps });
    const t = byAddr(p.changes, 'fake_thing.t');
    expect(t.action).toBe('delete');
    expect(t.actionReason).toBe('delete_because_no_resource_config');
    const d = await plan({ dir, deps: w.deps, destroy: true });
    expect(d.changes.map((c) => c.action)).toEqual(['delete', 'delete']);
    expect(d.mode).toBe('destroy');
  });

  it('prevent_destroy blocks replace and destroy, also after the block was removed', async () => {
    const w = makeWorld();
    const cfg = (name: string) =>
      `resource "fake_thing" "t" {\n  name = "${name}"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n`;
    const dir = workdir({ 'main.tf': cfg('a') });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': cfg('b') });
    const rep = await plan({ dir, deps: w.deps });
    expect(rep.errored).toBe(true);
    expect(rep.diagnostics.map((x) => x.code)).toEqual(['PREVENT_DESTROY']);
    expect(rep.diagnostics[0]).toMatchObject({ address: 'fake_thing.t', file: 'main.tf', line: 1 });
    // Block removed: the flag recorded in state still protects it.
    write(dir, { 'main.tf': '' });
    const gone = await plan({ dir, deps: w.deps });
    expect(gone.diagnostics.map((x) => x.code)).toEqual(['PREVENT_DESTROY']);
    expect(gone.diagnostics[0]!.detail).toContain('state still records prevent_destroy');
    const destroy = await plan({ dir, deps: w.deps, destroy: true });
    expect(destroy.errored).toBe(true);
  });

  it('refresh reports drift (deleted and changed objects); -refresh=false skips it', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': KEY_AND_THING });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const thing = [...w.objects.values()].find((o) => o.name === 't1')!;
    w.objects.set(String(thing.id), { ...thing, size: 9 });
    const key = [...w.objects.values()].find((o) => o.region)!;
    w.objects.delete(String(key.id));
    const p = await plan({ dir, deps: w.deps });
    expect(p.drift.map((d) => [d.address, d.action])).toEqual(
      expect.arrayContaining([
        ['fake_key.k', 'delete'],
        ['fake_thing.t', 'update'],
      ]),
    );
    expect(byAddr(p.changes, 'fake_key.k').action).toBe('create');
    expect(byAddr(p.changes, 'fake_thing.t').action).toBe('update');
    const nr = await plan({ dir, deps: w.deps, refresh: false });
    expect(nr.drift).toEqual([]);
    expect(nr.changes.every((c) => c.action === 'noop')).toBe(true);
  });

  it('count: instances with index, count.index, shrinking deletes with delete_because_count_index', async () => {
    const w = makeWorld();
    const cfg = (n: number) => `
variable "n" {
  default = ${n}
}
resource "fake_thing" "t" {
  count = var.n
  name  = "t-\${count.index}"
}`;
    const dir = workdir({ 'main.tf': cfg(3) });
    const p = await plan({ dir, deps: w.deps });
    expect(p.changes.map((c) => [c.address, c.index, c.after!.name])).toEqual([
      ['fake_thing.t[0]', 0, 't-0'],
      ['fake_thing.t[1]', 1, 't-1'],
      ['fake_thing.t[2]', 2, 't-2'],
    ]);
    await apply(p, { dir, deps: w.deps });
    const shrink = await plan({ dir, deps: w.deps, cliVars: { n: '1' } });
    const del = shrink.changes.filter((c) => c.action === 'delete');
    expect(del.map((c) => [c.address, c.actionReason])).toEqual([
      ['fake_thing.t[1]', 'delete_because_count_index'],
      ['fake_thing.t[2]', 'delete_because_count_index'],
    ]);
  });

  it('count: each instance is linked to the key instance it references (refs for the rules)', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `resource "fake_key" "k" {
  count  = 2
  region = "eu-west-\${count.index}"
}
resource "fake_thing" "t" {
  count = 2
  name  = "t\${count.index}"
  key   = fake_key.k[count.index].arn
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    const refs = (seen: typeof w.ruleChanges) =>
      Object.fromEntries(
        seen
          .at(-1)!
          .filter((c) => c.type === 'fake_thing')
          .map((c) => [c.address, c.refs]),
      );
    expect(refs(w.ruleChanges)).toEqual({
      'fake_thing.t[0]': { key: 'fake_key.k[0]' },
      'fake_thing.t[1]': { key: 'fake_key.k[1]' },
    });
    await apply(p, { dir, deps: w.deps });
    // Once applied, the values are known ARNs: still linked to the right instance.
    await plan({ dir, deps: w.deps });
    expect(refs(w.ruleChanges)).toEqual({
      'fake_thing.t[0]': { key: 'fake_key.k[0]' },
      'fake_thing.t[1]': { key: 'fake_key.k[1]' },
    });
  });

  it('adding or removing count moves the object (no replacement), and apply re-keys the state', async () => {
    const w = makeWorld();
    const single = 'resource "fake_thing" "t" {\n  name = "t"\n}\n';
    const counted = 'resource "fake_thing" "t" {\n  count = 1\n  name  = "t"\n}\n';
    const dir = workdir({ 'main.tf': single });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': counted });
    const p = await plan({ dir, deps: w.deps });
    expect(p.changes.map((c) => [c.address, c.action, c.movedFrom])).toEqual([
      ['fake_thing.t[0]', 'noop', 'fake_thing.t'],
    ]);
    expect(renderPlanText(p)).toContain('# fake_thing.t has moved to fake_thing.t[0]');
    expect(planHasChanges(p)).toBe(true);
    await apply(p, { dir, deps: w.deps });
    const again = await plan({ dir, deps: w.deps });
    expect(again.changes.map((c) => [c.address, c.action, c.movedFrom])).toEqual([
      ['fake_thing.t[0]', 'noop', undefined],
    ]);
    write(dir, { 'main.tf': single });
    const back = await plan({ dir, deps: w.deps });
    expect(back.changes.map((c) => [c.address, c.action, c.movedFrom])).toEqual([
      ['fake_thing.t', 'noop', 'fake_thing.t[0]'],
    ]);
    // The plan JSON names the old address, as terraform's previous_address.
    expect(JSON.stringify(renderPlanJson(back))).toContain('"previous_address":"fake_thing.t[0]"');
    await apply(back, { dir, deps: w.deps });
    expect(planHasChanges(await plan({ dir, deps: w.deps }))).toBe(false);
    expect(w.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
  });

  it('schema: CONFIG_SCHEMA names attribute, expectation, what was found, file and line; unknowns pass', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `resource "fake_key" "k" {
  region = "eu-west-1"
}
resource "fake_thing" "t" {
  name = "x"
  size = "big"
  colour = "red"
}
resource "fake_thing" "u" {
  name = fake_key.k.arn
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.errored).toBe(true);
    const size = p.diagnostics.find((d) => d.attribute === 'size')!;
    expect(size).toMatchObject({
      code: 'CONFIG_SCHEMA',
      file: 'main.tf',
      line: 6,
      address: 'fake_thing.t',
    });
    expect(size.detail).toMatch(/Expected: .*number/);
    expect(size.detail).toContain('Found: "big"');
    const colour = p.diagnostics.find((d) => d.attribute === 'colour')!;
    expect(colour).toMatchObject({ code: 'CONFIG_SCHEMA', line: 7 });
    expect(colour.summary).toContain('Unsupported argument');
    // fake_thing.u's name is an unknown ARN: not a schema error.
    expect(p.diagnostics.filter((d) => d.address === 'fake_thing.u')).toEqual([]);
  });

  it('cycles are CONFIG_CYCLE naming the loop with file:line', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `resource "fake_thing" "a" {
  name = fake_thing.b.id
}
resource "fake_thing" "b" {
  name = local.x
}
locals {
  x = fake_thing.a.id
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics.map((d) => d.code)).toEqual(['CONFIG_CYCLE']);
    const d = p.diagnostics[0]!;
    expect(d.summary).toContain('fake_thing.a');
    expect(d.summary).toContain('local.x');
    expect(d.detail).toContain('fake_thing.b (main.tf:4)');
    expect(d.detail).toContain('local.x (main.tf:8)');
  });

  it('unknown resource types are CONFIG_UNSUPPORTED with file:line', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `resource "fake_thing" "b" {
  name = "b"
}
resource "nope_thing" "a" {
  x = 1
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics.map((d) => [d.code, d.file, d.line, d.address])).toEqual([
      ['CONFIG_UNSUPPORTED', 'main.tf', 4, 'nope_thing.a'],
    ]);
  });

  it('a depends_on naming an undeclared resource is CONFIG_REFERENCE', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf':
        'resource "fake_thing" "b" {\n  name       = "b"\n  depends_on = [fake_thing.zzz]\n}\n',
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.errored).toBe(true);
    expect(p.diagnostics.some((d) => d.code === 'CONFIG_REFERENCE')).toBe(true);
  });

  it('rule diagnostics make the plan errored', async () => {
    const w = makeWorld();
    w.rules = (changes) =>
      changes
        .filter((c) => c.type === 'fake_thing')
        .map((c) => diag('CMEK_REGION_MISMATCH', 'mismatch', 'fix it', { address: c.address }));
    const dir = workdir({ 'main.tf': KEY_AND_THING });
    const p = await plan({ dir, deps: w.deps });
    expect(p.errored).toBe(true);
    expect(p.diagnostics.map((d) => d.code)).toEqual(['CMEK_REGION_MISMATCH']);
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics[0]!.code).toBe('APPLY_FAILED');
    expect(w.calls).toEqual([]);
  });

  it('outputs: planned as unknown until apply, recorded in state', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `${KEY_AND_THING}\noutput "arn" {\n  value = fake_key.k.arn\n}\n`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.outputChanges.arn).toMatchObject({ action: 'create', afterUnknown: true });
    const r = await apply(p, { dir, deps: w.deps });
    expect(String(r.state!.outputs.arn!.value)).toMatch(/^arn:aws:kms:eu-west-1:/);
    expect(r.state!.outputs.arn!.type).toBe('string');
    const again = await plan({ dir, deps: w.deps });
    expect(again.outputChanges.arn!.action).toBe('noop');
  });
});
