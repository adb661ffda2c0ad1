// Data sources, custom conditions, check blocks and replace_triggered_by in the engine, with the
// fake resource types of fake.ts and a fake data source that reads the fake cloud. The real
// loader parses the .tf files; the CLI tests (test/e2e/blocks.test.ts) run the real types.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diag, DiagnosticError } from '../../src/model/diagnostics.js';
import {
  apply,
  plan,
  renderPlanJson,
  renderPlanText,
  stateValuesJson,
  type Plan,
} from '../../src/engine/index.js';
import { checkConditions } from '../../src/engine/conditions.js';
import { loadConfig } from '../../src/engine/config/index.js';
import { mapScope } from '../../src/engine/config/expr.js';
import { Sensitive } from '../../src/model/values.js';
import { makeWorld, workdir, write, type World } from './fake.js';

function withData(w: World): World {
  w.deps.dataSources = {
    fake_key: {
      type: 'fake_key',
      lookup: 'id',
      resource: 'fake_key',
      read: async (config) => {
        w.calls.push(`read-key ${String(config.id)}`);
        const o = w.objects.get(String(config.id));
        if (!o)
          throw new DiagnosticError(
            diag(
              'IMPORT_NOT_FOUND',
              `fake_key: no object matches id = "${String(config.id)}"`,
              'Check the id.',
            ),
          );
        return o;
      },
    },
  };
  return w;
}

const errors = (p: Plan) => p.diagnostics.filter((d) => d.severity === 'error');

