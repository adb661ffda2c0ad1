// yamldecode, yamlencode, templatestring and rsadecrypt through the real binary: `cmek plan`
// and `cmek apply` of a configuration that reads YAML settings, renders a template held in a
// local, writes YAML in an output and decrypts a secret with a PEM key read from a file; the key
// never reaches the plan output or the state, and the decrypted text is shown only as sensitive.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, ROOT, tempDir } from './harness.js';

/** A throwaway key of the differential corpus, and "hello cmek" encrypted with it. */
const PEM = readFileSync(join(ROOT, 'test/fixtures/tf-functions/files/rsa-test-key.pem'), 'utf8');
const CT =
  'WrM3XFDjVHE5TNWcFVZTdgqRuDcgNLaQotmhO5XCVhIPnUInfH/T9ZfiU8VpQvrzSFGizF2ZkQ2z+96B1loBPXz8TA7JX2mkTkqy7OiZd6E+sbdPZIJ6UyRMojRj5G5YKGJkE7EhjYUeXULd/2t+NRQPdsSgXj5PgvdEOxZC5yg=';

const CONFIG = `
locals {
  settings = yamldecode(file("settings.yaml"))
  greeting = "Key of $\${team}, rotation %%{ if on }on%%{ else }off%%{ endif }"
}

resource "cmek_kms_key" "k" {
  region      = local.settings.region
  description = templatestring(local.greeting, { team = local.settings.team, on = local.settings.rotate })
}

output "summary" {
  value = yamlencode({ team = local.settings.team, regions = [local.settings.region] })
}

output "secret" {
  value     = rsadecrypt("${CT}", sensitive(file("key.pem")))
  sensitive = true
}
`;

beforeAll(() => {
  cliBin();
}, 300_000);

describe('YAML, templatestring and rsadecrypt through cmek plan and apply', () => {
  it('evaluates them as terraform does and keeps the key and the secret out of sight', () => {
    const dir = tempDir({
      'main.tf': CONFIG,
      'settings.yaml': 'team: orders\nregion: eu-west-1\nrotate: yes\n',
      'key.pem': PEM,
    });
    const plan = cmek(dir, ['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/description\s+= "Key of orders, rotation on"/);
    expect(plan.stdout).toMatch(/region\s+= "eu-west-1"/);
    expect(plan.stdout).toContain('regions');
    expect(plan.stdout).toMatch(/secret\s+= \(sensitive value\)/);
    expect(plan.stdout).not.toContain('hello cmek');
    expect(plan.stdout + plan.stderr).not.toContain('PRIVATE KEY');

    const apply = cmek(dir, ['apply', '-auto-approve']);
    expect(apply.code, apply.stderr).toBe(0);
    const raw = cmek(dir, ['output', '-raw', 'summary']);
    expect(raw.stdout).toBe('"regions":\n- "eu-west-1"\n"team": "orders"\n');
    const state = readFileSync(join(dir, 'terraform.tfstate'), 'utf8');
    expect(state).not.toContain('PRIVATE KEY');
    expect(cmek(dir, ['output']).stdout).not.toContain('hello cmek');
    expect(cmek(dir, ['output', '-raw', 'secret']).stdout).toBe('hello cmek');
  }, 180_000);
});
