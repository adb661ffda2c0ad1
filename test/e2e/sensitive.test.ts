// A sensitive variable through the real binary: it is used in a service's description and tags
// and in a sensitive output. The secret must appear nowhere people read (plan, apply, output,
// state show, show), only where terraform keeps or prints it on request: `output -raw` /
// `-json` / `output NAME`, the JSON plan (values with their sensitive marks) and the state file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from './harness.js';

beforeAll(() => {
  cliBin();
}, 300_000);

const SECRET = 'pw-7Q2XK9-secret';

const MAIN_TF = `variable "db_secret" {
  type      = string
  sensitive = true
}

resource "cmek_kms_key" "k" {
  region = "eu-west-1"
}

resource "cmek_encrypted_service" "db" {
  name        = "orders"
  region      = "eu-west-1"
  kms_key     = cmek_kms_key.k.arn
  description = "orders (\${var.db_secret})"
  tags = {
    team  = "payments"
    token = var.db_secret
  }
}

output "db_description" {
  value     = cmek_encrypted_service.db.description
  sensitive = true
}

output "service_name" {
  value = cmek_encrypted_service.db.name
}
`;

/** The parts of a JSON plan this test reads. */
interface PlanJson {
  variables: Record<string, unknown>;
  planned_values: {
    outputs: Record<string, { sensitive: boolean }>;
    root_module: { resources: Array<{ address: string; sensitive_values: unknown }> };
  };
  resource_changes: Array<{ address: string; change: Record<string, unknown> }>;
  output_changes: Record<string, Record<string, unknown>>;
  prior_state: { values: PlanJson['planned_values'] };
  configuration: { root_module: { variables: Record<string, { sensitive?: boolean }> } };
}

const serviceChange = (pj: PlanJson) =>
  pj.resource_changes.find((c) => c.address === 'cmek_encrypted_service.db')!.change;
const serviceValues = (v: PlanJson['planned_values']) =>
  v.root_module.resources.find((r) => r.address === 'cmek_encrypted_service.db')!;

/** JSON paths of the strings that contain `needle`. */
function pathsWith(v: unknown, needle: string, path = '$'): string[] {
  if (typeof v === 'string') return v.includes(needle) ? [path] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => pathsWith(x, needle, `${path}[${i}]`));
  if (v !== null && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => pathsWith(x, needle, `${path}.${k}`));
  return [];
}

describe('a sensitive variable through plan, apply, output, state show and plan -json', () => {
  it('hides the secret in every text output and keeps it where terraform does', () => {
    const dir = tempDir({ 'main.tf': MAIN_TF });
    const env = { TF_VAR_db_secret: SECRET };
    const run = (args: string[]) => {
      const r = cmek(dir, args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    const hidden = (args: string[]) => {
      const r = run(args);
      expect(`${r.stdout}${r.stderr}`, args.join(' ')).not.toContain(SECRET);
      return r.stdout;
    };

    const planText = hidden(['plan']);
    expect(planText).toMatch(/\+ description\s+= \(sensitive value\)/);
    expect(planText).toMatch(/token = \(sensitive value\)/);
    expect(planText).toMatch(/\+ db_description = \(sensitive value\)/);

    // The JSON plan keeps the values and marks them (terraform's format): 7 places.
    const pj = JSON.parse(run(['plan', '-json']).stdout) as PlanJson;
    expect(pathsWith(pj, SECRET).sort()).toEqual(
      [
        '$.variables.db_secret.value',
        '$.planned_values.outputs.db_description.value',
        '$.planned_values.root_module.resources[1].values.description',
        '$.planned_values.root_module.resources[1].values.tags.token',
        '$.resource_changes[1].change.after.description',
        '$.resource_changes[1].change.after.tags.token',
        '$.output_changes.db_description.after',
      ].sort(),
    );
    const db = serviceChange(pj);
    expect(db.after_sensitive).toEqual({ description: true, tags: { token: true } });
    expect(db.before_sensitive).toBe(false);
    expect(serviceValues(pj.planned_values).sensitive_values).toEqual({
      description: true,
      tags: { token: true },
    });
    expect(pj.planned_values.outputs.db_description?.sensitive).toBe(true);
    expect(pj.output_changes.db_description?.after_sensitive).toBe(true);
    expect(pj.configuration.root_module.variables.db_secret?.sensitive).toBe(true);

    const applied = hidden(['apply', '-auto-approve']);
    expect(applied).toContain('db_description = <sensitive>');
    expect(hidden(['output'])).toContain('db_description = <sensitive>');
    const shown = hidden(['state', 'show', 'cmek_encrypted_service.db']);
    expect(shown).toMatch(/description\s+= \(sensitive value\)/);
    expect(shown).toMatch(/token = \(sensitive value\)/);
    expect(shown).toContain('team  = "payments"');
    hidden(['show']);
    expect(hidden(['plan'])).toContain('No changes.');

    // On request, as terraform: -raw, -json and by name.
    expect(run(['output', '-raw', 'db_description']).stdout).toBe(`orders (${SECRET})`);
    expect(JSON.parse(run(['output', '-json']).stdout).db_description).toEqual({
      sensitive: true,
      type: 'string',
      value: `orders (${SECRET})`,
    });
    expect(run(['output', 'db_description']).stdout).toBe(`"orders (${SECRET})"\n`);

    // The state keeps the values, the paths that are sensitive and the output's flag.
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')) as {
      resources: Array<{ type: string; instances: Array<Record<string, unknown>> }>;
      outputs: Record<string, { sensitive?: boolean }>;
    };
    const i = state.resources.findIndex((r) => r.type === 'cmek_encrypted_service');
    expect(pathsWith(state, SECRET).sort()).toEqual(
      [
        '$.outputs.db_description.value',
        `$.resources[${i}].instances[0].attributes.description`,
        `$.resources[${i}].instances[0].attributes.tags.token`,
      ].sort(),
    );
    expect(state.resources[i]!.instances[0]!.sensitive_attributes).toEqual([
      [{ type: 'get_attr', value: 'description' }],
      [
        { type: 'get_attr', value: 'tags' },
        { type: 'index', value: { value: 'token', type: 'string' } },
      ],
    ]);
    expect(state.outputs.db_description?.sensitive).toBe(true);

    // A changed secret is an update that still shows no value; prior_state marks it too.
    const changed = { TF_VAR_db_secret: `${SECRET}-2` };
    const p2 = cmek(dir, ['plan'], { env: changed });
    expect(p2.code).toBe(0);
    expect(p2.stdout).not.toContain(SECRET);
    expect(p2.stdout).toMatch(/~ description = \(sensitive value\)/);
    const pj2 = JSON.parse(cmek(dir, ['plan', '-json'], { env: changed }).stdout) as PlanJson;
    const db2 = serviceChange(pj2);
    expect(db2.before_sensitive).toEqual({ description: true, tags: { token: true } });
    expect(serviceValues(pj2.prior_state.values).sensitive_values).toEqual({
      description: true,
      tags: { token: true },
    });
  }, 300_000);

  it('refuses an output that shows a sensitive value without sensitive = true', () => {
    const dir = tempDir({
      'main.tf': `${MAIN_TF}\noutput "leak" {\n  value = "token: \${var.db_secret}"\n}\n`,
    });
    const r = cmek(dir, ['plan'], { env: { TF_VAR_db_secret: SECRET } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: CONFIG_SCHEMA: Output refers to sensitive values');
    expect(r.stderr).toContain('on main.tf:30 (output.leak)');
    expect(r.stderr).toContain('set sensitive = true');
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
  }, 60_000);
});
