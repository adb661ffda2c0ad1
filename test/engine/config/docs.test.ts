// docs/configuration.md stays true: its example loads cleanly and evaluates, and every
// CONFIG_UNSUPPORTED summary the loader produces for the unsupported fixture is documented.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, mapScope, resolveVariables } from '../../../src/engine/config/index.js';
import { Sensitive, Unknown, UNKNOWN } from '../../../src/model/values.js';

const doc = readFileSync(
  fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)),
  'utf8',
);

function hclBlock(): string {
  // The examples marked `<!-- blocks-example: NAME -->` run through the CLI in
  // test/e2e/blocks.test.ts.
  const blocks = [...doc.matchAll(/(<!-- blocks-example: \S+ -->\n)?```hcl\n([\s\S]*?)```/g)]
    .filter((m) => !m[1])
    .map((m) => m[2]!);
  expect(blocks).toHaveLength(1);
  return blocks[0]!;
}

describe('docs/configuration.md', () => {
  it('the example loads without diagnostics and evaluates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmek-doc-'));
    writeFileSync(join(dir, 'main.tf'), hclBlock());
    const { config, diagnostics } = await loadConfig(dir);
    expect(diagnostics).toEqual([]);
    expect(config.resources.map((r) => r.address)).toEqual([
      'cmek_kms_key.orders',
      'cmek_kms_key_policy.orders',
      'cmek_encrypted_service.orders',
    ]);
    const vars = resolveVariables(config, { cliVars: { region: 'us-east-1' }, env: {} });
    expect(vars.diagnostics).toEqual([]);
    const arn = new Unknown({
      address: 'cmek_kms_key.orders',
      region: 'us-east-1',
      provider: 'aws',
    });
    const scope = mapScope(dir, {
      'var.region': vars.values.region!,
      'var.service_role': vars.values.service_role!,
      'local.name': config.locals[0]!.value.evaluate(
        mapScope(dir, { 'var.region': vars.values.region! }),
      ),
      'cmek_kms_key.orders': { arn, key_id: UNKNOWN },
      'count.index': 1,
    });
    const svc = config.resources[2]!;
    expect(svc.attributes.name!.evaluate(scope)).toBe('orders-us-east-1-01');
    expect(svc.attributes.kms_key!.evaluate(scope)).toBe(arn);
    expect(svc.dependsOn).toEqual(['cmek_kms_key_policy.orders']);
    const policy = JSON.parse(config.resources[1]!.attributes.policy!.evaluate(scope) as string);
    expect(policy.Statement[1].Principal.AWS).toBe(
      'arn:aws:iam::576599896960:role/prod-kms-request-role',
    );
    expect(policy.Statement[1].Action).toHaveLength(7);
    expect(config.resources[0]!.lifecycle.preventDestroy).toBe(true);
    // The sensitive variable marks merge()'s result, the whole map (docs: "Sensitive values").
    const marked = mapScope(dir, { 'var.oncall_token': new Sensitive('t0k') });
    expect(svc.attributes.tags!.evaluate(marked)).toEqual(
      new Sensitive({ team: 'data', env: 'prod', oncall: 't0k' }),
    );
    expect(config.outputs.find((o) => o.name === 'service_tags')!.sensitive).toBe(true);
  });

  it('documents every unsupported-construct message the loader gives', async () => {
    const dir = fileURLToPath(new URL('../../fixtures/config/unsupported', import.meta.url));
    const { diagnostics } = await loadConfig(dir);
    const table = doc.slice(doc.indexOf('## Not supported'), doc.indexOf('## Diagnostics'));
    // (The fixture shrinks as constructs become supported.)
    expect(diagnostics.length).toBeGreaterThanOrEqual(3);
    // Names vary (function, lifecycle argument, the code span quoted): normalise them the way
    // the table writes them.
    const norm = (summary: string) =>
      summary
        .replace(/\b\w+\(\)/, 'NAME()')
        .replace(/lifecycle\.\w+/, 'lifecycle.NAME')
        .replace(/ \(`[^`]*`\)/g, '')
        .replace(/ is not supported$/, '');
    for (const d of diagnostics) expect(table, d.summary).toContain(norm(d.summary));
  });
});
