// cmek's formatter against `terraform fmt`: test/fixtures/fmt/in/* are inputs, out/* what
// terraform 1.11 printed for them (regenerate with test/fixtures/fmt/regenerate.sh). Every
// file must agree byte for byte, and formatting must be idempotent.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatHcl } from '../../src/engine/config/format.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'fmt');
const FILES = readdirSync(join(DIR, 'in')).sort();

describe('formatHcl agrees with terraform fmt on the corpus', () => {
  it('has a corpus with an expected output for every input', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(14);
    expect(readdirSync(join(DIR, 'out')).sort()).toEqual(FILES);
  });
  for (const f of FILES) {
    it(f, () => {
      const input = readFileSync(join(DIR, 'in', f), 'utf8');
      const want = readFileSync(join(DIR, 'out', f), 'utf8');
      expect(formatHcl(input)).toBe(want);
      expect(formatHcl(want)).toBe(want);
    });
  }
});
