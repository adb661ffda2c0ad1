// examples/modules through the real CLI: a key module and a database module called with
// for_each over two regions are planned, applied, re-planned empty, used for data (put/get on a
// module's service), targeted by module address, listed and shown by their module addresses,
// and destroyed; and a CMEK rule fires across modules at the line inside the module.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, copyExample, ROOT } from './harness.js';

beforeAll(() => {
  cliBin();
}, 180_000);

/** Replace text in a file of the copied example. */
function edit(dir: string, file: string, from: string, to: string): void {
  const p = join(dir, file);
  writeFileSync(p, readFileSync(p, 'utf8').replace(from, to));
}

const DB = (k: string) => `module.database["${k}"].cmek_encrypted_service.this`;
const KEY = (k: string) => `module.keys["${k}"].cmek_kms_key.this`;
/** `cmek state list` of the applied example (the docs show it too). */
const STATE_LIST = [
  DB('eu'),
  DB('us'),
  KEY('eu'),
  'module.keys["eu"].cmek_kms_key_policy.this',
  KEY('us'),
  'module.keys["us"].cmek_kms_key_policy.this',
];

describe('examples/modules', () => {
  it('plans, applies, re-plans empty, serves data, targets a module, destroys', () => {
    const dir = copyExample('modules');
    const plan = cmek(dir, ['plan']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    for (const a of [KEY('eu'), KEY('us'), DB('eu'), DB('us')])
      expect(plan.stdout).toContain(`# ${a} will be created`);
    expect(plan.stdout).toContain('# module.keys["eu"].cmek_kms_key_policy.this will be created');
    expect(plan.stdout).toContain('Plan: 6 to add, 0 to change, 0 to destroy.');

    const json = JSON.parse(cmek(dir, ['plan', '-json']).stdout);
    const changes = json.resource_changes as Array<{ address: string; module_address?: string }>;
    expect(changes.find((c) => c.address === DB('us'))?.module_address).toBe(
      'module.database["us"]',
    );
    const calls = json.configuration.root_module.module_calls;
    expect(calls.keys.source).toBe('./modules/key');
    expect(calls.database.for_each_expression.references).toContain('var.regions');
    expect(calls.database.module.resources[0].address).toBe('cmek_encrypted_service.this');
    const children = json.planned_values.root_module.child_modules as Array<{ address: string }>;
    expect(children.map((c) => c.address).sort()).toEqual([
      'module.database["eu"]',
      'module.database["us"]',
      'module.keys["eu"]',
      'module.keys["us"]',
    ]);

    const applied = cmek(dir, ['apply', '-auto-approve']);
    expect(applied.stderr).not.toContain('Error');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Apply complete! Resources: 6 added, 0 changed, 0 destroyed.');

    // terraform's state layout: "module" on each resource entry of a module instance.
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    const entries = (state.resources as Array<{ module?: string; type: string; name: string }>).map(
      (r) => `${r.module} ${r.type}.${r.name}`,
    );
    expect(entries).toContain('module.database["eu"] cmek_encrypted_service.this');
    expect(entries).toContain('module.keys["us"] cmek_kms_key.this');

    const list = cmek(dir, ['state', 'list']).stdout.split('\n').filter(Boolean);
    expect(list).toEqual(STATE_LIST);
    const show = cmek(dir, ['state', 'show', KEY('us')]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('"us-east-1"');

    // The database's key is the key module's key of the same region (unknown at plan, passed
    // through the module's output and the database module's variable).
    const dbShow = cmek(dir, ['state', 'show', DB('us')]).stdout;
    const keyArn = /arn\s+=\s+"([^"]+)"/.exec(show.stdout)![1]!;
    expect(dbShow).toContain(keyArn);

    const out = JSON.parse(cmek(dir, ['output', '-json']).stdout);
    expect(out.databases.value).toEqual({ eu: 'orders-eu', us: 'orders-us' });
    expect(out.key_arns.value.eu).toMatch(/^arn:aws:kms:eu-west-1:/);

    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);

    // console and graph see module instances.
    const con = cmek(dir, ['console'], {
      input: 'module.keys["eu"].arn\nmodule.database["us"].name\n',
    });
    expect(con.stderr).toBe('');
    expect(con.stdout).toBe(`"${out.key_arns.value.eu}"\n"orders-us"\n`);
    const graph = cmek(dir, ['graph']).stdout;
    expect(graph).toContain(
      `"${DB('eu').replaceAll('"', '\\"')}" -> "${KEY('eu').replaceAll('"', '\\"')}"`,
    );

    // A data source inside a module, read at plan time; terraform's state keeps it under the
    // module ("mode": "data" with "module").
    mkdirSync(join(dir, 'modules', 'lookup'), { recursive: true });
    writeFileSync(
      join(dir, 'modules', 'lookup', 'main.tf'),
      'variable "alias" {\n  type = string\n}\ndata "cmek_kms_key" "k" {\n  key_id = var.alias\n}\noutput "region" {\n  value = data.cmek_kms_key.k.region\n}\n',
    );
    writeFileSync(
      join(dir, 'lookup.tf'),
      'module "lookup" {\n  source = "./modules/lookup"\n  alias  = "alias/orders-us"\n}\noutput "looked_up" {\n  value = module.lookup.region\n}\n',
    );
    const looked = cmek(dir, ['apply', '-auto-approve']);
    expect(looked.stderr).toBe('');
    expect(looked.stdout).toContain('looked_up = "us-east-1"');
    const data = (
      JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).resources as Array<{
        module?: string;
        mode: string;
        type: string;
      }>
    ).filter((r) => r.mode === 'data');
    expect(data).toMatchObject([{ module: 'module.lookup', type: 'cmek_kms_key' }]);

    // Data through a module's service.
    writeFileSync(join(dir, 'greeting.txt'), 'hello from a module');
    const put = cmek(dir, ['data', 'put', 'orders-eu', 'greeting', join(dir, 'greeting.txt')]);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    const get = cmek(dir, ['data', 'get', 'orders-eu', 'greeting']);
    expect(get.code).toBe(0);
    expect(get.stdout).toBe('hello from a module');

    // Forget one database, import it back to its module address: the plan is empty again.
    const id = /\bid\s+=\s+"([^"]+)"/.exec(cmek(dir, ['state', 'show', DB('eu')]).stdout)![1]!;
    expect(cmek(dir, ['state', 'rm', 'module.database["eu"]']).code).toBe(0);
    const imported = cmek(dir, ['import', DB('eu'), id]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);

    // Renaming a call with a moved block moves its objects, nothing is replaced.
    const main = join(dir, 'main.tf');
    const renamed = readFileSync(main, 'utf8')
      .replace('module "keys"', 'module "kms"')
      .replaceAll('module.keys', 'module.kms');
    writeFileSync(main, `${renamed}\nmoved {\n  from = module.keys\n  to   = module.kms\n}\n`);
    const moved = cmek(dir, ['plan']);
    expect(moved.stderr).toBe('');
    expect(moved.stdout).toContain(
      '# module.keys["us"].cmek_kms_key.this has moved to module.kms["us"].cmek_kms_key.this',
    );
    expect(moved.stdout).toContain('Plan: 0 to add, 0 to change, 0 to destroy.');
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    expect(cmek(dir, ['state', 'list']).stdout).toContain('module.kms["eu"].cmek_kms_key.this');

    // A module address targets every resource of its instances.
    const targeted = cmek(dir, ['plan', '-destroy', '-target=module.kms["us"]']);
    expect(targeted.code).toBe(0);
    expect(targeted.stdout).toContain('# module.kms["us"].cmek_kms_key.this will be destroyed');
    expect(targeted.stdout).not.toContain('# module.kms["eu"].cmek_kms_key.this will be destroyed');

    const destroyed = cmek(dir, ['destroy', '-auto-approve']);
    expect(destroyed.code).toBe(0);
    expect(destroyed.stdout).toContain('Destroy complete! Resources: 6 destroyed.');
    expect(cmek(dir, ['state', 'list']).stdout).toBe('');
  }, 300_000);

  it('CMEK_REGION_MISMATCH fires across modules at the line inside the module', () => {
    const dir = copyExample('modules');
    // The databases all read the eu key: the us database's key is in another region.
    edit(dir, 'main.tf', 'key_arn = module.keys[each.key].arn', 'key_arn = module.keys["eu"].arn');
    const dbFile = 'modules/database/main.tf';
    const lines = readFileSync(join(dir, dbFile), 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('kms_key =')) + 1;
    // The column of the attribute's value, as terraform points at the expression.
    const col = lines[line - 1]!.indexOf('var.key_arn') + 1;
    const plan = cmek(dir, ['plan']);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(
      `CMEK_REGION_MISMATCH: ${DB('us')} is in region us-east-1 but its key ${KEY('eu')} (not created yet) is in eu-west-1`,
    );
    expect(plan.stderr).toContain(`on ${dbFile}:${line}:${col} ${DB('us')} (kms_key)`);
    expect(plan.stderr).not.toContain(`${DB('eu')} is in region`);
  }, 120_000);

  it('a missing module directory is CONFIG_MODULE at the source line, no stack trace', () => {
    const dir = copyExample('modules');
    edit(dir, 'main.tf', 'source   = "./modules/key"', 'source   = "./modules/kye"');
    mkdirSync(join(dir, 'modules', 'empty'), { recursive: true });
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CONFIG_MODULE: Unreadable module directory "./modules/kye"');
    expect(r.stderr).toMatch(/on main\.tf:20/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});

describe('docs/configuration.md "Modules"', () => {
  it('shows the example as it is, and its state list as the e2e run prints it', () => {
    const page = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const start = page.indexOf('## Modules');
    expect(start).toBeGreaterThan(0);
    const section = page.slice(start, page.indexOf('\n## ', start + 5));
    const hcl = /```terraform\n([\s\S]*?)```/.exec(section)![1]!;
    const lines = hcl
      .split('\n')
      .map((x) => x.trim().replace(/ +/g, ' '))
      .filter(Boolean);
    expect(lines.length).toBeGreaterThan(10);
    const example = readFileSync(join(ROOT, 'examples', 'modules', 'main.tf'), 'utf8').replace(
      / +/g,
      ' ',
    );
    for (const l of lines) expect(example, l).toContain(l);
    const console = /```console\n\$ cmek state list\n([\s\S]*?)```/.exec(section)![1]!;
    expect(console.trim().split('\n')).toEqual(STATE_LIST);
  });
});
