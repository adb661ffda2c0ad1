// The differential test of the function library and the expression language: every expression of
// test/fixtures/tf-functions/corpus.txt evaluated by cmek must give what the real terraform gave
// (recorded in expected.json by scripts/gen-tf-functions-fixture.ts): the same JSON value and
// the same kind of type, or an error where terraform errs. The deliberate differences are the
// table "Differences from terraform" of docs/configuration.md; each must still differ, so the
// table cannot go stale. This test does not need terraform; the second block checks, where
// terraform is installed, that the recorded results are still what terraform says.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TERRAFORM,
  evaluateWithTerraform,
  FIXTURE_DIR,
  readCorpus,
  type TerraformResult,
} from '../../../scripts/gen-tf-functions-fixture.js';
import { parseExpression } from '../../../src/engine/config/index.js';
import { makeScope, varsEnv } from '../../../src/engine/eval.js';
import { terraformJson } from '../../../src/engine/config/functions/index.js';
import { DiagnosticError } from '../../../src/model/diagnostics.js';
import { isUnknown, type Value } from '../../../src/model/values.js';

const fixture = JSON.parse(readFileSync(join(FIXTURE_DIR, 'expected.json'), 'utf8')) as {
  terraform: string;
  cases: TerraformResult[];
};

const doc = readFileSync(
  fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)),
  'utf8',
);

/** The expressions of the docs' table of deliberate differences (first column, in backticks). */
function documentedDifferences(): Set<string> {
  const section = doc.split('### Differences from terraform')[1]?.split('\n## ')[0] ?? '';
  const out = new Set<string>();
  for (const m of section.matchAll(/^\| `(.+?)` \|/gm)) out.add(m[1]!.replace(/\\\|/g, '|'));
  return out;
}

type Outcome =
  | { ok: true; json: string; kind: string; unknown: boolean }
  | { ok: false; code: string; message: string };

function kindOfValue(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** The kind of a terraform type: list, tuple and set are lists; map and object are maps. */
function kindOfType(t: string): string {
  if (/^(list|tuple|set)\(/.test(t)) return 'list';
  if (/^(map|object)\(/.test(t)) return 'map';
  return t;
}

function evaluateWithCmek(expr: string, line = 1): Outcome {
  const { expr: e, diagnostics } = parseExpression(expr, { file: 'corpus.txt', line });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) return { ok: false, code: errors[0]!.code, message: errors[0]!.summary };
  try {
    // The engine's own scope of a root module (path.*, terraform.workspace), with no variables.
    const v = e.evaluate(makeScope(varsEnv({}, FIXTURE_DIR)));
    if (isUnknown(v)) return { ok: true, json: 'null', kind: 'unknown', unknown: true };
    return { ok: true, json: terraformJson(v), kind: kindOfValue(v), unknown: false };
  } catch (err) {
    if (err instanceof DiagnosticError) {
      const d = err.diagnostics[0]!;
      return { ok: false, code: d.code, message: `${d.summary}: ${d.detail}` };
    }
    throw err;
  }
}

/** Whether cmek's outcome is terraform's. */
function agrees(t: TerraformResult, c: Outcome): boolean {
  if (!t.ok) return !c.ok;
  if (!c.ok) return false;
  if ('unknown' in t) return c.unknown;
  if (c.unknown) return false;
  const tv = JSON.parse(t.json) as unknown;
  if (!isDeepStrictEqual(tv, JSON.parse(c.json))) return false;
  return tv === null || kindOfType(t.type) === c.kind;
}

describe('the function library agrees with terraform (test/fixtures/tf-functions)', () => {
  const differences = documentedDifferences();

  it('the fixture covers the whole corpus, recorded by terraform 1.11', () => {
    expect(fixture.cases.map((c) => c.expr)).toEqual(readCorpus());
    expect(fixture.cases.length).toBeGreaterThanOrEqual(400);
    expect(fixture.terraform).toMatch(/^1\.11\./);
  });

  it.each(fixture.cases.map((c, i) => [i + 1, c.expr, c] as const))('%i: %s', (_, expr, t) => {
    const c = evaluateWithCmek(expr);
    if (differences.has(expr)) {
      // A documented difference must still be one (remove it from the docs once fixed).
      expect(agrees(t, c), 'documented as a difference but agrees now').toBe(false);
      return;
    }
    if (!t.ok) {
      expect(c, `terraform: ${t.error}`).toMatchObject({ ok: false });
      if (!c.ok) expect(c.code).toMatch(/^CONFIG_/);
      return;
    }
    expect(c, 'cmek errs where terraform does not').toMatchObject({ ok: true });
    if ('unknown' in t) {
      expect(c).toMatchObject({ unknown: true });
      return;
    }
    if (!c.ok) return;
    expect(JSON.parse(c.json)).toEqual(JSON.parse(t.json));
    if (JSON.parse(t.json) !== null) expect(c.kind).toBe(kindOfType(t.type));
  });

  it('every documented difference is an expression of the corpus', () => {
    const corpus = new Set(readCorpus());
    for (const d of differences) expect(corpus.has(d), d).toBe(true);
  });
});

const haveTerraform = existsSync(DEFAULT_TERRAFORM);
if (!haveTerraform)
  console.warn(
    `SKIPPED: ${DEFAULT_TERRAFORM} is absent, so the freshness of test/fixtures/tf-functions/expected.json is not checked`,
  );

describe('the recorded results are still what terraform says', () => {
  it.skipIf(!haveTerraform)(
    `a sample of the corpus re-evaluated by ${DEFAULT_TERRAFORM} (skipped when terraform is absent)`,
    () => {
      const sample = fixture.cases.filter((_, i) => i % 40 === 0);
      for (const c of sample) expect(evaluateWithTerraform(DEFAULT_TERRAFORM, c.expr)).toEqual(c);
    },
    120_000,
  );
});
