// The synth output of examples/cdktf, planned and applied by the real `terraform` binary
// with our provider plugin (installed offline, test/terraform/support.ts): CmekProvider's source
// address is the plugin's, so `terraform init` finds it; the service terraform creates runs and
// stores data. Skipped loudly (by name) when terraform is absent; the cmek path
// (test/cdktf/example.test.ts) runs either way.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cmek } from '../e2e/harness.js';
import { haveTerraform, tf, tfInit } from '../terraform/support.js';
import { synthExampleApp } from './example-app.js';

const HAVE = haveTerraform();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!HAVE)(
  'terraform applies a cdktf stack of cmek constructs (terraform binary present)',
  () => {
    it('synth → terraform init offline → apply → the service runs and stores data → re-plan empty', async () => {
      const example = synthExampleApp();
      dirs.push(example.dir);
      expect(example.synth.stderr).toBe('');
      expect(example.synth.status).toBe(0);
      const { stackDir } = example;

      const init = await tfInit(stackDir);
      expect(init.code, init.out).toBe(0);
      const apply = tf(stackDir, ['apply', '-auto-approve', '-input=false']);
      expect(apply.code, apply.out).toBe(0);
      expect(apply.out).toContain('Resources: 4 added');
      expect(apply.out).toMatch(/service_status = "RUNNING"/);

      const body = 'from terraform\n';
      expect(cmek(stackDir, ['data', 'put', 'orders', 'o/1', '-'], { input: body }).code).toBe(0);
      const got = cmek(stackDir, ['data', 'get', 'orders-ro', 'o/1']);
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout).toBe(body);

      const again = tf(stackDir, ['plan', '-detailed-exitcode', '-input=false']);
      expect(again.code, again.out).toBe(0);
      expect(again.out).toContain('No changes');
    }, 900_000);
  },
);
