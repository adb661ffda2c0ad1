import { describe, expect, it } from 'vitest';
import {
  apply,
  plan,
  renderPlanJson,
  renderPlanText,
  renderStateText,
} from '../../src/engine/index.js';
import { makeWorld, workdir, write } from './fake.js';

const cfg = (opts: { name?: string; size?: number; key?: boolean; cbd?: boolean } = {}) => `
resource "fake_key" "k" {
  region = "eu-west-1"
}
resource "fake_thing" "t" {
  name = "${opts.name ?? 't'}"
  size = ${opts.size ?? 1}
${opts.key ? '  key  = fake_key.k.arn\n' : ''}  lifecycle {
    create_before_destroy = ${opts.cbd ?? false}
  }
}
output "id" {
  value = fake_thing.t.id
}
`;

describe('plan text (terraform style)', () => {
  it('create: + lines, (known after apply), the summary and output changes', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': cfg({ key: true }) });
    const text = renderPlanText(await plan({ dir, deps: w.deps }));
    expect(text).toContain('  # fake_thing.t will be created\n  + resource "fake_thing" "t" {\n');
    expect(text).toContain('      + id   = (known after apply)\n');
    expect(text).toContain('      + key  = (known after apply)\n');
    expect(text).toContain('      + name = "t"\n');
    expect(text).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(text).toContain('Changes to Outputs:\n  + id = (known after apply)');
  });

  it('update in-place, replacement with # forces replacement and the reason, destroy with its reason', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': cfg() });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': cfg({ size: 2, key: true }) });
    const upd = renderPlanText(await plan({ dir, deps: w.deps }));
    expect(upd).toContain(
      '  # fake_thing.t will be updated in-place\n  ~ resource "fake_thing" "t" {\n',
    );
    expect(upd).toMatch(/ {8}id {3}= "thing-\d+"\n/);
    expect(upd).toContain(
      '      + key  = "arn:aws:kms:eu-west-1:000000000000:key/key-1" # rotation: data keys are re-wrapped\n',
    );
    expect(upd).toContain('      ~ size = 1 -> 2\n');
    expect(upd).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');

    write(dir, { 'main.tf': cfg({ name: 'u' }) });
    const rep = renderPlanText(await plan({ dir, deps: w.deps }));
    expect(rep).toContain(
      '  # fake_thing.t must be replaced\n  # (name cannot be changed in place)\n-/+ resource "fake_thing" "t" {\n',
    );
    expect(rep).toMatch(/~ id {3}= "thing-\d+" -> \(known after apply\)/);
    expect(rep).toContain('~ name = "t" -> "u" # forces replacement');
    expect(rep).toContain('-/+ destroy and then create replacement');
    expect(rep).toContain('Plan: 1 to add, 0 to change, 1 to destroy.');

    write(dir, { 'main.tf': cfg({ name: 'u', cbd: true }) });
    expect(renderPlanText(await plan({ dir, deps: w.deps }))).toContain(
      '+/- resource "fake_thing" "t" {',
    );

    write(dir, { 'main.tf': 'resource "fake_key" "k" {\n  region = "eu-west-1"\n}\n' });
    const del = renderPlanText(await plan({ dir, deps: w.deps }));
    expect(del).toContain(
      '  # fake_thing.t will be destroyed\n  # (because fake_thing.t is not in configuration)\n  - resource "fake_thing" "t" {\n',
    );
    expect(del).toContain('      - name = "t" -> null\n');
    expect(del).toContain('  - id = "thing-');
  });

  it('no changes', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': cfg() });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    expect(renderPlanText(await plan({ dir, deps: w.deps }))).toContain(
      'No changes. Your infrastructure matches the configuration.',
    );
  });

  it('drift is shown before the changes', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': cfg() });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    w.objects.clear();
    const text = renderPlanText(await plan({ dir, deps: w.deps }));
    expect(text.indexOf('Note: Objects have changed outside of cmek')).toBe(0);
    expect(text).toContain('  # fake_thing.t has been deleted');
    expect(text).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
  });
});

describe('plan JSON (Terraform representation)', () => {
  it('has the fields policy tools read', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': cfg({ key: true }) });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': cfg({ name: 'u', key: true }) });
    const p = await plan({ dir, deps: w.deps });
    const j = JSON.parse(JSON.stringify(renderPlanJson(p))) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(j.format_version).toBe('1.2');
    expect(typeof j.terraform_version).toBe('string');
    expect(j.errored).toBe(false);
    expect(j.diagnostics).toEqual([]);
    const t = j.resource_changes.find((c: { address: string }) => c.address === 'fake_thing.t');
    expect(t).toMatchObject({
      mode: 'managed',
      type: 'fake_thing',
      name: 't',
      provider_name: 'registry.terraform.io/cmek/cmek',
      action_reason: 'replace_because_cannot_update',
      change: {
        actions: ['delete', 'create'],
        after_unknown: { id: true },
        before_sensitive: {},
        after_sensitive: {},
        replace_paths: [['name']],
      },
    });
    expect(t.change.before.name).toBe('t');
    expect(t.change.after).toMatchObject({ name: 'u', id: null });
    expect(
      j.planned_values.root_module.resources.map((r: { address: string }) => r.address).sort(),
    ).toEqual(['fake_key.k', 'fake_thing.t']);
    expect(j.prior_state.values.root_module.resources).toHaveLength(2);
    // Unknown values are left out of planned_values (they are in after_unknown).
    const pv = j.planned_values.root_module.resources.find(
      (r: { address: string }) => r.address === 'fake_thing.t',
    );
    expect(pv.values.name).toBe('u');
    expect('id' in pv.values).toBe(false);
    expect(j.output_changes.id).toMatchObject({ actions: ['update'], after_unknown: true });
    expect(j.resource_drift).toEqual([]);
  });
});

describe('state text', () => {
  it('shows resources and outputs', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': cfg() });
    const r = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const text = renderStateText(r.state);
    expect(text).toContain('# fake_thing.t:\nresource "fake_thing" "t" {\n');
    expect(text).toMatch(/Outputs:\n\nid = "thing-\d+"/);
    expect(renderStateText(null)).toContain('The state file is empty');
  });
});
