// Every rule, both outcomes, for each provider family: the plan JSON files in
// test/fixtures/policy/plans (expected.json lists the unsuppressed codes each must yield),
// checked through the library entry `policyCheck` (file reading, plan parsing, role tables,
// rules).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyCheck } from '../../src/policy/index.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'policy', 'plans');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<
  string,
  string[]
>;

describe('policy check over the rule fixtures', () => {
  it('covers every family and both outcomes', () => {
    const names = Object.keys(expected);
    for (const fam of ['aws', 'google', 'clickhouse']) {
      expect(names.some((n) => n.includes(`-${fam}`) && expected[n]!.length > 0)).toBe(true);
      expect(names.some((n) => n.includes(`-${fam}`) && expected[n]!.length === 0)).toBe(true);
    }
  });
  for (const [file, codes] of Object.entries(expected)) {
    it(`${file} → ${codes.length ? codes.join(', ') : 'no finding'}`, async () => {
      const r = await policyCheck([join(DIR, file)]);
      const got = r.findings.filter((f) => !f.suppressed).map((f) => f.code);
      expect([...new Set(got)].sort()).toEqual(codes);
      for (const f of r.findings) {
        expect(f.address, f.summary).toBeDefined();
        expect(f.file).toContain(file);
        expect(f.line, f.summary).toBeGreaterThan(0);
      }
    });
  }
});
