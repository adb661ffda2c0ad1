// examples/for-each through the real CLI: plan and apply a for_each configuration, list and show
// string-key instances, read the whole map in an output, target one instance, and see a CMEK
// rule fire for one instance at the line of its block.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, copyExample, ROOT } from './harness.js';

/** The for_each section of docs/configuration.md: its terraform block and its console lines. */
function docsSection(): { hcl: string[]; console: string[] } {
  const page = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const section = page.slice(page.indexOf('### for_each'), page.indexOf('## Expressions'));
  const block = (lang: string) =>
    (new RegExp(`\`\`\`${lang}\n([\\s\\S]*?)\`\`\``).exec(section)?.[1] ?? '')
      .split('\n')
      .map((l) => l.trim().replace(/\s+/g, ' '))
      .filter((l) => l && l !== '...');
  return { hcl: block('terraform'), console: block('console') };
}

beforeAll(() => {
  cliBin();
}, 120_000);

describe('examples/for-each', () => {
  it('plans, applies, lists and shows instances keyed by string', () => {
    const dir = copyExample('for-each');
    const plan = cmek(dir, ['plan']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    for (const a of [
      'cmek_kms_key.regional["eu"]',
      'cmek_kms_key.regional["us"]',
      'cmek_encrypted_service.orders["us"]',
    ])
      expect(plan.stdout).toContain(`# ${a} will be created`);
    expect(plan.stdout).toContain('Plan: 6 to add, 0 to change, 0 to destroy.');

    const applied = cmek(dir, ['apply', '-auto-approve']);
    expect(applied.stderr).not.toContain('Error');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Apply complete! Resources: 6 added, 0 changed, 0 destroyed.');
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    const svc = state.resources.find((r: { type: string }) => r.type === 'cmek_encrypted_service');
    expect(svc.each).toBe('map');
    expect(svc.instances.map((i: { index_key: string }) => i.index_key)).toEqual(['eu', 'us']);

    // The docs' example is this example's text, and its state list output is what it prints.
    const docs = docsSection();
    const example = readFileSync(join(dir, 'main.tf'), 'utf8')
      .split('\n')
      .map((l) => l.trim().replace(/\s+/g, ' '));
    expect(docs.hcl.length).toBeGreaterThan(10);
    for (const l of docs.hcl) expect(example, l).toContain(l);
    expect(docs.console[0]).toBe('$ cmek state list');
    const all = cmek(dir, ['state', 'list']).stdout.split('\n');
    for (const l of docs.console.slice(1)) expect(all).toContain(l);

    const list = cmek(dir, ['state', 'list', 'cmek_encrypted_service.orders']);
    expect(list.stdout).toBe(
      'cmek_encrypted_service.orders["eu"]\ncmek_encrypted_service.orders["us"]\n',
    );
    const show = cmek(dir, ['state', 'show', 'cmek_encrypted_service.orders["us"]']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('resource "cmek_encrypted_service" "orders"');
    expect(show.stdout).toContain('"us-east-1"');

    const out = cmek(dir, ['output', '-json', 'key_arns']);
    expect(out.code).toBe(0);
    const arns = JSON.parse(out.stdout);
    expect(arns.keys).toEqual(['eu', 'us']);
    expect(arns.eu).toMatch(/^arn:aws:kms:eu-west-1:/);

    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);
    const bad = cmek(dir, ['plan', '-target=cmek_kms_key.regional[eu]']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('quoted string');
    const targeted = cmek(dir, ['plan', '-target=cmek_kms_key.regional["eu"]']);
    expect(targeted.code).toBe(0);
    expect(targeted.stdout).toContain('No changes.');
  }, 180_000);

  it('a CMEK rule fires for the one instance whose key is in another region', () => {
    const dir = copyExample('for-each');
    const main = join(dir, 'main.tf');
    const text = readFileSync(main, 'utf8').replace(
      'kms_key  = cmek_kms_key.regional[each.key].arn',
      'kms_key  = cmek_kms_key.regional["eu"].arn',
    );
    writeFileSync(main, text);
    const line = text.split('\n').findIndex((l) => l.includes('kms_key  =')) + 1;
    const plan = cmek(dir, ['plan']);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('CMEK_REGION_MISMATCH');
    expect(plan.stderr).toContain('cmek_encrypted_service.orders["us"]');
    expect(plan.stderr).not.toContain('cmek_encrypted_service.orders["eu"]');
    expect(plan.stderr).toContain(`main.tf:${line}`);
  }, 120_000);

  it('moved renames the databases, removed forgets the key policies (docs example)', () => {
    const dir = copyExample('for-each');
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    const main = join(dir, 'main.tf');
    const page = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const section = page.slice(page.indexOf('## moved and removed blocks'));
    const blocks = /```terraform\n([\s\S]*?)```/.exec(section)![1]!;
    // The docs' example: rename the service block, and drop the key policy block for removed.
    let text = readFileSync(main, 'utf8').replace(
      'resource "cmek_encrypted_service" "orders"',
      'resource "cmek_encrypted_service" "databases"',
    );
    text = text.replace(/resource "cmek_kms_key_policy" "regional" \{[^}]*\}\n/, '');
    text = text.replace('depends_on = [cmek_kms_key_policy.regional]', '');
    writeFileSync(main, `${text}\n${blocks}`);
    const plan = cmek(dir, ['plan']);
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain(
      '# cmek_encrypted_service.orders["eu"] has moved to cmek_encrypted_service.databases["eu"]',
    );
    expect(plan.stdout).toContain(
      '# cmek_kms_key_policy.regional["us"] will no longer be managed by cmek',
    );
    expect(plan.stdout).toContain('Plan: 0 to add, 0 to change, 0 to destroy, 2 to forget.');
    const applied = cmek(dir, ['apply', '-auto-approve']);
    expect(applied.code).toBe(0);
    const list = cmek(dir, ['state', 'list']).stdout;
    expect(list).toContain('cmek_encrypted_service.databases["us"]');
    expect(list).not.toContain('cmek_encrypted_service.orders');
    expect(list).not.toContain('cmek_kms_key_policy');
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);
  }, 180_000);
});
