// Loader edge cases, each on a small inline configuration: block vs attribute shapes, repeated
// blocks, single-line blocks, heredocs, JSON array forms, and the rarer diagnostics.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, mapScope, type LoadResult } from '../../../src/engine/config/index.js';

async function load(files: Record<string, string>): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-shapes-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return loadConfig(dir);
}
const brief = (r: LoadResult) =>
  r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line} ${d.summary}`);
const scope = mapScope('.', { 'var.r': 'eu' });

describe('HCL shapes', () => {
  it('a block is an object, a repeated block a list, an attribute keeps its own shape', async () => {
    const r = await load({
      'main.tf': `variable "r" {}
resource "x_thing" "a" {
  one {
    v = 1
  }
  many {
    v = 1
  }
  many {
    v = var.r
    inner {
      deep = true
    }
  }
  list_attr = [{ v = 1 }]
  obj_attr  = { v = 1 }
}
`,
    });
    expect(brief(r)).toEqual([]);
    const a = r.config.resources[0]!.attributes;
    expect(a.one!.evaluate(scope)).toEqual({ v: 1 });
    expect(a.many!.evaluate(scope)).toEqual([{ v: 1 }, { v: 'eu', inner: { deep: true } }]);
    expect(a.many!.refs).toEqual(['var.r']);
    expect(a.list_attr!.evaluate(scope)).toEqual([{ v: 1 }]);
    expect(a.obj_attr!.evaluate(scope)).toEqual({ v: 1 });
    expect([a.one!.pos.line, a.many!.pos.line, a.list_attr!.pos.line]).toEqual([3, 6, 15]);
  });

  it('single-line blocks, heredocs and comments keep lines right', async () => {
    const r = await load({
      'main.tf': `/* header
   comment */
variable "r" { default = "eu" }
# a comment with resource "fake" "block" {
resource "x_thing" "a" {
  policy = <<-EOT
    {"region": "\${var.r}"}
  EOT
  after = "x" // trailing
}
`,
    });
    expect(brief(r)).toEqual([]);
    expect(r.config.variables[0]!.pos.line).toBe(3);
    expect(r.config.variables[0]!.default).toBe('eu');
    const res = r.config.resources[0]!;
    expect(res.pos.line).toBe(5);
    expect(res.attributes.policy!.evaluate(scope)).toBe('{"region": "eu"}\n');
    expect(res.attributes.after!.pos.line).toBe(9);
  });

  it('an HCL syntax error is a diagnostic with its line and column; parsing stops there', async () => {
    const r = await load({ 'main.tf': 'a = "unterminated\nb = 1\n' });
    expect(brief(r)).toEqual(['error CONFIG_SYNTAX main.tf:1 Invalid multi-line string']);
    expect(r.diagnostics[0]).toMatchObject({ line: 1, column: 18 });
    expect(r.diagnostics[0]!.detail).toContain('heredoc');
  });

  it('a byte order mark and CRLF line endings change nothing', async () => {
    const r = await load({
      'main.tf':
        '\uFEFFvariable "r" {\r\n  default = "eu"\r\n}\r\n\r\nresource "x_t" "a" {\r\n  region = var.r\r\n}\r\n',
      'b.tf.json': '\uFEFF{ "locals": { "l": 1 } }',
    });
    expect(brief(r)).toEqual([]);
    expect(r.config.resources[0]!.pos.line).toBe(5);
    expect(r.config.resources[0]!.attributes.region!.pos.line).toBe(6);
    expect(r.config.resources[0]!.attributes.region!.evaluate(scope)).toBe('eu');
    expect(r.config.locals[0]!.name).toBe('l');
  });

  it('problems inside object literals and heredocs point at their own line', async () => {
    const r = await load({
      'main.tf': `resource "x_thing" "a" {
  tags = {
    team = "data"
    owner = {
      name = var.nope
    }
  }
  list = [
    {
      k = bcrypt("x")
    },
  ]
  policy = <<EOT
line one
\${local.missing}
EOT
}
`,
    });
    expect(r.diagnostics.map((d) => [d.line, d.summary])).toEqual([
      [5, 'Reference to undeclared variable "var.nope"'],
      [10, 'The function bcrypt() is not supported'],
      [15, 'Reference to undeclared local value "local.missing"'],
    ]);
  });

  it('a duplicate resource in one file is reported at the second block', async () => {
    const r = await load({
      'main.tf': `resource "x_thing" "a" {
  v = 1
}

resource "x_thing" "a" {
  v = 2
}
`,
    });
    expect(brief(r)).toEqual(['error CONFIG_SCHEMA main.tf:5 Duplicate resource "x_thing.a"']);
    expect(r.diagnostics[0]!.detail).toContain('main.tf:1');
  });

  it('duplicate locals across blocks, outputs without value, and bad lifecycle values', async () => {
    const r = await load({
      'main.tf': `variable "b" { default = true }
