// docs/cdktf.md shows what exists: its example is examples/cdktf/main.ts verbatim (which
// test/cdktf/example.test.ts runs), its construct table is the generated classes, and the codes
// it says the Aspect checks at synth are the ones test/cdktf/cases.ts proves.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { className } from '../../scripts/gen-cdktf.js';
import { describeResources } from '../../src/resources/index.js';
import { REVIEW_RULES, RULES } from '../../src/rules/index.js';
import { ROOT } from '../e2e/harness.js';
import { RULE_CASES } from './cases.js';

const page = readFileSync(join(ROOT, 'docs/cdktf.md'), 'utf8');
const section = (title: string) => {
  const start = page.indexOf(`\n## ${title}`);
  expect(start, title).toBeGreaterThan(0);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
};

describe('docs/cdktf.md', () => {
  it('shows examples/cdktf/main.ts as it is', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(section('Example'))![1];
    expect(block).toBe(readFileSync(join(ROOT, 'examples/cdktf/main.ts'), 'utf8'));
  });

  it('lists every generated construct with its resource type', () => {
    const rows = [...section('The constructs').matchAll(/^\| `(\w+)` \| `(\w+)` \|/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(rows).toEqual(describeResources().map((d) => [className(d.type), d.type]));
  });

  it('names as checked at synth exactly the codes the Aspect tests prove', () => {
    const aspect = section('The `CmekRules` Aspect');
    const list = aspect.slice(aspect.indexOf('every rule about what a plan creates'));
    const atSynth = [...list.slice(0, list.indexOf('(each has')).matchAll(/`(CMEK_\w+)`/g)].map(
      (m) => m[1],
    );
    expect(atSynth.sort()).toEqual(Object.keys(RULE_CASES).sort());
    // Every code the section names is a rule or a review finding, and every rule is named
    // (as checked at synth, or as needing the state).
    const named = new Set([...aspect.matchAll(/`(CMEK_\w+)`/g)].map((m) => m[1]!));
    const known = new Set([...Object.keys(RULES), ...Object.keys(REVIEW_RULES)]);
    expect([...named].filter((c) => !known.has(c))).toEqual([]);
    expect(Object.keys(RULES).filter((c) => !named.has(c))).toEqual([]);
  });
});
