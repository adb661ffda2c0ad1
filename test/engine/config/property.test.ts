// Property tests: any JSON-like value written as an HCL literal parses back to itself, and
// jsondecode(jsonencode(v)) is v.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapScope, parseExpression, parseTemplate } from '../../../src/engine/config/index.js';
import type { Value } from '../../../src/model/values.js';

const scope = mapScope('.', {});
const pos = { file: 'p.tf', line: 1 };

const json: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1e9, max: 1e9 }),
    fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
      .filter((d) => !Object.is(d, -0)),
    fc.string(),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** Render a value in HCL native syntax. */
function hcl(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return v < 0 ? `-${numberText(-v)}` : numberText(v);
  if (typeof v === 'string') {
    // JSON escapes are HCL escapes, except that ${ and %{ must be doubled. (Function
    // replacements: in a replacement string `$$` would mean a single `$`.)
    return JSON.stringify(v)
      .replace(/\$\{/g, () => '$${')
      .replace(/%\{/g, () => '%%{');
  }
  if (Array.isArray(v)) return `[${v.map(hcl).join(', ')}]`;
  return `{ ${Object.entries(v)
    .map(([k, x]) => `${hcl(k)} = ${hcl(x)}`)
    .join(', ')} }`;
}
const numberText = (n: number) =>
  Number.isInteger(n) ? String(n) : n.toExponential(17).replace('e+', 'e');

describe('properties', () => {
  it('HCL literal → parse → evaluate is the identity', () => {
    fc.assert(
      fc.property(json, (v) => {
        const { expr, diagnostics } = parseExpression(hcl(v), pos);
        expect(diagnostics).toEqual([]);
        expect(expr.evaluate(scope)).toEqual(v);
        expect(expr.refs).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('jsondecode(jsonencode(v)) is v', () => {
    fc.assert(
      fc.property(json, (v) => {
        const { expr } = parseExpression(`jsondecode(jsonencode(${hcl(v)}))`, pos);
        expect(expr.evaluate(scope)).toEqual(v);
      }),
      { numRuns: 200 },
    );
  });

  it('a string without ${ or %{ is a template of itself', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('${') && !s.includes('%{')),
        (s) => {
          expect(parseTemplate(s, pos).expr.evaluate(scope)).toBe(s);
        },
      ),
      { numRuns: 300 },
    );
  });
});
