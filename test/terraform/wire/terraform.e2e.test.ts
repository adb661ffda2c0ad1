// The plugin driven by the REAL terraform binary, offline: `cmek provider install --dir` (the
// doc example of docs/cli/provider.md, through the built CLI) places the bundled executable,
// `terraform init -plugin-dir` loads it (recording an h1: hash), `terraform providers schema
// -json` documents it, and plan/apply/re-plan run through the protocol — with the real cmek
// provider, and with the probe provider (test/terraform/wire/probe-provider.ts) for the
// protocol corners: refined unknowns through a local, a set, a map key named __proto__, an
// int64 beyond 2^53, a dynamic attribute, nested blocks, replacement. HOME and the CLI config
// are isolated; CHECKPOINT_DISABLE=1. Without terraform the tests say so and are skipped (the
// protocol itself is also proven by server.test.ts through a real gRPC client).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProvider, PROVIDER_ENTRY } from '../../../scripts/build-provider.js';
import { BUNDLE_FILE } from '../../../src/terraform/layout.js';
import { cliBin, cmek, ROOT, tempDir } from '../../e2e/harness.js';

function findTerraform(): string | undefined {
  for (const p of [process.env.TERRAFORM_BIN, '/usr/local/bin/terraform', '/usr/bin/terraform'])
    if (p && existsSync(p)) return p;
  const w = spawnSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' });
  return w.status === 0 ? w.stdout.trim() : undefined;
}
const TERRAFORM = findTerraform();
if (!TERRAFORM)
  console.warn('terraform not found: the real-terraform tests of the provider plugin are SKIPPED');
const SKIP = !TERRAFORM;

