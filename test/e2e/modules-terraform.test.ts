// The same module configuration planned and applied by the real terraform (terraform_data) and by
// the real cmek CLI (cmek_kms_key): the resource instance addresses of `plan -json` and the
// state's resource entries (`module`, type, name, instance keys) agree. Needs terraform on PATH
// or at /usr/local/bin/terraform; without it the test is skipped, loudly.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { workdir } from '../engine/fake.js';
import { cliBin, cmek } from './harness.js';

const TERRAFORM = ['/usr/local/bin/terraform', '/usr/bin/terraform'].find((p) => existsSync(p));
if (!TERRAFORM)
  console.warn('modules-terraform.test.ts: terraform is not installed: the comparison is SKIPPED');

/** The configuration, with TYPE and ARGS filled in per tool. */
function files(type: string, arg: (v: string) => string): Record<string, string> {
  return {
    'main.tf': `
module "a" {
  source   = "./modules/m"
  for_each = toset(["x", "y"])
  name     = each.key
}
module "b" {
  source = "./modules/m"
  count  = 2
  name   = "b\${count.index}"
}
module "c" {
  source     = "./modules/m"
  name       = "c"
  depends_on = [module.b]
}
output "names" {
  value = [for k, m in module.a : m.name]
}
`,
    'modules/m/main.tf': `
variable "name" {
  type = string
}
resource "${type}" "d" {
  ${arg('var.name')}
}
resource "${type}" "e" {
  for_each = toset(["k1", "k2"])
  ${arg('"${var.name}-${each.key}"')}
}
module "inner" {
  source = "../inner"
  name   = var.name
}
output "name" {
  value = var.name
}
`,
    'modules/inner/main.tf': `
variable "name" {
  type = string
}
resource "${type}" "i" {
  count = 1
  ${arg('"${var.name}-inner"')}
}
`,
  };
}

const project = workdir;

function tf(dir: string, args: string[]): string {
  const r = spawnSync(TERRAFORM!, args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`terraform ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

type StateEntry = {
  module?: string;
  type: string;
  name: string;
  instances: Array<{ index_key?: unknown }>;
};
const entries = (dir: string, type: string) =>
  (JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).resources as StateEntry[])
    .map(
      (r) =>
        `${r.module ?? ''} ${r.type === type ? 'T' : r.type}.${r.name} ${JSON.stringify(r.instances.map((i) => i.index_key ?? null))}`,
    )
    .sort();

beforeAll(() => {
  cliBin();
}, 180_000);

describe.skipIf(!TERRAFORM)(
  'module addresses: cmek and terraform agree (skipped when terraform is not installed)',
  () => {
    it('plan -json addresses, module_address, and the state layout after apply', () => {
      const t = project(files('terraform_data', (v) => `input = ${v}`));
      tf(t, ['init', '-input=false', '-no-color']);
      tf(t, ['plan', '-input=false', '-no-color', '-out=plan.bin']);
      const tPlan = JSON.parse(tf(t, ['show', '-json', 'plan.bin']));
      const c = project(
        files('cmek_kms_key', (v) => `region      = "eu-west-1"\n  description = ${v}`),
      );
      const cPlanRun = cmek(c, ['plan', '-json']);
      expect(cPlanRun.code, cPlanRun.stderr).toBe(0);
      const cPlan = JSON.parse(cPlanRun.stdout);
      const addrs = (p: {
        resource_changes: Array<{ address: string; module_address?: string }>;
      }) =>
        p.resource_changes
          .map(
            (r) => `${r.address.replace(/terraform_data|cmek_kms_key/, 'T')} ${r.module_address}`,
          )
          .sort();
      expect(addrs(cPlan)).toHaveLength(20);
      expect(addrs(cPlan)).toEqual(addrs(tPlan));

      tf(t, ['apply', '-input=false', '-no-color', '-auto-approve', 'plan.bin']);
      const applied = cmek(c, ['apply', '-auto-approve']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(entries(c, 'cmek_kms_key')).toEqual(entries(t, 'terraform_data'));
      const outputs = (dir: string) =>
        JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).outputs.names.value;
      expect(outputs(c)).toEqual(outputs(t));
    }, 300_000);
  },
);