describe('data sources', () => {
  it('reads at plan time when the argument is known, and records mode "data" at apply', async () => {
    const w = withData(makeWorld());
    const dir = workdir({ 'main.tf': 'resource "fake_key" "k" {\n  region = "eu-west-1"\n}\n' });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const id = [...w.objects.keys()][0]!;
    write(dir, {
      'data.tf': `data "fake_key" "k" {
  id = "${id}"
}
resource "fake_thing" "t" {
  name = "t1"
  key  = data.fake_key.k.arn
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(errors(p)).toEqual([]);
    expect(p.reads).toEqual([
      expect.objectContaining({
        address: 'data.fake_key.k',
        result: expect.objectContaining({ id }),
      }),
    ]);
    expect(p.reads![0]!.deferred).toBeUndefined();
    const t = p.changes.find((c) => c.address === 'fake_thing.t')!;
    expect(t.after!.key).toBe(`arn:aws:kms:eu-west-1:000000000000:key/${id}`);
    expect(renderPlanText(p)).not.toContain('<= data');
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    expect(
      state.resources.map(
        (x: { mode: string; type: string; name: string }) => `${x.mode} ${x.type}.${x.name}`,
      ),
    ).toEqual(['data fake_key.k', 'managed fake_key.k', 'managed fake_thing.t']);
    const values = stateValuesJson(r.state) as {
      root_module: { resources: Array<{ address: string; mode: string }> };
    };
    expect(values.root_module.resources.map((x) => `${x.mode} ${x.address}`)).toEqual([
      'data data.fake_key.k',
      'managed fake_key.k',
      'managed fake_thing.t',
    ]);
    // The managed key and the data source of the same type and name stay apart.
    const again = await plan({ dir, deps: w.deps });
    expect(again.changes.every((c) => c.action === 'noop')).toBe(true);
    // Removing the data block forgets it from the state at the next apply.
    write(dir, { 'data.tf': 'resource "fake_thing" "t" {\n  name = "t1"\n  key = "x"\n}\n' });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    const after = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    expect(after.resources.some((x: { mode: string }) => x.mode === 'data')).toBe(false);
  });

  it('defers the read to apply when its argument is unknown, then reads it before its users', async () => {
    const w = withData(makeWorld());
    const dir = workdir({
      'main.tf': `resource "fake_key" "k" {
  region = "eu-west-1"
}
data "fake_key" "k" {
  id = fake_key.k.id
}
resource "fake_thing" "t" {
  name = "t1"
  key  = data.fake_key.k.region
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(errors(p)).toEqual([]);
    expect(p.reads).toEqual([
      expect.objectContaining({ address: 'data.fake_key.k', result: null, unknownArgs: ['id'] }),
    ]);
    const text = renderPlanText(p);
    expect(text).toContain(' <= read (data resources)');
    expect(text).toContain('# data.fake_key.k will be read during apply');
    expect(text).toContain('+ id = (known after apply)');
    // `show -json`: a "read" change, as terraform writes it.
    const json = renderPlanJson(p) as { resource_changes: Array<Record<string, unknown>> };
    expect(json.resource_changes[0]).toMatchObject({
      address: 'data.fake_key.k',
      mode: 'data',
      change: { actions: ['read'], after_unknown: { id: true } },
      action_reason: 'read_because_config_unknown',
    });
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(w.calls).toEqual(['create-key eu-west-1', 'read-key key-1', 'create-thing t1']);
    expect([...w.objects.values()].find((o) => o.name === 't1')!.key).toBe('eu-west-1');
  });

  it('defers when a resource it depends on has changes planned, reads at plan otherwise', async () => {
    const w = withData(makeWorld());
    const dir = workdir({ 'main.tf': 'resource "fake_key" "k" {\n  region = "eu-west-1"\n}\n' });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, {
      'main.tf': `resource "fake_key" "k" {
  region = "eu-west-1"
  alias  = "alias/new"
}
data "fake_key" "k" {
  id         = "key-1"
  depends_on = [fake_key.k]
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.reads![0]).toMatchObject({
      deferred: 'it depends on fake_key.k, which has changes planned',
    });
    await apply(p, { dir, deps: w.deps });
    const again = await plan({ dir, deps: w.deps });
    expect(again.reads![0]!.deferred).toBeUndefined();
    expect(again.reads![0]!.result).toMatchObject({ alias: 'alias/new' });
  });

  it('not found, an unknown type and a missing argument are diagnostics at the block', async () => {
    const w = withData(makeWorld());
    const dir = workdir({
      'main.tf': `data "fake_key" "gone" {
  id = "nope"
}
data "fake_keys" "typo" {
  id = "x"
}
data "fake_key" "empty" {
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(errors(p).map((d) => [d.code, d.address, d.line, d.summary])).toEqual([
      ['IMPORT_NOT_FOUND', 'data.fake_key.gone', 2, 'fake_key: no object matches id = "nope"'],
      ['CONFIG_UNSUPPORTED', 'data.fake_keys.typo', 4, 'Unsupported data source type "fake_keys"'],
      [
        'CONFIG_SCHEMA',
        'data.fake_key.empty',
        7,
        'Missing required argument "id" in data "fake_key"',
      ],
    ]);
  });

  it('a reference to an undeclared data source is CONFIG_REFERENCE with a suggestion', async () => {
    const dir = workdir({
      'main.tf': `data "fake_key" "main" {
  id = "x"
}
output "o" {
  value = data.fake_key.mian.arn
}
`,
    });
    const r = await loadConfig(dir);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.summary])).toEqual([
      ['CONFIG_REFERENCE', 5, 'Reference to undeclared data source "data.fake_key.mian"'],
    ]);
    expect(r.diagnostics[0]!.detail).toContain('data.fake_key.main');
  });
});

describe('custom conditions', () => {
  it('a failed precondition stops the instance with its message at its line', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `variable "size" {
  default = 0
}
resource "fake_thing" "t" {
  name = "t1"
  lifecycle {
    precondition {
      condition     = var.size > 0
      error_message = "size must be positive, got \${var.size}."
    }
  }
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(
      errors(p).map((d) => [d.code, d.summary, d.detail.split('\n')[0], d.line, d.address]),
    ).toEqual([
      [
        'CONDITION_FAILED',
        'Resource precondition failed',
        'size must be positive, got 0.',
        7,
        'fake_thing.t',
      ],
    ]);
    expect(p.changes).toEqual([]);
  });

  it('a postcondition reads self; an unknown one waits for apply and is checked there', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `resource "fake_thing" "t" {
  name = "t1"
  lifecycle {
    postcondition {
      condition     = self.name == "t1"
      error_message = "wrong name"
    }
    postcondition {
      condition     = startswith(self.id, "key-")
      error_message = "the id is not a key id: \${self.id}"
    }
  }
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(errors(p)).toEqual([]);
    expect(p.deferredConditions).toEqual(['fake_thing.t postcondition (main.tf:8)']);
    const r = await apply(p, { dir, deps: w.deps });
    const failed = r.diagnostics.filter((d) => d.code === 'CONDITION_FAILED');
    expect(failed.map((d) => d.detail.split('\n')[0])).toEqual(['the id is not a key id: thing-1']);
    // The object was created and stays recorded, as terraform does.
    expect(r.state!.resources.map((x) => x.name)).toEqual(['t']);
  });

  it('validations may read other variables and locals; several per variable', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf': `variable "min" {
  default = 2
}
locals {
  max = 5
}
variable "size" {
  type    = number
  default = 9
  validation {
    condition     = var.size >= var.min
    error_message = "too small"
  }
  validation {
    condition     = var.size <= local.max
    error_message = "too big"
  }
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(errors(p).map((d) => [d.summary, d.detail.split('\n')[0], d.line])).toEqual([
      ['Invalid value for variable "size"', 'too big', 14],
    ]);
    const ok = await plan({ dir, deps: w.deps, cliVars: { size: '3' } });
    expect(errors(ok)).toEqual([]);
  });

  it('a check assert only warns, and a check data source that fails only warns', async () => {
    const w = withData(makeWorld());
    const dir = workdir({
      'main.tf': `resource "fake_thing" "t" {
  name = "t1"
}
check "health" {
  data "fake_key" "k" {
    id = "missing"
  }
  assert {
    condition     = fake_thing.t.name == "t2"
    error_message = "expected t2"
  }
}
`,
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.errored).toBe(false);
    expect(p.diagnostics.map((d) => [d.severity, d.code, d.summary])).toEqual([
      ['warning', 'CHECK_FAILED', 'check "health": fake_key: no object matches id = "missing"'],
      ['warning', 'CHECK_FAILED', 'Check block assertion failed (check.health)'],
    ]);
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.some((d) => d.code === 'CHECK_FAILED')).toBe(true);
  });

  it('checkConditions: a non-bool result is an error; a sensitive message is not shown', () => {
    const scope = mapScope('.', { 'var.s': new Sensitive('secret'), 'var.n': 1 });
    const pos = { file: 'main.tf', line: 3 };
    const cond = (condition: string, message: string) => ({
      kind: 'precondition' as const,
      condition: {
        evaluate: (s: typeof scope) => s.lookup(condition, pos)!,
        refs: [],
        references: [],
        instanceReferences: () => [],
        pos,
        text: condition,
      },
      errorMessage: {
        evaluate: (s: typeof scope) => s.lookup(message, pos)!,
        refs: [],
        references: [],
        instanceReferences: () => [],
        pos,
        text: message,
      },
      pos,
    });
    const r = checkConditions([cond('var.n', 'var.s')], scope, 'x.y');
    expect(r.diagnostics[0]).toMatchObject({ summary: 'Invalid condition result', line: 3 });
    const s = checkConditions(
      [
        {
          ...cond('var.n', 'var.s'),
          condition: { ...cond('var.n', 'var.s').condition, evaluate: () => false },
        },
      ],
      scope,
      'x.y',
    );
    expect(s.diagnostics[0]!.detail).toContain('sensitive value, so it will not be displayed');
    expect(s.diagnostics[0]!.detail).not.toContain('secret');
  });
});

describe('replace_triggered_by', () => {
  const config = (alias: string, size: number) => `resource "fake_key" "k" {
  region = "eu-west-1"
  alias  = "${alias}"
}
resource "fake_thing" "a" {
  name = "a"
  lifecycle {
    replace_triggered_by = [fake_key.k]
  }
}
resource "fake_thing" "b" {
  name = "b"
  size = ${size}
  lifecycle {
    replace_triggered_by = [fake_key.k.region]
  }
}
`;

  it('a change of the referenced resource replaces; an unchanged attribute does not', async () => {
    const w = makeWorld();
    const dir = workdir({ 'main.tf': config('alias/one', 1) });
    await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    write(dir, { 'main.tf': config('alias/two', 2) });
    const p = await plan({ dir, deps: w.deps });
    expect(errors(p)).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.action, c.actionReason ?? ''])).toEqual([
      ['fake_key.k', 'update', ''],
      ['fake_thing.a', 'replace', 'replace_by_triggers'],
      ['fake_thing.b', 'update', ''],
    ]);
    expect(renderPlanText(p)).toContain(
      '# (will be replaced due to changes in replace_triggered_by)',
    );
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    // Destroyed, then created again (no create_before_destroy).
    expect(w.calls.filter((c) => c.endsWith(' a')).slice(1)).toEqual([
      'delete-thing a',
      'create-thing a',
    ]);
    // Nothing changes now: no trigger.
    const again = await plan({ dir, deps: w.deps });
    expect(again.changes.every((c) => c.action === 'noop')).toBe(true);
  });

  it('an entry that is not a resource reference is CONFIG_REFERENCE', async () => {
    const dir = workdir({
      'main.tf': `variable "v" {
  default = 1
}
resource "fake_thing" "a" {
  name = "a"
  lifecycle {
    replace_triggered_by = [var.v]
  }
}
`,
    });
    const r = await loadConfig(dir);
    expect(r.diagnostics.map((d) => [d.code, d.summary])).toEqual([
      ['CONFIG_REFERENCE', 'Invalid replace_triggered_by entry "${var.v}"'],
    ]);
  });
});
