import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../src/model/diagnostics.js';
import { RULES, explainCode, explainText } from '../../src/rules/index.js';

const docs = readFileSync(fileURLToPath(new URL('../../docs/rules.md', import.meta.url)), 'utf8');

// The codes of the CMEK rules and of the state, listed first in src/model/diagnostics.ts (up to
// STATE_LOCKED): each has a section in docs/rules.md. docs/contract.md lists every code.
function ruleCodes(): string[] {
  return DIAGNOSTIC_CODES.slice(0, DIAGNOSTIC_CODES.indexOf('STATE_LOCKED') + 1);
}

describe('docs/rules.md and explainCode', () => {
  const codes = ruleCodes();

  it('covers the rule and state codes', () => {
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