locals {
  a = 1
}
locals {
  a = 2
}
output "o" {
  description = "no value"
}
resource "x_thing" "t" {
  lifecycle {
    prevent_destroy = var.b
    ignore_changes  = "tags"
  }
  depends_on = [var.b]
}
`,
    });
    expect(brief(r)).toEqual([
      'error CONFIG_SCHEMA main.tf:6 Duplicate local value "a"',
      'error CONFIG_SCHEMA main.tf:8 Output "o" has no value',
      'error CONFIG_SCHEMA main.tf:13 lifecycle.prevent_destroy must be true or false',
      'error CONFIG_SCHEMA main.tf:14 ignore_changes must be a list of attribute names or all',
      'error CONFIG_REFERENCE main.tf:16 Invalid depends_on entry "${var.b}"',
    ]);
  });

  it('ignore_changes = all, create_before_destroy, provider = cmek', async () => {
    const r = await load({
      'main.tf': `resource "x_thing" "t" {
  provider = cmek
  lifecycle {
    ignore_changes        = all
    create_before_destroy = true
  }
}
`,
    });
    expect(brief(r)).toEqual([]);
    expect(r.config.resources[0]!.lifecycle).toEqual({
      preventDestroy: false,
      createBeforeDestroy: true,
      ignoreChanges: 'all',
    });
    expect(r.config.resources[0]!.attributes).toEqual({});
  });

  it('terraform block: other backends, cloud, and a second backend', async () => {
    const r = await load({
      'a.tf': `terraform {
  backend "s3" {
    bucket = "b"
  }
}
`,
      'b.tf': `terraform {
  cloud {
    organization = "o"
  }
  backend "local" {}
}
`,
    });
    expect(brief(r)).toEqual([
      'error CONFIG_UNSUPPORTED a.tf:2 The backend "s3" is not supported',
      'error CONFIG_UNSUPPORTED b.tf:2 terraform.cloud is not supported',
      'error CONFIG_SCHEMA b.tf:5 Duplicate backend',
    ]);
    expect(r.config.backend).toEqual({ type: 'local', path: 'terraform.tfstate' });
  });

  it('override files, moved blocks and a second provider "cmek" block', async () => {
    const r = await load({
      'main.tf': `provider "cmek" {}
provider "cmek" {
  alias = "two"
}
moved {
  from = x_thing.a
  to   = x_thing.b
}
`,
      'main_override.tf': `resource "x_thing" "a" {}\n`,
    });
    expect(brief(r)).toEqual([
      'error CONFIG_SCHEMA main.tf:2 Duplicate provider "cmek" block',
      'error CONFIG_UNSUPPORTED main_override.tf:1 An override file is not supported',
    ]);
    expect(r.config.files).toEqual(['main.tf']);
    // The moved block is read (the planner applies it).
    expect(r.config.moved).toEqual([
      {
        from: 'x_thing.a',
        to: 'x_thing.b',
        pos: expect.objectContaining({ file: 'main.tf', line: 5 }),
      },
    ]);
  });

  it('duplicate keys in a .tf.json object warn; the last wins', async () => {
    const r = await load({
      'main.tf.json': '{\n"locals": {\n  "a": 1,\n  "a": 2\n}\n}\n',
    });
    expect(brief(r)).toEqual(['warning CONFIG_SYNTAX main.tf.json:4 Duplicate object key "a"']);
    expect(r.config.locals.map((l) => l.value.evaluate(scope))).toEqual([2]);
  });

  it('skips hidden files, like Terraform', async () => {
    const r = await load({
      'main.tf': 'locals {\n  a = 1\n}\n',
      '.scratch.tf': 'not hcl at all {',
    });
    expect(brief(r)).toEqual([]);
    expect(r.config.files).toEqual(['main.tf']);
  });

  it('mixes .tf and .tf.json in one directory, in name order', async () => {
    const r = await load({
      'b.tf.json': JSON.stringify({
        resource: [{ x_thing: { j: { v: '${x_thing.h.id}' } } }],
        variable: { d: { default: '${not a template}' } },
      }),
      'a.tf': `resource "x_thing" "h" {}\n`,
    });
    expect(brief(r)).toEqual([]);
    expect(r.config.files).toEqual(['a.tf', 'b.tf.json']);
    expect(r.config.resources.map((x) => x.address)).toEqual(['x_thing.h', 'x_thing.j']);
    expect(r.config.resources[1]!.attributes.v!.refs).toEqual(['x_thing.h']);
    expect(r.config.resources[1]!.attributes.v!.text).toBe('x_thing.h.id');
    // JSON-syntax variable defaults are literal, as in Terraform.
    expect(r.config.variables[0]!.default).toBe('${not a template}');
  });

  it('count.index is valid only in resources with count; count itself cannot use it', async () => {
    const r = await load({
      'main.tf': `resource "x_thing" "t" {
  count = count.index
  name  = "n-\${count.index}"
}
output "o" {
  value = count.index
}
`,
    });
    expect(brief(r)).toEqual([
      'error CONFIG_REFERENCE main.tf:2 Reference to count.index outside a resource with count',
      'error CONFIG_REFERENCE main.tf:6 Reference to count.index outside a resource with count',
    ]);
  });
});
