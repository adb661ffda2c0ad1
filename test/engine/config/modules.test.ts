// Module calls in the loader: a remote source is a CONFIG_UNSUPPORTED error at its `source`
// line saying cmek does not download modules; a local source is still unsupported (modules are
// not loaded yet) at the block line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/engine/config/index.js';

async function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-modules-'));
  writeFileSync(join(dir, 'main.tf'), text);
  return loadConfig(dir);
}

describe('module calls', () => {
  it.each([
    ['terraform-aws-modules/kms/aws', 'a module registry'],
    ['git::https://example.com/kms.git?ref=v1', 'a git repository'],
    ['github.com/acme/kms', 'a GitHub or Bitbucket repository'],
    ['https://example.com/kms.zip', 'an HTTP URL'],
    ['s3::https://s3.amazonaws.com/bucket/kms.zip', 'an S3 bucket'],
  ])('remote source %s is "not supported offline" at the source line', async (source, kind) => {
    const r = await load(`module "keys" {\n  version = "1.0"\n  source  = "${source}"\n}\n`);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      code: 'CONFIG_UNSUPPORTED',
      severity: 'error',
      file: 'main.tf',
      line: 3,
      address: 'module.keys',
      summary: `The module source "${source}" (${kind}) is not supported`,
    });
    expect(r.diagnostics[0]!.detail).toContain('does not download modules');
  });

  it('a local source is reported at the block line', async () => {
    const r = await load(`\n\nmodule "keys" {\n  source = "./modules/keys"\n}\n`);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.summary])).toEqual([
      ['CONFIG_UNSUPPORTED', 3, 'A module call (`module` block) is not supported'],
    ]);
  });
});
