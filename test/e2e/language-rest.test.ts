// The smaller pieces of the configuration language through the real CLI (docs/configuration.md):
// every syntax error of a file reported in one run, each with its range; CMEK rule diagnostics
// with the column and end of the attribute they are about, in plan, validate and policy check.
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
