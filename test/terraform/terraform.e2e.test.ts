// The real `terraform` binary drives the cmek provider plugin: offline init from
// `cmek provider install`, plan / apply / re-plan empty / destroy of examples/terraform, data
// written by a terraform-managed service read back with `cmek data get`, the plan-time rules
// (code in the summary, terraform pointing at the line), the refined same-plan region check,
// drift, import, replace, and a kill -9 of terraform mid-apply that converges. Each terraform run
// costs seconds on a loaded machine, so the flows share directories and runs.
import {
  cpSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, cmek } from '../e2e/harness.js';
import { controlPlaneFor, createProviderContext } from '../../src/resources/index.js';
import { DEFAULT_SERVICE_PRINCIPAL } from '../../src/resources/types.js';
import { REQUIRED_PROVIDERS, haveTerraform, lineOf, tf, tfInit, tfSpawn } from './support.js';

const HAVE = haveTerraform();
const SLOW = 900_000;

function exampleCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-tf-example-'));
  for (const f of readdirSync(join(ROOT, 'examples', 'terraform')))
    if (f.endsWith('.tf')) cpSync(join(ROOT, 'examples', 'terraform', f), join(dir, f));
  return dir;
}

function workdir(mainTf: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-tf-'));
  writeFileSync(join(dir, 'main.tf'), REQUIRED_PROVIDERS + mainTf);
  return dir;
}

/** Every `Error: CODE: ...` of terraform's output with the resource and line it points at. */
function errors(out: string): Array<{ code: string; address: string; line: number }> {
  const re = /Error: ([A-Z_]+): [^\n]*\n\n\s*with ([^,\n]+),\n\s*on main\.tf line (\d+)/g;
  return [...out.matchAll(re)].map((m) => ({ code: m[1]!, address: m[2]!, line: Number(m[3]) }));
}

