// Local modules through the real CLI, the parts the modules work left: a child module's output
// whose value is sensitive must be declared `sensitive = true` (terraform's "Output refers to
// sensitive values", at the module's output line, with the module address), a sensitive output
// stays sensitive in its callers; and `check` blocks inside module instances warn per instance
// at `module.NAME[KEY].check.NAME`.
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from './harness.js';

beforeAll(() => {
  cliBin();
}, 180_000);

const ROOT_TF = [
  'variable "password" {',
  '  type      = string',
  '  sensitive = true',
  '  default   = "hunter2-not-real"',
  '}',
  '',
  'module "db" {',
  '  source   = "./m"',
  '  password = var.password',
  '}',
  '',
].join('\n');

describe('module outputs and sensitivity', () => {
  it('a child output of a sensitive value must be declared sensitive, at its own file:line', () => {
    const dir = tempDir({
      'main.tf': ROOT_TF,
      'm/main.tf': [
        'variable "password" {',
        '  type = string',
        '}',
        '',
        'output "dsn" {',
        '  value = "postgres://app:${var.password}@db"',
        '}',
        '',
      ].join('\n'),
    });
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Output refers to sensitive values');
    expect(r.stderr).toContain('Output "dsn" of module.db uses a sensitive value');
    expect(r.stderr).toMatch(/m[/\\]main\.tf:5/);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stdout + r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  }, 120_000);

  it('declared sensitive, it is sensitive in the caller: a root output must say so too', () => {
    // The value itself is not sensitive: only the declaration marks it.
    const child = [
      'variable "password" {',
      '  type = string',
      '}',
      '',
      'output "dsn" {',
      '  value     = "postgres://app@db-internal"',
      '  sensitive = true',
      '}',
      '',
    ].join('\n');
    const bare = tempDir({
      'main.tf': `${ROOT_TF}output "dsn" {\n  value = module.db.dsn\n}\n`,
      'm/main.tf': child,
    });
    const r = cmek(bare, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Output "dsn" uses a sensitive value');
    expect(r.stderr).toMatch(/on main\.tf:11 \(output\.dsn\)/);

    const declared = tempDir({
      'main.tf': `${ROOT_TF}output "dsn" {\n  value     = module.db.dsn\n  sensitive = true\n}\n`,
      'm/main.tf': child,
    });
    const ok = cmek(declared, ['plan']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('(sensitive value)');
    expect(ok.stdout).not.toContain('db-internal');
  }, 120_000);
});

describe('check blocks inside modules', () => {
  it('warn per module instance at module.NAME[KEY].check.NAME, at plan and apply, never failing', () => {
    const dir = tempDir({
      'main.tf': [
        'module "app" {',
        '  source   = "./m"',
        '  for_each = { small = 1, big = 5 }',
        '  size     = each.value',
        '}',
        '',
      ].join('\n'),
      'm/main.tf': [
        'variable "size" {',
        '  type = number',
        '}',
        '',
        'check "capacity" {',
        '  assert {',
        '    condition     = var.size > 2',
        '    error_message = "size is ${var.size}, below 3."',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    const plan = cmek(dir, ['plan']);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain(
      'Warning: CHECK_FAILED: Check block assertion failed (module.app["small"].check.capacity)',
    );
    expect(plan.stderr).toMatch(/on m[/\\]main\.tf:6 module\.app\["small"\]\.check\.capacity/);
    expect(plan.stderr).toContain('size is 1, below 3.');
    expect(plan.stderr).not.toContain('module.app["big"]');
    expect(plan.stderr).not.toContain('check.module');

    const apply = cmek(dir, ['apply', '-auto-approve']);
    expect(apply.code).toBe(0);
    expect(apply.stderr).toContain('(module.app["small"].check.capacity)');
    expect(apply.stderr).not.toContain('module.app["big"]');
  }, 120_000);
});
