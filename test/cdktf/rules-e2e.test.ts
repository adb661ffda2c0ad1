// The same mismatched stacks as the Aspect test, synthesized WITHOUT the Aspect: the real
// `cmek plan` on cdktf.out/stacks/app and the real `cmek policy check` on the cdktf.out
// directory reject each with the code the Aspect reports at synth, so a team that forgets the
// Aspect still gets the finding before anything is created.
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStack } from '../../src/cdktf/index.js';
import { cliBin, cmek } from '../e2e/harness.js';
import { RULE_CASES } from './cases.js';

const out = mkdtempSync(join(tmpdir(), 'cmek-cdktf-rules-'));
// Build the CLI once, up front (slow on a loaded machine), not inside the first test.
beforeAll(() => void cliBin(), 300_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('cmek plan and cmek policy check reject the synthesized stack with the code the Aspect reports', () => {
  it.each(Object.entries(RULE_CASES))(
    '%s',
    (code, c) => {
      mkdirSync(join(out, code));
      const app = new App({ outdir: join(out, code, 'cdktf.out') });
      const stack = new TerraformStack(app, 'app');
      // The state beside the app (cdktf's default is relative to the process's cwd).
      const statePath = join(out, code, 'terraform.app.tfstate');
      new LocalBackend(stack, { path: statePath });
      c.build(stack);
      const atSynth = checkStack(stack)
        .filter((f) => f.diagnostic.severity === 'error')
        .map((f) => f.diagnostic.code);
      app.synth(); // no Aspect: synth succeeds
      const dir = join(out, code, 'cdktf.out', 'stacks', 'app');
      const r = cmek(dir, ['plan', '-no-color']);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const atPlan = [...new Set((r.stdout + r.stderr).match(/\bCMEK_[A-Z_]+/g) ?? [])];
      expect(atPlan).toEqual([code]);
      expect(atSynth).toEqual(atPlan);
      // Rejected at plan time: no state was written.
      expect(existsSync(statePath)).toBe(false);

      const check = cmek(join(out, code), ['policy', 'check', 'cdktf.out', '--format', 'json']);
      expect(check.code, check.stderr).toBe(1);
      const report = JSON.parse(check.stdout) as {
        findings: Array<{ code: string; severity: string; address: string | null }>;
      };
      const errors = report.findings.filter((f) => f.severity === 'error');
      expect(errors.map((f) => f.code)).toEqual([code]);
      expect(errors[0]!.address).toBe(
        checkStack(stack).find((f) => f.diagnostic.code === code)!.diagnostic.address,
      );
    },
    120_000,
  );
});
