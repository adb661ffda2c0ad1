import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diag } from '../../src/model/diagnostics.js';
import {
  acquireLock,
  apply,
  buildOps,
  type Plan,
  type PlannedChange,
  loadState,
  plan,
  readPlanFile,
  stateInstances,
  writePlanFile,
} from '../../src/engine/index.js';
import { makeWorld, workdir, write } from './fake.js';

const CHAIN = `
resource "fake_key" "k" {
  region = "eu-west-1"
}
resource "fake_thing" "a" {
  name = "a"
  key  = fake_key.k.arn
}
resource "fake_thing" "b" {
  name = "b-\${fake_thing.a.id}"
}
`;

describe('apply', () => {
  it('creates in dependency order with values resolved from applied dependencies, deletes in reverse', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CHAIN });
    const r = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect([r.added, r.changed, r.destroyed]).toEqual([3, 0, 0]);
    expect(w.calls).toEqual([
      'create-key eu-west-1',
      'create-thing a',
      expect.stringMatching(/^create-thing b-thing-\d+$/),
    ]);
    const a = [...w.objects.values()].find((o) => o.name === 'a')!;
    expect(a.key).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\/key-\d+$/);
    w.calls.length = 0;
    const d = await apply(await plan({ dir, deps: w.deps, destroy: true }), { dir, deps: w.deps });
    expect(d.destroyed).toBe(3);
    expect(w.calls.map((c) => c.split(' ')[0])).toEqual([
      'delete-thing',
      'delete-thing',
      'delete-key',
    ]);
    expect(w.calls[0]).toMatch(/^delete-thing b-/);
    expect(loadState(join(dir, 'terraform.tfstate')).state!.resources).toEqual([]);
  });

  it('respects -parallelism', async () => {
    const things = Array.from(
      { length: 6 },
      (_, i) => `resource "fake_thing" "t${i}" {\n  name = "t${i}"\n}\n`,
    ).join('');
    for (const [limit, expected] of [
      [1, 1],
      [3, 3],
    ] as const) {
      const w = makeWorld();
      const dir = workdir({ 'main.tf': things });
      const r = await apply(await plan({ dir, deps: w.deps }), {
        dir,
        deps: w.deps,
        parallelism: limit,
      });
      expect(r.added).toBe(6);
      expect(w.maxInFlight).toBe(expected);
    }
  });

  it('writes the state after every resource, atomically, with a backup of the previous state', async () => {
    const w = makeWorld();
    const things = Array.from(
      { length: 4 },
      (_, i) => `resource "fake_thing" "t${i}" {\n  name = "t${i}"\n}\n`,
    ).join('');
    const dir = workdir({ 'main.tf': things });
    const statePath = join(dir, 'terraform.tfstate');
    const seen: number[] = [];
    w.onCreate = () => {
      // The create in flight is already recorded as pending (crash recovery); count the rest.
      const entries = existsSync(statePath) ? stateInstances(loadState(statePath).state) : [];
      expect(entries.filter((e) => e.instance.cmek_pending === 'create')).toHaveLength(1);
      seen.push(entries.filter((e) => e.instance.cmek_pending !== 'create').length);
    };
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps, parallelism: 1 });
    expect(seen).toEqual([0, 1, 2, 3]);
    const first = readFileSync(statePath, 'utf8');
    const s1 = JSON.parse(first);
    // Two writes per create: the pending record, then the result.
    expect(s1).toMatchObject({ version: 4, serial: 8, check_results: null });
    expect(s1.lineage).toMatch(/^[0-9a-f-]{36}$/);
    expect(s1.resources[0]).toMatchObject({
      mode: 'managed',
      type: 'fake_thing',
      name: 't0',
      provider: 'provider["registry.terraform.io/cmek/cmek"]',
    });
    expect(s1.resources[0].instances[0]).toMatchObject({
      schema_version: 0,
      sensitive_attributes: [],
    });
    write(dir, { 'main.tf': things.replace('"t3"', '"t3x"') });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    expect(readFileSync(`${statePath}.backup`, 'utf8')).toBe(first);
    expect(JSON.parse(readFileSync(statePath, 'utf8')).lineage).toBe(s1.lineage);
  });

  it('a state that cannot be written after an operation says the change happened, not that it is recorded', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': 'resource "fake_thing" "t" {\n  name = "t"\n}\n' });
    const statePath = join(dir, 'terraform.tfstate');
    w.onCreate = () => {
      // The pending record was written; now the state path stops being writable as a file.
      rmSync(statePath, { force: true });
      mkdirSync(statePath);
      writeFileSync(join(statePath, 'keep'), '');
    };
    const result = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const d = result.diagnostics.find((x) => x.code === 'IO_ERROR');
    expect(d).toMatchObject({ address: 'fake_thing.t', severity: 'error' });
    expect(d!.summary).toBe('fake_thing.t was created, but the state could not be written');
    expect(d!.detail).toContain('does not record it');
    expect(d!.detail).not.toContain('recorded in the state');
    expect(w.objects.size).toBe(1);
  });

  it('a failure keeps what succeeded, skips dependents, reports APPLY_FAILED; the next apply converges', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `${CHAIN}resource "fake_thing" "c" {\n  name = "c"\n}\n`,
    });
    w.failWhen = (op, attrs) =>
      op === 'create-thing' && attrs.name === 'a' ? 'quota exceeded' : undefined;
    const r = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'APPLY_FAILED', address: 'fake_thing.a' });
    expect(r.diagnostics[0]!.detail).toContain('quota exceeded');
    const inState = stateInstances(loadState(join(dir, 'terraform.tfstate')).state).map(
      (e) => e.address,
    );
    expect(inState.sort()).toEqual(['fake_key.k', 'fake_thing.c']);
    expect(w.calls.some((c) => c.startsWith('create-thing b'))).toBe(false);
    w.failWhen = undefined;
    const again = await plan({ dir, deps: w.deps });
    expect(again.changes.filter((c) => c.action !== 'noop').map((c) => c.address)).toEqual([
      'fake_thing.a',
      'fake_thing.b',
    ]);
    const r2 = await apply(again, { dir, deps: w.deps });
    expect(r2.diagnostics).toEqual([]);
    expect([...w.objects.values()].filter((o) => o.name === 'c')).toHaveLength(1);
  });

  it('replace: destroy then create by default, create then destroy with create_before_destroy', async () => {
    for (const cbd of [false, true]) {
      const w = makeWorld();
      const cfg = (name: string) =>
        `resource "fake_thing" "t" {\n  name = "${name}"\n  lifecycle {\n    create_before_destroy = ${cbd}\n  }\n}\n`;
      const dir = workdir({ 'main.tf': cfg('old') });
      await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
      write(dir, { 'main.tf': cfg('new') });
      w.calls.length = 0;
      const r = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
      expect(r.diagnostics).toEqual([]);
      expect([r.added, r.destroyed]).toEqual([1, 1]);
      expect(w.calls).toEqual(
        cbd ? ['create-thing new', 'delete-thing old'] : ['delete-thing old', 'create-thing new'],
      );
      const entries = stateInstances(loadState(join(dir, 'terraform.tfstate')).state);
      expect(entries.map((e) => [e.address, e.instance.attributes.name, e.deposed])).toEqual([
        ['fake_thing.t', 'new', undefined],
      ]);
    }
  });

  it('create_before_destroy propagates to the replaced resources it depends on (no ordering cycle)', async () => {
    const w = makeWorld();
    const cfg = (region: string, name: string) =>
      `resource "fake_key" "k" {\n  region = "${region}"\n}\nresource "fake_thing" "t" {\n  name = "${name}"\n  key  = fake_key.k.arn\n  lifecycle {\n    create_before_destroy = true\n  }\n}\n`;
    const dir = workdir({ 'main.tf': cfg('eu-west-1', 'old') });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': cfg('us-east-1', 'new') });
    w.calls.length = 0;
    const r = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect(w.calls).toEqual([
      'create-key us-east-1',
      'create-thing new',
      'delete-thing old',
      'delete-key eu-west-1',
    ]);
  });

  it('ordering edges grow linearly with count (block dependencies go through barriers)', () => {
    const n = 3000;
    const change = (type: string, i: number, dependencies: string[]): PlannedChange => ({
      address: `${type}.x[${i}]`,
      block: `${type}.x`,
      type,
      name: 'x',
      index: i,
      action: 'create',
      before: null,
      after: {},
      afterUnknown: false,
      replacePaths: [],
      dependencies,
      createBeforeDestroy: false,
      preventDestroy: false,
    });
    const p = {
      changes: [
        ...Array.from({ length: n }, (_, i) => change('fake_key', i, [])),
        ...Array.from({ length: n }, (_, i) => change('fake_thing', i, ['fake_key.x'])),
      ],
      priorState: null,
    } as unknown as Plan;
    const { ops, diagnostics } = buildOps(p);
    expect(diagnostics).toEqual([]);
    const edges = [...ops.values()].reduce((sum, o) => sum + o.deps.size, 0);
    expect(edges).toBe(2 * n); // n things → 1 barrier, barrier → n keys
    const thing = ops.get('fake_thing.x[7]#create')!;
    expect([...thing.deps]).toEqual(['fake_key.x#applied']);
  });

  it('create_before_destroy whose delete fails leaves a deposed object that the next plan deletes', async () => {
    const w = makeWorld();
    const cfg = (name: string) =>
      `resource "fake_thing" "t" {\n  name = "${name}"\n  lifecycle {\n    create_before_destroy = true\n  }\n}\n`;
    const dir = workdir({ 'main.tf': cfg('old') });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': cfg('new') });
    w.failWhen = (op) => (op === 'delete-thing' ? 'busy' : undefined);
    const r = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['APPLY_FAILED']);
    const entries = stateInstances(loadState(join(dir, 'terraform.tfstate')).state);
    expect(entries.map((e) => [e.instance.attributes.name, Boolean(e.deposed)])).toEqual([
      ['new', false],
      ['old', true],
    ]);
    w.failWhen = undefined;
    const p = await plan({ dir, deps: w.deps });
    const del = p.changes.filter((c) => c.action === 'delete');
    expect(del).toHaveLength(1);
    expect(del[0]!.deposed).toBeTruthy();
    expect(p.changes.find((c) => !c.deposed)!.action).toBe('noop');
    const r2 = await apply(p, { dir, deps: w.deps });
    expect(r2.diagnostics).toEqual([]);
    expect([...w.objects.values()].map((o) => o.name)).toEqual(['new']);
  });

  it('re-runs rules that needed unknowns at apply time, before the call that would fail', async () => {
    const w = makeWorld();
    // A rule that can only decide once the key ARN is known.
    w.rules = (changes) =>
      changes
        .filter(
          (c) =>
            c.type === 'fake_thing' &&
            typeof c.after?.key === 'string' &&
            String(c.after.key).includes(':us-east-1:'),
        )
        .map((c) =>
          diag('CMEK_REGION_MISMATCH', 'key in the wrong region', 'use another key', {
            address: c.address,
          }),
        );
    const dir = workdir({
      'main.tf': `resource "fake_key" "k" {\n  region = "us-east-1"\n}\nresource "fake_thing" "a" {\n  name = "a"\n  key  = fake_key.k.arn\n}\n`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.errored).toBe(false);
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics.map((d) => [d.code, d.address])).toEqual([
      ['CMEK_REGION_MISMATCH', 'fake_thing.a'],
    ]);
    expect(w.calls).toEqual(['create-key us-east-1']);
  });

  it('schema refinements undecidable at plan time (unknowns) are checked at apply, before the call', async () => {
    const w = makeWorld();
    const known = workdir({
      'main.tf': 'resource "fake_key" "k" {\n  region = "eu-west-1"\n  alias  = "bad"\n}\n',
    });
    const p1 = await plan({ dir: known, deps: w.deps });
    expect(p1.diagnostics.map((d) => [d.code, d.attribute])).toEqual([['CONFIG_SCHEMA', 'alias']]);

    const dir = workdir({
      'main.tf':
        'resource "fake_thing" "t" {\n  name = "t"\n}\nresource "fake_key" "k" {\n  region = fake_thing.t.id\n  alias  = "bad"\n}\n',
    });
    const p2 = await plan({ dir, deps: w.deps });
    expect(p2.errored).toBe(false);
    const r = await apply(p2, { dir, deps: w.deps });
    expect(r.diagnostics.map((d) => [d.code, d.address, d.attribute])).toEqual([
      ['CONFIG_SCHEMA', 'fake_key.k', 'alias'],
    ]);
    expect(w.calls).toEqual(['create-thing t']);
  });

  it('saved plans: round trip through a file; stale lineage/serial or changed configuration is STATE_STALE_PLAN', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CHAIN });
    const file = join(dir, 'p.plan');
    writePlanFile(file, await plan({ dir, deps: w.deps }));
    const saved = readPlanFile(file);
    expect(saved.changes.find((c) => c.address === 'fake_thing.a')!.after!.key).toBeTypeOf(
      'object',
    );
    const r = await apply(saved, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect(r.added).toBe(3);
    // Applying it again: the state moved on.
    const stale = await apply(readPlanFile(file), { dir, deps: w.deps });
    expect(stale.diagnostics.map((d) => d.code)).toEqual(['STATE_STALE_PLAN']);
    // A fresh plan, then the configuration changes before apply.
    writePlanFile(file, await plan({ dir, deps: w.deps }));
    write(dir, { 'extra.tf': 'resource "fake_thing" "z" {\n  name = "z"\n}\n' });
    const changed = await apply(readPlanFile(file), { dir, deps: w.deps });
    expect(changed.diagnostics.map((d) => d.code)).toEqual(['STATE_STALE_PLAN']);
    expect(changed.diagnostics[0]!.summary).toContain('configuration changed');
  });

  it('a held lock stops plan and apply with STATE_LOCKED; -lock-timeout waits for it', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CHAIN });
    const lock = await acquireLock(join(dir, 'terraform.tfstate'), {
      operation: 'OperationTypeApply',
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics.map((d) => d.code)).toEqual(['STATE_LOCKED']);
    expect(p.diagnostics[0]!.detail).toContain(`cmek force-unlock ${lock.info.ID}`);
    const p2 = await plan({ dir, deps: w.deps, lock: false });
    const blocked = await apply(p2, { dir, deps: w.deps });
    expect(blocked.diagnostics.map((d) => d.code)).toEqual(['STATE_LOCKED']);
    expect(w.calls).toEqual([]);
    setTimeout(() => lock.release(), 50);
    const waited = await apply(p2, { dir, deps: w.deps, lockTimeoutMs: 10_000 });
    expect(waited.diagnostics).toEqual([]);
    expect(existsSync(join(dir, '.terraform.tfstate.lock.info'))).toBe(false);
  });

  it('a create recorded as pending (the run died during the call) is adopted, or planned afresh with a warning', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CHAIN });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    // Make the state look like the process died inside both creates of fake_key.k and fake_thing.a.
    const statePath = join(dir, 'terraform.tfstate');
    const s = JSON.parse(readFileSync(statePath, 'utf8'));
    for (const r of s.resources) {
      if (r.name === 'b') continue;
      const inst = r.instances[0];
      delete inst.attributes.id;
      delete inst.attributes.arn;
      inst.cmek_pending = 'create';
    }
    writeFileSync(statePath, JSON.stringify(s));
    const p = await plan({ dir, deps: w.deps });
    // fake_thing has adopt (by name): found and kept; fake_key has none: planned as new, warned.
    expect(p.changes.find((c) => c.address === 'fake_thing.a')!.action).not.toBe('create');
    expect(p.changes.find((c) => c.address === 'fake_key.k')!.action).toBe('create');
    const warnings = p.diagnostics.filter((d) => d.severity === 'warning');
    expect(warnings.map((d) => d.address).sort()).toEqual(['fake_key.k', 'fake_thing.a']);
    expect(warnings.find((d) => d.address === 'fake_thing.a')!.detail).toContain('found it');
    expect(warnings.find((d) => d.address === 'fake_key.k')!.detail).toContain('no adopt');
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect([...w.objects.values()].filter((o) => o.name === 'a')).toHaveLength(1);
    const after = stateInstances(loadState(statePath).state);
    expect(after.some((e) => e.instance.cmek_pending)).toBe(false);
  });

  it('an abort signal stops starting operations; those in flight finish and are recorded', async () => {
    const w = makeWorld();
    const things = Array.from(
      { length: 5 },
      (_, i) => `resource "fake_thing" "t${i}" {\n  name = "t${i}"\n}\n`,
    ).join('');
    const dir = workdir({ 'main.tf': things });
    const ac = new AbortController();
    const r = await apply(await plan({ dir, deps: w.deps }), {
      dir,
      deps: w.deps,
      parallelism: 1,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'complete') ac.abort();
      },
    });
    expect(r.added).toBe(1);
    expect(r.diagnostics.map((d) => d.summary)).toEqual(['Apply interrupted']);
    expect(r.diagnostics[0]!.detail).toContain('4 of 5 operations were not started');
    expect(stateInstances(loadState(join(dir, 'terraform.tfstate')).state)).toHaveLength(1);
    expect(existsSync(join(dir, '.terraform.tfstate.lock.info'))).toBe(false);
  });

  it('a corrupt state is STATE_CORRUPT and left untouched', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': CHAIN, 'terraform.tfstate': '{"version": 4, "serial": ' });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics.map((d) => d.code)).toEqual(['STATE_CORRUPT']);
    expect(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).toBe('{"version": 4, "serial": ');
  });
});