describe.skipIf(!HAVE)('terraform drives the cmek provider (terraform binary present)', () => {
  it(
    'examples/terraform: init offline, apply, re-plan empty, cmek data get reads what the service holds, destroy',
    async () => {
      const dir = exampleCopy();
      const init = await tfInit(dir);
      expect(init.code, init.out).toBe(0);
      expect(readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8')).toMatch(/"h1:/);
      // The schema terraform reads documents every attribute (descriptions from the definitions).
      const schema = tf(dir, ['providers', 'schema', '-json']);
      expect(schema.code, schema.out).toBe(0);
      const ps = (
        JSON.parse(schema.stdout) as {
          provider_schemas: Record<
            string,
            {
              resource_schemas: Record<
                string,
                { block: { attributes: Record<string, { description?: string }> } }
              >;
              data_source_schemas: Record<string, unknown>;
            }
          >;
        }
      ).provider_schemas['registry.terraform.io/cmek/cmek']!;
      expect(Object.keys(ps.resource_schemas)).toHaveLength(7);
      expect(Object.keys(ps.data_source_schemas).sort()).toEqual([
        'cmek_encrypted_service',
        'cmek_kms_key',
      ]);
      for (const [type, r] of Object.entries(ps.resource_schemas))
        for (const [name, a] of Object.entries(r.block.attributes))
          expect(a.description, `${type}.${name}`).toBeTruthy();
      const apply = tf(dir, ['apply', '-auto-approve', '-input=false']);
      expect(apply.code, apply.out).toBe(0);
      expect(apply.out).toContain('Resources: 3 added');
      const again = tf(dir, ['plan', '-detailed-exitcode', '-input=false']);
      expect(again.code, again.out).toBe(0);
      expect(again.out).toContain('No changes');
      // terraform 1.11 starts the plugin once per phase of a plan: to read the schema, for the
      // validate walk, for the plan walk. The plugin announces get_provider_schema_optional, so
      // terraform asks for the schema in the first launch only and reuses it in the others.
      const traced = tf(dir, ['plan', '-input=false'], undefined, { TF_LOG: 'trace' });
      expect(traced.code, traced.out).toBe(0);
      expect(traced.stderr.match(/provider: starting plugin: /g)).toHaveLength(3);
      expect(traced.stderr.match(/"@message":"GetProviderSchema called"/g)).toHaveLength(1);
      expect(traced.stderr).toContain('GRPCProvider.v6: returning cached schema');

      // The service terraform created, through the cmek CLI in the same directory (.cmek).
      const put = cmek(dir, ['data', 'put', 'orders', 'greeting.txt', '-'], {
        input: 'hello from terraform\n',
      });
      expect(put.code, put.stderr).toBe(0);
      const get = cmek(dir, ['data', 'get', 'orders', 'greeting.txt']);
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout).toBe('hello from terraform\n');
      // The stored object is ciphertext under the service's keys: no plaintext on disk.
      const svc = JSON.parse(cmek(dir, ['service', 'describe', 'orders', '-json']).stdout) as {
        kmsKey: string;
      };
      const arn = JSON.parse(tf(dir, ['output', '-json']).stdout).key_arn.value as string;
      expect(svc.kmsKey).toBe(arn);

      const destroy = tf(dir, ['destroy', '-auto-approve', '-input=false']);
      expect(destroy.code, destroy.out).toBe(0);
      expect(destroy.out).toContain('Resources: 3 destroyed');
    },
    SLOW,
  );

  it(
    'a service in another region than a key of the same plan fails `terraform plan` with CMEK_REGION_MISMATCH at the kms_key line',
    async () => {
      const dir = workdir(`
resource "cmek_kms_key" "k" {
  region = "eu-west-1"
}

locals {
  key = cmek_kms_key.k.arn
}

resource "cmek_encrypted_service" "db" {
  name    = "refined"
  region  = "us-east-1"
  kms_key = local.key
}
`);
      expect((await tfInit(dir)).code).toBe(0);
      const plan = tf(dir, ['plan', '-input=false']);
      expect(plan.code, plan.out).toBe(1);
      expect(errors(plan.out)).toEqual([
        {
          code: 'CMEK_REGION_MISMATCH',
          address: 'cmek_encrypted_service.db',
          line: lineOf(join(dir, 'main.tf'), 'kms_key = local.key'),
        },
      ]);
      expect(plan.out).toContain('Remedy: use a key created in us-east-1');
    },
    SLOW,
  );

  it(
    'rules against existing objects at plan time, drift, import and replace',
    async () => {
      const base = `
resource "cmek_kms_key" "k1" {
  region = "eu-west-1"
}

resource "cmek_kms_key" "k2" {
  region = "eu-west-1"
}

resource "cmek_encrypted_service" "plain" {
  name   = "plain"
  region = "eu-west-1"
}

resource "cmek_encrypted_service" "enc" {
  name    = "enc"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.k1.arn
}
`;
      const dir = workdir(
        base +
          `
data "cmek_encrypted_service" "from_cmek" {
  name = "from-cmek"
}

output "from_cmek" {
  value = "\${data.cmek_encrypted_service.from_cmek.id} in \${data.cmek_encrypted_service.from_cmek.region}"
}
`,
      );
      // A service the cmek CLI created in the same data directory, which terraform reads.
      const engine = mkdtempSync(join(tmpdir(), 'cmek-tf-engine-'));
      writeFileSync(
        join(engine, 'main.tf'),
        `provider "cmek" {\n  data_dir = "${join(dir, '.cmek')}"\n}\n\n` +
          `resource "cmek_encrypted_service" "x" {\n  name   = "from-cmek"\n  region = "eu-west-1"\n}\n`,
      );
      const made = cmek(engine, ['apply', '-auto-approve', '-input=false']);
      expect(made.code, made.stderr).toBe(0);
      expect((await tfInit(dir)).code).toBe(0);
      const apply = tf(dir, ['apply', '-auto-approve', '-input=false']);
      expect(apply.code, apply.out).toBe(0);
      expect(apply.out).toMatch(/from_cmek = "svc-[0-9a-f]{16} in eu-west-1"/);

      // One plan, every rule a single resource and the existing objects decide.
      const bad = base.replace(
        'name   = "plain"\n  region = "eu-west-1"',
        'name   = "plain"\n  region = "eu-west-1"\n  kms_key = cmek_kms_key.k1.arn # retrofit',
      ).concat(`
resource "cmek_replica" "far" {
  primary_id = cmek_encrypted_service.enc.id
  name       = "far"
  region     = "us-east-1" # no key of its own
}

resource "cmek_clone" "c" {
  source_id = cmek_encrypted_service.enc.id
  name      = "c"
  kms_key   = cmek_kms_key.k2.arn # not the source's key
}

resource "cmek_kms_key_policy" "open" {
  key_id = cmek_kms_key.k2.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "kms:Decrypt", Resource = "*" }]
  })
}
`);
      writeFileSync(join(dir, 'main.tf'), REQUIRED_PROVIDERS + bad);
      const plan = tf(dir, ['plan', '-input=false']);
      expect(plan.code, plan.out).toBe(1);
      const file = join(dir, 'main.tf');
      const got = errors(plan.out).sort((a, b) => a.line - b.line || a.code.localeCompare(b.code));
      expect(got).toEqual([
        {
          code: 'CMEK_NO_RETROFIT',
          address: 'cmek_encrypted_service.plain',
          line: lineOf(file, '# retrofit'),
        },
        {
          code: 'CMEK_REPLICA_KEY_REQUIRED',
          address: 'cmek_replica.far',
          line: lineOf(file, 'resource "cmek_replica" "far"'),
        },
        {
          code: 'CMEK_CLONE_KEY_INHERITED',
          address: 'cmek_clone.c',
          line: lineOf(file, "# not the source's key"),
        },
        {
          code: 'CMEK_KEY_POLICY_MISSING_ACTIONS',
          address: 'cmek_kms_key_policy.open',
          line: lineOf(file, 'policy = jsonencode'),
        },
        {
          code: 'CMEK_KEY_POLICY_PUBLIC',
          address: 'cmek_kms_key_policy.open',
          line: lineOf(file, 'policy = jsonencode'),
        },
      ]);

      // Back to the applied configuration; delete a service outside terraform: drift.
      writeFileSync(join(dir, 'main.tf'), REQUIRED_PROVIDERS + base);
      const ctx = await createProviderContext({
        dataDir: join(dir, '.cmek'),
        servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
        kms: { backend: 'local' },
      });
      await (await controlPlaneFor(ctx)).delete('plain');
      const drift = tf(dir, ['plan', '-input=false']);
      expect(drift.code, drift.out).toBe(0);
      // Refresh finds it gone (ReadResource: null), so terraform plans it again.
      expect(drift.out).toContain('# cmek_encrypted_service.plain will be created');
      expect(drift.out).toContain('Plan: 1 to add, 0 to change, 0 to destroy');

      // Import: forget enc, import it by name, and the plan for it is empty again.
      expect(tf(dir, ['state', 'rm', 'cmek_encrypted_service.enc']).code).toBe(0);
      const imp = tf(dir, ['import', '-input=false', 'cmek_encrypted_service.enc', 'enc']);
      expect(imp.code, imp.out).toBe(0);
      expect(imp.out).toContain('Import successful');

      // Replace: a new name is a new service. In the same plan, an import {} block takes k2
      // back into the state by its ARN.
      const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')) as {
        resources: Array<{ name: string; instances: Array<{ attributes: { arn: string } }> }>;
      };
      const k2 = state.resources.find((r) => r.name === 'k2')!.instances[0]!.attributes.arn;
      expect(tf(dir, ['state', 'rm', 'cmek_kms_key.k2']).code).toBe(0);
      writeFileSync(
        join(dir, 'main.tf'),
        REQUIRED_PROVIDERS +
          base.replace('name    = "enc"', 'name    = "enc2"') +
          `\nimport {\n  to = cmek_kms_key.k2\n  id = "${k2}"\n}\n`,
      );
      const replace = tf(dir, ['plan', '-input=false']);
      expect(replace.code, replace.out).toBe(0);
      expect(replace.out).toContain('cmek_encrypted_service.enc must be replaced');
      expect(replace.out).toMatch(/# forces replacement/);
      expect(replace.out).toContain('cmek_kms_key.k2 will be imported');
      expect(replace.out).toContain('Plan: 1 to import, 2 to add, 0 to change, 1 to destroy');
    },
    SLOW,
  );

  it(
    'kill -9 of terraform mid-apply: the next apply converges (no duplicate, no error)',
    async () => {
      const services = Array.from(
        { length: 6 },
        (_, i) => `
resource "cmek_encrypted_service" "s${i}" {
  name   = "crash-${i}"
  region = "eu-west-1"
}
`,
      ).join('');
      const dir = workdir(services);
      expect((await tfInit(dir)).code).toBe(0);
      const child = tfSpawn(dir, ['apply', '-auto-approve', '-input=false', '-parallelism=2']);
      let out = '';
      await new Promise<void>((resolve) => {
        const onData = (b: Buffer) => {
          out += b.toString();
          if (/Creation complete/.test(out)) {
            child.kill('SIGKILL');
            resolve();
          }
        };
        child.stdout!.on('data', onData);
        child.on('exit', () => resolve());
      });
      await new Promise((r) => child.once('exit', r).once('close', r));
      expect(out).toContain('Creation complete');
      // The plugin terraform left behind notices its parent is gone and exits (after finishing
      // the call it was serving).
      const deadline = Date.now() + 20_000;
      while (pluginsIn(dir).length > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 250));
      expect(pluginsIn(dir)).toEqual([]);
      const apply = tf(dir, ['apply', '-auto-approve', '-input=false']);
      expect(apply.code, apply.out).toBe(0);
      const again = tf(dir, ['plan', '-detailed-exitcode', '-input=false']);
      expect(again.code, again.out).toBe(0);
      const ls = JSON.parse(cmek(dir, ['service', 'ls', '-json']).stdout) as Array<{
        name: string;
      }>;
      expect(ls.map((s) => s.name).sort()).toEqual(
        Array.from({ length: 6 }, (_, i) => `crash-${i}`),
      );
    },
    SLOW,
  );
});

/** Pids of terraform-provider-cmek processes whose working directory is `dir`. */
function pluginsIn(dir: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (
        cmd.includes('terraform-provider-cmek') &&
        readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dir)
      )
        out.push(Number(pid));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}
