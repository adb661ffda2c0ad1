// The smaller pieces of the configuration language through the real CLI (docs/configuration.md):
// every syntax error of a file reported in one run, each with its range.
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from './harness.js';

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
    const dir = tempDir({ 'main.tf': BROKEN, 'other.tf': 'variable "x" {\n  type = ]\n}\n' });
    const r = cmek(dir, ['validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: CONFIG_SYNTAX: Invalid expression: unexpected "="');
    expect(r.stderr).toContain('on main.tf:2:12');
    expect(r.stderr).toContain('Error: CONFIG_SYNTAX: Argument or block definition required');
    expect(r.stderr).toContain('on main.tf:5:1');
    expect(r.stderr).toContain('Error: CONFIG_SYNTAX: Missing newline after argument definition');
    expect(r.stderr).toContain('on main.tf:8:24');
    expect(r.stderr).toContain('on other.tf:2:10');
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
