// The terraform habits through the real binary: one-line usage errors, verb help, version,
// fmt (check/write/syntax error), taint/untaint and state mv on a real state, graph, -input.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, copyExample, tempDir } from './harness.js';

beforeAll(() => {
  cliBin();
}, 300_000);

describe('usage errors and help', () => {
  it('answers an unknown verb in one line with a suggestion, exit 1', () => {
    const r = cmek(tempDir(), ['plna']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'cmek: unknown command "plna". Did you mean "plan"? Run cmek -help for the list. (USAGE)',
    ]);
  });
  it('echoes a mistyped flag as typed, with the nearest flag', () => {
    const r = cmek(tempDir(), ['apply', '-auto-aprove']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'cmek apply: unknown flag "-auto-aprove". Did you mean "-auto-approve"? Run cmek apply -help for its flags. (USAGE)',
    );
  });
  it('prints the help of the verb for VERB -help, exit 0', () => {
    const r = cmek(tempDir(), ['fmt', '-help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: cmek fmt');
    expect(r.stdout).not.toContain('Usage: cmek [options] [command]');
  });
  it('version -json has terraform version -json shape', () => {
    const r = cmek(tempDir(), ['version', '-json']);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    expect(v).toEqual({
      cmek_version: pkg.version,
      platform: expect.stringMatching(/^[a-z]+_[a-z0-9]+$/),
      provider_selections: {},
    });
    expect(cmek(tempDir(), ['--version']).stdout.trim()).toBe(pkg.version);
  });
});

describe('cmek fmt', () => {
  it('-check exits 3 and changes nothing; a plain run rewrites; a syntax error is untouched', () => {
    const dir = tempDir({ 'a.tf': 'locals {\nx=1\n  yy = "b"   \n}\n', 'ok.tf': 'locals {}\n' });
    const check = cmek(dir, ['fmt', '-check']);
    expect(check.code).toBe(3);
    expect(check.stdout.trim()).toBe('a.tf');
    expect(readFileSync(join(dir, 'a.tf'), 'utf8')).toBe('locals {\nx=1\n  yy = "b"   \n}\n');
    const run = cmek(dir, ['fmt']);
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, 'a.tf'), 'utf8')).toBe('locals {\n  x  = 1\n  yy = "b"\n}\n');
    const bad = 'locals {\n  x = \n}\n';
    writeFileSync(join(dir, 'bad.tf'), bad);
    const err = cmek(dir, ['fmt', '-diff']);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/CONFIG_SYNTAX/);
    expect(err.stderr).toMatch(/bad\.tf:\d/);
    expect(readFileSync(join(dir, 'bad.tf'), 'utf8')).toBe(bad);
  }, 120_000);
});

describe('state edits, graph and -input on the quickstart', () => {
  it('taint, untaint, state mv, graph, -input=false', () => {
    const dir = copyExample('quickstart');
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    const state = () => readFileSync(join(dir, 'terraform.tfstate'), 'utf8');

    expect(cmek(dir, ['taint', 'cmek_kms_key.orders']).code).toBe(0);
    const tainted = JSON.parse(state());
    const key = tainted.resources.find((r: { type: string }) => r.type === 'cmek_kms_key');
    expect(key.instances[0].status).toBe('tainted');
    expect(cmek(dir, ['untaint', 'cmek_kms_key.orders']).code).toBe(0);
    expect(state()).not.toContain('"tainted"');
    const again = cmek(dir, ['untaint', 'cmek_kms_key.orders']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('USAGE: Resource instance cmek_kms_key.orders is not tainted');

    const before = state();
    const exists = cmek(dir, ['state', 'mv', 'cmek_kms_key.orders', 'cmek_kms_key.orders']);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain('already exists in the state');
    const missing = cmek(dir, ['state', 'mv', 'cmek_kms_key.nope', 'cmek_kms_key.x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('USAGE: No resource instance cmek_kms_key.nope');
    expect(state()).toBe(before);
    const mv = cmek(dir, ['state', 'mv', 'cmek_kms_key.orders', 'cmek_kms_key.sales']);
    expect(mv.code).toBe(0);
    expect(cmek(dir, ['state', 'list']).stdout).toContain('cmek_kms_key.sales\n');

    const g = cmek(dir, ['graph']);
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(/^digraph G \{\n/);
    expect(g.stdout).toContain('"cmek_kms_key_policy.orders" -> "cmek_kms_key.orders";');
    expect(g.stdout.trimEnd().endsWith('}')).toBe(true);

    const noInput = cmek(dir, ['destroy', '-input=false']);
    expect(noInput.code).toBe(1);
    expect(noInput.stderr).toContain('USAGE: Approval needed but -input=false');
  }, 300_000);
});