function tf(cwd: string, args: string[], env: Record<string, string> = {}) {
  const home = join(cwd, '.home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'terraformrc'), '');
  const r = spawnSync(TERRAFORM!, args, {
    cwd,
    encoding: 'utf8',
    timeout: 240_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      TF_CLI_CONFIG_FILE: join(home, 'terraformrc'),
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      ...env,
    },
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const REQUIRED = `terraform {
  required_providers {
    cmek = { source = "registry.terraform.io/cmek/cmek" }
  }
}
`;

/** The console example of docs/cli/provider.md: `$ cmek ...` lines and expected substrings. */
function docSteps(): { args: string[]; exit: number; expect: string[] }[] {
  const page = readFileSync(join(ROOT, 'docs/cli/provider.md'), 'utf8');
  const block = /## Example[\s\S]*?```console\n([\s\S]*?)```/.exec(page)![1]!;
  const steps: { args: string[]; exit: number; expect: string[] }[] = [];
  for (const line of block.split('\n').filter((l) => l.trim())) {
    const m = /^\$ cmek (.*?)(?:\s+# exit (\d+))?$/.exec(line);
    if (m) steps.push({ args: m[1]!.split(/\s+/), exit: Number(m[2] ?? 0), expect: [] });
    else steps.at(-1)!.expect.push(line.trim());
  }
  return steps;
}

let probeBundle: string;

beforeAll(async () => {
  // The real bundle, where the built CLI looks for it (dist/terraform-provider-cmek.js).
  await buildProvider(
    PROVIDER_ENTRY,
    join(dirname(dirname(cliBin())), 'terraform-provider-cmek.js'),
  );
  probeBundle = await buildProvider(
    join(ROOT, 'test/terraform/wire/probe-main.ts'),
    join(tempDir(), 'probe', 'terraform-provider-cmek.js'),
  );
}, 300_000);

describe('the bundled executable', () => {
  it('run by hand, says what it is and exits 1 (no stack trace, nothing on stdout)', () => {
    const exe = join(dirname(dirname(cliBin())), 'terraform-provider-cmek.js');
    expect(readFileSync(exe, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = spawnSync(exe, [], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Terraform provider plugin[\s\S]*cmek provider install/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.skipIf(SKIP)(
  'real terraform with the installed cmek provider (skipped without terraform)',
  () => {
    it(
      'docs example: install, init -plugin-dir offline, schema, plan, apply, re-plan',
      { timeout: 900_000 },
      () => {
        const dir = tempDir({
          'main.tf': `${REQUIRED}
provider "cmek" {}

resource "cmek_kms_key" "orders" {
  region = "eu-west-1"
  alias  = "alias/orders"
}

resource "cmek_encrypted_service" "orders" {
  name    = "orders"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.orders.arn
}
`,
        });
        for (const step of docSteps()) {
          const r = cmek(dir, step.args, { env: { HOME: join(dir, '.home') } });
          expect(r.code, `${step.args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(step.exit);
          for (const e of step.expect) expect(`${r.stdout}${r.stderr}`).toContain(e);
        }
        const exe = join(dir, 'plugins/registry.terraform.io/cmek/cmek/0.1.0', 'linux_amd64');
        if (process.platform === 'linux' && process.arch === 'x64')
          expect(existsSync(exe)).toBe(true);

        const init = tf(dir, ['init', '-plugin-dir=plugins', '-input=false', '-no-color']);
        expect(init.code, init.out).toBe(0);
        expect(readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8')).toMatch(
          /"h1:[A-Za-z0-9+/=]+"/,
        );

        const schema = tf(dir, ['providers', 'schema', '-json']);
        expect(schema.code, schema.out).toBe(0);
        const p = JSON.parse(schema.out).provider_schemas['registry.terraform.io/cmek/cmek'];
        expect(Object.keys(p.resource_schemas).sort()).toEqual([
          'cmek_backup',
          'cmek_backup_restore',
          'cmek_clone',
          'cmek_encrypted_service',
          'cmek_kms_key',
          'cmek_kms_key_policy',
          'cmek_replica',
        ]);
        expect(p.resource_schemas.cmek_kms_key.block.attributes.region.description).toBeTruthy();

        const plan = tf(dir, ['plan', '-no-color', '-input=false']);
        expect(plan.code, plan.out).toBe(0);
        expect(plan.out).toContain('Plan: 2 to add');
        const apply = tf(dir, ['apply', '-auto-approve', '-no-color', '-input=false']);
        expect(apply.code, apply.out).toBe(0);
        const again = tf(dir, ['plan', '-detailed-exitcode', '-no-color', '-input=false']);
        expect(again.code, again.out).toBe(0);
        expect(again.out).toContain('No changes');
      },
    );
  },
);

describe.skipIf(SKIP)('real terraform with the probe provider (skipped without terraform)', () => {
  it(
    'values, refinements, replacement and diagnostics through the protocol',
    { timeout: 900_000 },
    () => {
      const dir = tempDir();
      const plugins = join(dir, 'plugins/registry.terraform.io/cmek/cmek/0.1.0/linux_amd64');
      mkdirSync(plugins, { recursive: true });
      writeFileSync(join(plugins, 'terraform-provider-cmek_v0.1.0'), readFileSync(probeBundle), {
        mode: 0o755,
      });
      // The launcher runs the bundle beside it (src/terraform/layout.ts; no code cache here).
      copyFileSync(join(dirname(probeBundle), BUNDLE_FILE), join(plugins, BUNDLE_FILE));
      const config = (consumerRegion: string, name: string) => `${REQUIRED}
provider "cmek" { label = "-x" }
resource "cmek_probe" "k" {
  name   = "${name}"
  region = "eu-west-1"
  tags   = { a = "b", "__proto__" = "c" }
  ports  = [443, 80]
  big    = 9007199254740993
  secret = "s3"
  extra  = { n = 1, l = ["x", true] }
  rule {
    action = "allow"
    weight = 1.5
  }
}
locals { arn = cmek_probe.k.arn }
resource "cmek_probe_consumer" "c" {
  region  = "${consumerRegion}"
  key_arn = local.arn
}
data "cmek_probe_echo" "e" { input = "hi" }
output "echo" { value = data.cmek_probe_echo.e.output }
output "arn" { value = cmek_probe.k.arn }
`;
      writeFileSync(join(dir, 'main.tf'), config('us-east-1', 'k1'));
      expect(tf(dir, ['init', '-plugin-dir=plugins', '-input=false', '-no-color']).code).toBe(0);

      // The same-plan region check: the key's unknown arn, refined with its region's prefix,
      // reaches the consumer through a local; the error points at the key_arn line.
      const bad = tf(dir, ['plan', '-no-color', '-input=false']);
      expect(bad.code, bad.out).toBe(1);
      expect(bad.out).toContain('PROBE_REGION_MISMATCH: key in eu-west-1, consumer in us-east-1');
      expect(bad.out).toMatch(
        /on main\.tf line \d+, in resource "cmek_probe_consumer" "c":\n\s*\d+:\s+key_arn = local\.arn/,
      );

      writeFileSync(join(dir, 'main.tf'), config('eu-west-1', 'k1'));
      const apply = tf(dir, ['apply', '-auto-approve', '-no-color', '-input=false']);
      expect(apply.code, apply.out).toBe(0);
      expect(apply.out).toContain('arn = "arn:probe:eu-west-1:k1-x"');
      expect(apply.out).toContain('echo = "HI"');
      const again = tf(dir, ['plan', '-detailed-exitcode', '-no-color', '-input=false']);
      expect(again.code, again.out).toBe(0);

      const shown = tf(dir, ['show', '-json']).out;
      expect(shown).toContain('"big":9007199254740993'); // int64 beyond 2^53, exact end to end
      const state = JSON.parse(shown);
      const k = state.values.root_module.resources.find(
        (r: { address: string }) => r.address === 'cmek_probe.k',
      );
      expect(k.values.tags).toEqual({ a: 'b', ['__proto__']: 'c' });
      expect(k.values.rule).toEqual([{ action: 'allow', weight: 1.5 }]);

      writeFileSync(join(dir, 'main.tf'), config('eu-west-1', 'k2'));
      const replace = tf(dir, ['plan', '-no-color', '-input=false']);
      expect(replace.code, replace.out).toBe(0);
      expect(replace.out).toContain('# forces replacement');

      writeFileSync(join(dir, 'main.tf'), config('eu-west-1', 'invalid'));
      const invalid = tf(dir, ['validate', '-no-color']);
      expect(invalid.code).toBe(1);
      expect(invalid.out).toMatch(
        /PROBE_INVALID[\s\S]*on main\.tf line \d+, in resource "cmek_probe" "k"/,
      );
    },
  );
});
