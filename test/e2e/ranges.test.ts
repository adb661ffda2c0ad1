// Diagnostics with ranges through the real CLI (docs/cli/errors.md, "Where"): the text output
// says file:line:column, `validate -json` carries line, column, endLine and endColumn, for a
// reference error and for a syntax error found by the native HCL parser.
import { describe, expect, it } from 'vitest';
import { cmek, tempDir } from './harness.js';

const CONFIG = `resource "cmek_kms_key" "k" {
  region = var.regoin
}
`;

describe('diagnostics carry ranges', () => {
  it('text output names file:line:column of the reference', { timeout: 180_000 }, () => {
    const dir = tempDir({ 'main.tf': CONFIG });
    const r = cmek(dir, ['validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Error: CONFIG_REFERENCE: Reference to undeclared variable "var.regoin"',
    );
    expect(r.stderr).toContain('on main.tf:2:12 cmek_kms_key.k (region)');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('validate -json carries the range', { timeout: 180_000 }, () => {
    const dir = tempDir({ 'main.tf': CONFIG });
    const r = cmek(dir, ['validate', '-json']);
    const out = JSON.parse(r.stdout) as { diagnostics: Array<Record<string, unknown>> };
    expect(out.diagnostics).toEqual([
      expect.objectContaining({
        code: 'CONFIG_REFERENCE',
        file: 'main.tf',
        line: 2,
        column: 12,
        endLine: 2,
        endColumn: 22,
      }),
    ]);
  });

  it(
    'a syntax error points at the column where the line should have ended',
    { timeout: 180_000 },
    () => {
      const dir = tempDir({ 'main.tf': 'variable "a" {\n  default = 1 type = number\n}\n' });
      const r = cmek(dir, ['validate']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Error: CONFIG_SYNTAX: Missing newline after argument definition');
      expect(r.stderr).toContain('on main.tf:2:15');
    },
  );
});
