import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../src/model/diagnostics.js';
import { RULES, explainCode, explainText } from '../../src/rules/index.js';

const docs = readFileSync(fileURLToPath(new URL('../../docs/rules.md', import.meta.url)), 'utf8');

// SPEC 4's table, read from the shared spec when it is there; the diagnostics module lists the
// same codes first (up to STATE_LOCKED), which is the fallback.
const SPEC = '/work/shared/SPEC.md';
function specCodes(): string[] {
  if (!existsSync(SPEC)) {
    console.warn(`${SPEC} not found: using the SPEC 4 codes listed in src/diagnostics.ts`);
    return DIAGNOSTIC_CODES.slice(0, DIAGNOSTIC_CODES.indexOf('STATE_LOCKED') + 1);
  }
  const text = readFileSync(SPEC, 'utf8');
  const section = text.slice(text.indexOf('## 4.'), text.indexOf('## 5.'));
  return [...new Set([...section.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]!))];
}

describe('docs/rules.md and explainCode', () => {
  const codes = specCodes();

  it('reads the codes of SPEC 4', () => {
    expect(codes).toContain('CMEK_REGION_MISMATCH');
    expect(codes).toContain('STATE_LOCKED');
    expect(codes.length).toBeGreaterThanOrEqual(22);
  });

  for (const code of codes) {
    it(`${code} is documented and explained`, () => {
      expect(docs).toContain(code);
      const e = explainCode(code);
      expect(e?.code).toBe(code);
      expect(e!.description.length).toBeGreaterThan(20);
      expect(e!.remedy.length).toBeGreaterThan(10);
    });
  }

  it('every plan-time rule has its own section with an HCL example', () => {
    for (const code of Object.keys(RULES)) {
      const start = docs.indexOf(`### ${code}\n`);
      expect(start, code).toBeGreaterThan(-1);
      const next = docs.indexOf('\n### ', start + 1);
      const section = docs.slice(start, next === -1 ? undefined : next);
      expect(section, code).toMatch(/\*\*When:\*\*/);
      expect(section, code).toMatch(/\*\*Remedy:\*\*/);
      expect(section, code).toContain('```hcl');
    }
  });

  it('explains every diagnostic code, and nothing else', () => {
    for (const code of DIAGNOSTIC_CODES) expect(explainText(code)).toContain(code);
    expect(explainCode('NOT_A_CODE')).toBeUndefined();
  });
});
