// The smaller pieces of the configuration language through the real CLI (docs/configuration.md):
// every syntax error of a file reported in one run, each with its range; CMEK rule diagnostics
// with the column and end of the attribute they are about, in plan, validate and policy check;
// data blocks with count / for_each; import blocks with for_each (the example of
// docs/cli/import.md run as written).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, ROOT, tempDir } from './harness.js';

beforeAll(() => {
  cliBin();
}, 300_000);

describe('the parser reports every syntax error of a file', () => {
  const BROKEN = [
    'resource "cmek_kms_key" "k" {',
    '  region = = "eu-west-1"',
    '}',
    '',
    '!!! not hcl',
    '',
    'resource "cmek_kms_key" "j" {',
    '  region = "eu-west-1" alias = "alias/j"',
    '}',
    '',
  ].join('\n');

  it('validate names each error at file:line:column', { timeout: 180_000 }, () => {
    const dir = tempDir({
      'main.tf': BROKEN,
      'other.tf': 'variable "x" {\n  type = ]\n}\n',
      // Two broken arguments in one block: two errors.
      'nested.tf': 'variable "y" {\n  type    = ]\n  default = = 1\n}\n',
    });
    const r = cmek(dir, ['validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: CONFIG_SYNTAX: Invalid expression: unexpected "="');
    expect(r.stderr).toContain('on main.tf:2:12');
    expect(r.stderr).toContain('Error: CONFIG_SYNTAX: Argument or block definition required');
    expect(r.stderr).toContain('on main.tf:5:1');
    expect(r.stderr).toContain('Error: CONFIG_SYNTAX: Missing newline after argument definition');
    expect(r.stderr).toContain('on main.tf:8:24');
    expect(r.stderr).toContain('on other.tf:2:10');
    expect(r.stderr).toContain('on nested.tf:2:13');
    expect(r.stderr).toContain('on nested.tf:3:13');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('validate -json carries every range', { timeout: 180_000 }, () => {
    const dir = tempDir({ 'main.tf': BROKEN });
    const r = cmek(dir, ['validate', '-json']);
    const out = JSON.parse(r.stdout) as { diagnostics: Array<Record<string, unknown>> };
    expect(out.diagnostics.map((d) => [d.code, d.line, d.column, d.endLine, d.endColumn])).toEqual([
      ['CONFIG_SYNTAX', 2, 12, 2, 13],
      ['CONFIG_SYNTAX', 5, 1, 5, 2],
      ['CONFIG_SYNTAX', 8, 24, 8, 29],
    ]);
  });
});

describe('CMEK rule diagnostics carry the attribute range', () => {
  const MISMATCH = [
    'resource "cmek_kms_key" "k" {',
    '  region = "eu-west-1"',
    '}',
    '',
    'resource "cmek_encrypted_service" "db" {',
    '  name    = "db"',
    '  region  = "us-east-1"',
    '  kms_key = cmek_kms_key.k.arn',
    '}',
    '',
  ].join('\n');
  // `cmek_kms_key.k.arn` on line 8: columns 13 to 31 (exclusive).
  const RANGE = { line: 8, column: 13, endLine: 8, endColumn: 31 };

  it('plan prints file:line:column', { timeout: 180_000 }, () => {
    const r = cmek(tempDir({ 'main.tf': MISMATCH }), ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: CMEK_REGION_MISMATCH');
    expect(r.stderr).toContain('on main.tf:8:13 cmek_encrypted_service.db (kms_key)');
  });

  it('validate -json has column, endLine and endColumn', { timeout: 180_000 }, () => {
    const r = cmek(tempDir({ 'main.tf': MISMATCH }), ['validate', '-json']);
    const out = JSON.parse(r.stdout) as { diagnostics: Array<Record<string, unknown>> };
    expect(out.diagnostics).toEqual([
      expect.objectContaining({ code: 'CMEK_REGION_MISMATCH', file: 'main.tf', ...RANGE }),
    ]);
  });

  it('policy check: text, JSON and a SARIF region', { timeout: 180_000 }, () => {
    const dir = tempDir({ 'main.tf': MISMATCH });
    const text = cmek(dir, ['policy', 'check', '.']);
    expect(text.stdout + text.stderr).toContain('on main.tf:8:13 cmek_encrypted_service.db');
    const json = cmek(dir, ['policy', 'check', '--format', 'json', '.']);
    expect(json.stdout).toMatch(/"column": ?13/);
    expect(json.stdout).toMatch(/"endColumn": ?31/);
    const sarif = cmek(dir, ['policy', 'check', '--format', 'sarif', '.']);
    const log = JSON.parse(sarif.stdout) as {
      runs: Array<{
        results: Array<{
          ruleId: string;
          locations: Array<{ physicalLocation: { region: Record<string, number> } }>;
        }>;
      }>;
    };
    const res = log.runs[0]!.results.find((x) => x.ruleId === 'CMEK_REGION_MISMATCH')!;
    expect(res.locations[0]!.physicalLocation.region).toEqual({
      startLine: 8,
      startColumn: 13,
      endLine: 8,
      endColumn: 31,
    });
  });
});

describe('data blocks with count and for_each', () => {
  const DEFERRED = `resource "cmek_kms_key" "k" {
  for_each = toset(["a", "b"])
  region   = "eu-west-1"
  alias    = "alias/\${each.key}"
}

data "cmek_kms_key" "d" {
  for_each = cmek_kms_key.k
  key_id   = each.value.arn
}

data "cmek_kms_key" "n" {
  count  = 2
  key_id = count.index == 0 ? cmek_kms_key.k["a"].arn : cmek_kms_key.k["b"].alias
}

output "states" {
  value = { for k, v in data.cmek_kms_key.d : k => v.key_state }
}

output "aliases" {
  value = data.cmek_kms_key.n[*].alias
}

# for_each over another data block read at apply: read after it, with its values.
data "cmek_kms_key" "c" {
  for_each = data.cmek_kms_key.d
  key_id   = each.value.alias
}

output "chained" {
  value = [for k, v in data.cmek_kms_key.c : "\${k}=\${v.alias}"]
}
`;

  it(
    'reads wait for apply per instance, then the state has each instance with its index_key',
    { timeout: 300_000 },
    () => {
      const dir = tempDir({ 'main.tf': DEFERRED });
      const plan = cmek(dir, ['plan']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(' <= read (data resources)');
      for (const a of ['d["a"]', 'd["b"]', 'n[0]', 'n[1]'])
        expect(plan.stdout).toContain(`# data.cmek_kms_key.${a} will be read during apply`);
      const json = JSON.parse(cmek(dir, ['plan', '-json']).stdout) as {
        resource_changes: Array<{
          address: string;
          index?: unknown;
          change: { actions: string[] };
        }>;
      };
      const reads = json.resource_changes.filter((r) => r.change.actions[0] === 'read');
      // In the walk's order (dependencies first): compared sorted.
      expect(reads.map((r) => [r.address, r.index]).sort()).toEqual([
        ['data.cmek_kms_key.c["a"]', 'a'],
        ['data.cmek_kms_key.c["b"]', 'b'],
        ['data.cmek_kms_key.d["a"]', 'a'],
        ['data.cmek_kms_key.d["b"]', 'b'],
        ['data.cmek_kms_key.n[0]', 0],
        ['data.cmek_kms_key.n[1]', 1],
      ]);

      const apply = cmek(dir, ['apply', '-auto-approve']);
      expect(apply.code, apply.stderr).toBe(0);
      expect(apply.stdout).toContain('a = "Enabled"');
      expect(apply.stdout).toContain('"alias/a"');
      expect(apply.stdout).toContain('"alias/b"');
      expect(apply.stdout).toContain('"a=alias/a"');
      expect(apply.stdout).toContain('"b=alias/b"');
      const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')) as {
        resources: Array<{
          mode: string;
          name: string;
          each?: string;
          instances: Array<{ index_key?: unknown; attributes: { alias?: string } }>;
        }>;
      };
      const data = state.resources.filter((r) => r.mode === 'data');
      expect(
        data.map((r) => [
          r.name,
          r.each,
          r.instances.map((i) => [i.index_key, i.attributes.alias]),
        ]),
      ).toEqual([
        [
          'c',
          'map',
          [
            ['a', 'alias/a'],
            ['b', 'alias/b'],
          ],
        ],
        [
          'd',
          'map',
          [
            ['a', 'alias/a'],
            ['b', 'alias/b'],
          ],
        ],
        [
          'n',
          'list',
          [
            [0, 'alias/a'],
            [1, 'alias/b'],
          ],
        ],
      ]);
      // Known now: read at plan time, nothing to do.
      const again = cmek(dir, ['plan', '-detailed-exitcode']);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain('No changes.');
      const list = cmek(dir, ['state', 'list', 'data.cmek_kms_key.n']);
      expect(list.stdout.trim().split('\n')).toEqual([
        'data.cmek_kms_key.n[0]',
        'data.cmek_kms_key.n[1]',
      ]);
    },
  );

  it(
    'count with for_each, each without for_each and unknown keys are errors',
    { timeout: 180_000 },
    () => {
      /** stderr of a failing run of `verb` on a main.tf; never a stack trace. */
      const fails = (text: string, verb: string) => {
        const r = cmek(tempDir({ 'main.tf': text }), [verb]);
        expect(r.code).toBe(1);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        return r.stderr;
      };
      const both = fails(
        'data "cmek_kms_key" "d" {\n  count    = 1\n  for_each = {}\n  key_id   = "alias/x"\n}\n',
        'validate',
      );
      expect(both).toContain('Invalid combination of "count" and "for_each"');
      expect(both).toContain('main.tf:3');
      expect(fails('data "cmek_kms_key" "d" {\n  key_id = each.value\n}\n', 'validate')).toContain(
        'Reference to "each" in context without for_each',
      );
      const unknown = fails(
        'resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n}\n\ndata "cmek_kms_key" "d" {\n  for_each = toset([cmek_kms_key.k.arn])\n  key_id   = each.key\n}\n',
        'plan',
      );
      expect(unknown).toContain('Invalid for_each argument');
      expect(unknown).toContain('main.tf:6');
    },
  );
});

describe('import blocks with for_each', () => {
  /** The ```hcl block of docs/cli/import.md's for_each section. */
  const docExample = (): string => {
    const page = readFileSync(join(ROOT, 'docs/cli/import.md'), 'utf8');
    const section = page.slice(page.indexOf('### `for_each` on an import block'));
    return /```hcl\n([\s\S]*?)```/.exec(section)![1]!;
  };
  const RESOURCE = `
resource "cmek_kms_key" "regional" {
  for_each = var.keys
  region   = each.key == "eu" ? "eu-west-1" : "us-east-1"
  alias    = each.value
}
`;

  it('the documented example imports one object per element', { timeout: 300_000 }, () => {
    const dir = tempDir({ 'main.tf': docExample() + RESOURCE });
    for (const [region, alias] of [
      ['eu-west-1', 'alias/orders-eu'],
      ['us-east-1', 'alias/orders-us'],
    ])
      expect(cmek(dir, ['kms', 'create', '--region', region!, '--alias', alias!]).code).toBe(0);
    const plan = cmek(dir, ['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('# cmek_kms_key.regional["eu"] will be imported');
    expect(plan.stdout).toContain('# cmek_kms_key.regional["us"] will be imported');
    expect(plan.stdout).toContain('Plan: 2 to import, 0 to add, 0 to change, 0 to destroy.');
    const json = JSON.parse(cmek(dir, ['plan', '-json']).stdout) as {
      resource_changes: Array<{ address: string; change: { importing?: { id: string } } }>;
    };
    expect(json.resource_changes.map((r) => [r.address, r.change.importing?.id])).toEqual([
      ['cmek_kms_key.regional["eu"]', 'alias/orders-eu'],
      ['cmek_kms_key.regional["us"]', 'alias/orders-us'],
    ]);
    const apply = cmek(dir, ['apply', '-auto-approve']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Resources: 2 imported, 0 added, 0 changed, 0 destroyed.');
    expect(cmek(dir, ['state', 'list']).stdout.trim().split('\n')).toEqual([
      'cmek_kms_key.regional["eu"]',
      'cmek_kms_key.regional["us"]',
    ]);
    const again = cmek(dir, ['plan']);
    expect(again.stdout).toContain('No changes.');
  });

  it(
    'duplicate and unknown targets, and a for_each read from a resource, are errors',
    { timeout: 300_000 },
    () => {
      const base = docExample() + RESOURCE;
      const run = (text: string) => {
        const r = cmek(tempDir({ 'main.tf': text }), ['plan']);
        expect(r.code).toBe(1);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        return r.stderr;
      };
      expect(
        run(base.replace('cmek_kms_key.regional[each.key]', 'cmek_kms_key.regional["eu"]')),
      ).toContain(
        'Error: CONFIG_SCHEMA: Duplicate import configuration for "cmek_kms_key.regional["eu"]"',
      );
      const missing = run(
        base.replace('cmek_kms_key.regional[each.key]', 'cmek_kms_key.other[each.key]'),
      );
      expect(missing).toContain(
        'Error: CONFIG_REFERENCE: Configuration for import target cmek_kms_key.other["eu"] does not exist',
      );
      expect(missing).toContain('on main.tf:');
      expect(
        run(
          base.replace('cmek_kms_key.regional[each.key]', 'cmek_kms_key.regional["x-${each.key}"]'),
        ),
      ).toContain('Configuration for import target cmek_kms_key.regional["x-eu"] does not exist');
      expect(
        run(base.replace('for_each = var.keys\n  to', 'for_each = cmek_kms_key.regional\n  to')),
      ).toContain('Error: CONFIG_REFERENCE: Invalid import for_each');
    },
  );
});
