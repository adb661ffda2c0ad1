// The layering of src/ (.dependency-cruiser.mjs, run by `npm run lint`): the real tree passes,
// and a fixture tree that breaks each rule once is caught, rule by rule.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = join(ROOT, '.dependency-cruiser.mjs');
const FIXTURE = join(ROOT, 'test/fixtures/layering');
const BIN = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function depcruise(cwd: string, outputType: 'json' | 'err') {
  const r = spawnSync(
    process.execPath,
    [BIN, 'src', '--config', CONFIG, '--output-type', outputType],
    {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  expect(r.stderr).toBe('');
  return r;
}

/** The violations (from the JSON report) and the exit status of the run `npm run lint` makes. */
function cruise(cwd: string): { status: number | null; violations: string[] } {
  const out = JSON.parse(depcruise(cwd, 'json').stdout) as {
    summary: { violations: Violation[] };
  };
  return {
    status: depcruise(cwd, 'err').status,
    violations: out.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort(),
  };
}

describe('layering (.dependency-cruiser.mjs)', () => {
  it('src/ follows every rule', () => {
    const { status, violations } = cruise(ROOT);
    expect(violations).toEqual([]);
    expect(status).toBe(0);
  }, 60_000);

  it('catches each broken rule in the fixture tree, and exits non-zero', () => {
    const { status, violations } = cruise(FIXTURE);
    expect(violations).toEqual([
      'core-below-service-and-engine: src/core/core.ts → src/service/service.ts',
      'kms-below-core: src/kms/kms.ts → src/core/core.ts',
      'model-imports-nothing: src/model/value.ts → src/rules/rule.ts',
      'no-folder-cycles: src/resources → src/service',
      'no-folder-cycles: src/service → src/resources',
      'nothing-imports-cli: src/engine/engine.ts → src/cli/cli.ts',
      'rules-import-only-model: src/rules/rule.ts → src/engine/engine.ts',
    ]);
    expect(status).not.toBe(0);
  }, 60_000);
});
