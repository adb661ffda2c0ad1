// Data sources, custom conditions, check blocks, dynamic blocks and replace_triggered_by through
// the real CLI. The examples of docs/configuration.md (each `<!-- blocks-example: NAME -->`
// followed by an ```hcl block and a ```console block) run exactly as written: the HCL is the
// whole configuration, every `$ cmek ...` line is run in order and must exit 0 unless it ends
// with `# exit N`, and every other line must appear in what the command printed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, keyMaterialLike, ROOT, tempDir } from './harness.js';

// Each cmek call spawns node; on a loaded machine a few calls take a while.
const T = 300_000;

interface Example {
  name: string;
  hcl: string;
  steps: Array<{ args: string[]; exit: number; expect: string[] }>;
}

function examples(): Example[] {
  const text = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  const out: Example[] = [];
  const re = /<!-- blocks-example: (\S+) -->\n```hcl\n([\s\S]*?)```\n\n```console\n([\s\S]*?)```/g;
  for (const m of text.matchAll(re)) {
    const steps: Example['steps'] = [];
    for (const line of m[3]!.split('\n')) {
      if (!line.trim()) continue;
      const s = /^\$ cmek (.*?)(?:\s+# exit (\d+))?$/.exec(line);
      if (s) steps.push({ args: s[1]!.trim().split(/\s+/), exit: Number(s[2] ?? 0), expect: [] });
      else steps.at(-1)!.expect.push(line.trim());
    }
    out.push({ name: m[1]!, hcl: m[2]!, steps });
  }
  return out;
}

beforeAll(() => {
  cliBin();
}, T);

describe('docs/configuration.md examples of data, conditions, check, dynamic, replace_triggered_by', () => {
  const all = examples();
  it('has one example per construct', () => {
    expect(all.map((e) => e.name)).toEqual([
      'data',
      'data-for-each', // count / for_each on data blocks
      'conditions',
      'check',
      'dynamic',
      'replace_triggered_by',
    ]);
  });
  for (const ex of all) {
    it(
      `${ex.name} runs as documented`,
      () => {
        const dir = tempDir({ 'main.tf': ex.hcl });
        for (const step of ex.steps) {
          const r = cmek(dir, step.args);
          const text = r.stdout + r.stderr;
          expect(r.code, `cmek ${step.args.join(' ')}\n${text}`).toBe(step.exit);
          for (const want of step.expect)
            expect(text, `cmek ${step.args.join(' ')}`).toContain(want);
          expect(text).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
        }
      },
      T,
    );
  }
});

describe('data sources through the CLI', () => {
  let dir: string;
  let keyId: string;
  let arn: string;
  beforeAll(() => {
    dir = tempDir();
    const r = cmek(dir, [
      'kms',
      'create',
      '--region',
      'eu-west-1',
      '--alias',
      'alias/ds',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const k = JSON.parse(r.stdout);
    keyId = k.keyId ?? k.key_id ?? k.KeyId;
    arn = k.arn ?? k.Arn;
    expect(arn).toMatch(/^arn:aws:kms:eu-west-1:/);
  }, T);

  it(
    'reads a key by alias, key id and ARN at plan time; apply records mode "data"; outputs read it',
    () => {
      writeFileSync(
        join(dir, 'main.tf'),
        `data "cmek_kms_key" "by_alias" {
  key_id = "alias/ds"
}
data "cmek_kms_key" "by_id" {
  key_id = "${keyId}"
}
data "cmek_kms_key" "by_arn" {
  key_id = "${arn}"
}
resource "cmek_encrypted_service" "s" {
  name    = "ds-orders"
  region  = data.cmek_kms_key.by_alias.region
  kms_key = data.cmek_kms_key.by_id.arn
}
data "cmek_encrypted_service" "s" {
  name       = "ds-orders"
  depends_on = [cmek_encrypted_service.s]
}
output "same" {
  value = data.cmek_kms_key.by_arn.arn == data.cmek_kms_key.by_alias.arn
}
output "service_key" {
  value = data.cmek_encrypted_service.s.kms_key
}
`,
      );
      const plan = cmek(dir, ['plan']);
      expect(plan.code, plan.stderr).toBe(0);
      // The keys were read (no `<=` for them); the service data source waits for its create.
      expect(plan.stdout).not.toContain('data.cmek_kms_key');
      expect(plan.stdout).toContain('# data.cmek_encrypted_service.s will be read during apply');
      expect(plan.stdout).toContain(' <= data "cmek_encrypted_service" "s" {');
      expect(plan.stdout).toContain('+ region             = "eu-west-1"');
      const apply = cmek(dir, ['apply', '-auto-approve']);
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      expect(apply.stdout).toMatch(/same\s+= true/);
      expect(apply.stdout).toContain(`service_key = "${arn}"`);
      const stateText = readFileSync(join(dir, 'terraform.tfstate'), 'utf8');
      const state = JSON.parse(stateText);
      const data = state.resources.filter((r: { mode: string }) => r.mode === 'data');
      expect(data.map((r: { type: string; name: string }) => `${r.type}.${r.name}`)).toEqual([
        'cmek_encrypted_service.s',
        'cmek_kms_key.by_alias',
        'cmek_kms_key.by_arn',
        'cmek_kms_key.by_id',
      ]);
      expect(data[1].instances[0].attributes.key_state).toBe('Enabled');
      expect(keyMaterialLike(stateText)).toEqual([]);
      const list = cmek(dir, ['state', 'list']);
      expect(list.stdout.split('\n').filter(Boolean)).toEqual([
        'data.cmek_encrypted_service.s',
        'data.cmek_kms_key.by_alias',
        'data.cmek_kms_key.by_arn',
        'data.cmek_kms_key.by_id',
        'cmek_encrypted_service.s',
      ]);
      // Nothing left to do: every read is at plan time now.
      const again = cmek(dir, ['plan', '-detailed-exitcode']);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain('No changes.');
    },
    T,
  );

  it(
    'a lookup that finds nothing is IMPORT_NOT_FOUND at the block, with the remedy',
    () => {
      const d = tempDir({
        'main.tf': `data "cmek_kms_key" "gone" {
  key_id = "alias/does-not-exist"
}
`,
      });
      const r = cmek(d, ['plan']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'Error: IMPORT_NOT_FOUND: cmek_kms_key: no object matches key_id = "alias/does-not-exist"',
      );
      expect(r.stderr).toContain('on main.tf:2 data.cmek_kms_key.gone');
      expect(r.stderr).toContain('cmek kms ls');
    },
    T,
  );

  it(
    'an unknown data source type and a wrong argument are diagnostics with the address',
    () => {
      const d = tempDir({
        'main.tf': `data "cmek_kms_keys" "a" {
  key_id = "x"
}
data "cmek_kms_key" "b" {
  alias = "alias/x"
}
`,
      });
      const r = cmek(d, ['plan']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'Error: CONFIG_UNSUPPORTED: Unsupported data source type "cmek_kms_keys"',
      );
      expect(r.stderr).toContain('Did you mean');
      expect(r.stderr).toContain(
        'Error: CONFIG_SCHEMA: Unsupported argument "alias" in data "cmek_kms_key"',
      );
      expect(r.stderr).toContain('on main.tf:5 data.cmek_kms_key.b');
    },
    T,
  );

  it(
    'a key created by the same configuration is read at apply (`<= read`), then at plan',
    () => {
      const d = tempDir({
        'main.tf': `resource "cmek_kms_key" "k" {
  region = "eu-west-1"
}
data "cmek_kms_key" "k" {
  key_id = cmek_kms_key.k.arn
}
output "state" {
  value = data.cmek_kms_key.k.key_state
}
`,
      });
      const plan = cmek(d, ['plan']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(' <= read (data resources)');
      expect(plan.stdout).toContain('# (its key_id is not known until apply)');
      expect(plan.stdout).toContain('+ key_id = (known after apply)');
      const apply = cmek(d, ['apply', '-auto-approve']);
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      expect(apply.stdout).toContain('state = "Enabled"');
    },
    T,
  );
});

describe('conditions and checks through the CLI', () => {
  it(
    'variable validations and an output precondition fail; a check whose scoped data source fails only warns',
    () => {
      const d = tempDir({
        'main.tf': `variable "min_window" {
  type    = number
  default = 7
  validation {
    condition     = var.min_window >= 7
    error_message = "At least 7 days."
  }
  validation {
    condition     = var.min_window <= 30
    error_message = "At most 30 days."
  }
}
resource "cmek_kms_key" "k" {
  region                  = "eu-west-1"
  deletion_window_in_days = var.min_window
}
output "window" {
  value = cmek_kms_key.k.deletion_window_in_days
  precondition {
    condition     = cmek_kms_key.k.deletion_window_in_days < 30
    error_message = "Use less than 30 days here."
  }
}
check "shared_key" {
  data "cmek_kms_key" "shared" {
    key_id = "alias/not-here"
  }
  assert {
    condition     = data.cmek_kms_key.shared.key_state == "Enabled"
    error_message = "The shared key is not usable."
  }
}
`,
      });
      const low = cmek(d, ['plan', '-var', 'min_window=3']);
      expect(low.code).toBe(1);
      expect(low.stderr).toContain(
        'Error: CONDITION_FAILED: Invalid value for variable "min_window"',
      );
      expect(low.stderr).toContain('At least 7 days.');
      expect(low.stderr).toContain('on main.tf:4 var.min_window');
      const high = cmek(d, ['plan', '-var', 'min_window=31']);
      expect(high.code).toBe(1);
      expect(high.stderr).toContain('At most 30 days.');
      const mid = cmek(d, ['plan', '-var', 'min_window=30']);
      expect(mid.code).toBe(1);
      expect(mid.stderr).toContain(
        'Error: CONDITION_FAILED: Module output value precondition failed',
      );
      expect(mid.stderr).toContain('Use less than 30 days here.');
      expect(mid.stderr).toContain('on main.tf:19 output.window');
      const ok = cmek(d, ['apply', '-auto-approve']);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      // The scoped data source cannot be read: a warning, never a failure.
      expect(ok.stderr).toContain(
        'Warning: CHECK_FAILED: check "shared_key": cmek_kms_key: no object matches',
      );
      expect(ok.stdout).toContain('window = 7');
      const state = JSON.parse(readFileSync(join(d, 'terraform.tfstate'), 'utf8'));
      // A check's data source is not recorded in the state.
      expect(state.resources.some((r: { mode: string }) => r.mode === 'data')).toBe(false);
    },
    T,
  );

  it(
    'a postcondition on self fails the plan at its block; a data postcondition too',
    () => {
      const d = tempDir({
        'main.tf': `resource "cmek_kms_key" "k" {
  region = "eu-west-1"
  alias  = "alias/post"
  lifecycle {
    postcondition {
      condition     = self.enable_key_rotation
      error_message = "Rotation must be on."
    }
  }
}
`,
      });
      const r = cmek(d, ['plan']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Error: CONDITION_FAILED: Resource postcondition failed');
      expect(r.stderr).toContain('Rotation must be on.');
      expect(r.stderr).toContain('on main.tf:5 cmek_kms_key.k');
      writeFileSync(
        join(d, 'main.tf'),
        readFileSync(join(d, 'main.tf'), 'utf8').replace(
          'alias  = "alias/post"',
          'alias  = "alias/post"\n  enable_key_rotation = true',
        ) +
          `data "cmek_kms_key" "k" {
  key_id = "alias/post"
  depends_on = [cmek_kms_key.k]
  lifecycle {
    postcondition {
      condition     = self.region == "us-east-1"
      error_message = "Expected a us-east-1 key."
    }
  }
}
`,
      );
      const apply = cmek(d, ['apply', '-auto-approve']);
      // The key is created; the data source is read at apply and its postcondition fails.
      expect(apply.stdout).toContain('cmek_kms_key.k: Creation complete');
      expect(apply.stderr).toContain('Error: CONDITION_FAILED: Resource postcondition failed');
      expect(apply.stderr).toContain('Expected a us-east-1 key.');
    },
    T,
  );
});
