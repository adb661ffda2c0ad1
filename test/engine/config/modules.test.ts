// Module calls in the loader: a remote source is a CONFIG_UNSUPPORTED error at its `source`
// line saying cmek does not download modules; a local source is loaded (nested, relative to the
// calling module), with its problems as coded diagnostics at the right place.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/engine/config/index.js';
import { workdir as tree } from '../fake.js';

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

  it('a local source loads the module directory, nested calls relative to their caller', async () => {
    const dir = tree({
      'main.tf': 'module "app" {\n  source = "./modules/app"\n  region = "eu-west-1"\n}\n',
      'modules/app/main.tf':
        'variable "region" { type = string }\nmodule "key" {\n  source = "../key"\n  region = var.region\n}\noutput "arn" { value = module.key.arn }\n',
      'modules/key/main.tf':
        'variable "region" {}\nresource "cmek_kms_key" "k" { region = var.region }\noutput "arn" { value = cmek_kms_key.k.arn }\n',
    });
    const r = await loadConfig(dir);
    expect(r.diagnostics).toEqual([]);
    const app = r.config.modules![0]!;
    expect([app.name, app.dir, Object.keys(app.args)]).toEqual(['app', 'modules/app', ['region']]);
    const key = app.config.modules![0]!;
    expect([key.dir, key.config.resources[0]!.pos]).toEqual([
      'modules/key',
      expect.objectContaining({ file: 'modules/key/main.tf', line: 2 }),
    ]);
  });

  it.each([
    [
      'a missing directory',
      { 'main.tf': 'module "k" {\n  source = "./nope"\n}\n' },
      ['CONFIG_MODULE', 'main.tf', 2, 'Unreadable module directory "./nope"'],
    ],
    [
      'a directory without configuration',
      { 'main.tf': 'module "k" {\n  source = "./empty"\n}\n', 'empty/README.md': 'x' },
      ['CONFIG_MODULE', 'main.tf', 2, 'Module "k" has no configuration files'],
    ],
    [
      'a loop of calls',
      {
        'main.tf': 'module "a" {\n  source = "./a"\n}\n',
        'a/main.tf': 'module "b" {\n  source = "../b"\n}\n',
        'b/main.tf': '\nmodule "a" {\n  source = "../a"\n}\n',
      },
      ['CONFIG_MODULE', 'b/main.tf', 3, 'Module call "a" loops back to a'],
    ],
    [
      'version on a local source',
      {
        'main.tf': 'module "k" {\n  source  = "./k"\n  version = "1.0"\n}\n',
        'k/main.tf': 'output "x" { value = 1 }\n',
      },
      ['CONFIG_MODULE', 'main.tf', 3, 'Invalid argument "version" for a local module'],
    ],
    [
      'an argument the module does not declare',
      {
        'main.tf': 'module "k" {\n  source = "./k"\n\n  regoin = "x"\n}\n',
        'k/main.tf': 'variable "region" {\n  default = "eu-west-1"\n}\n',
      },
      ['CONFIG_SCHEMA', 'main.tf', 4, 'Unsupported argument'],
    ],
    [
      'a required variable without argument',
      {
        'main.tf': '\nmodule "k" {\n  source = "./k"\n}\n',
        'k/main.tf': 'variable "region" {}\n',
      },
      ['CONFIG_SCHEMA', 'main.tf', 2, 'Missing required argument'],
    ],
    [
      'an output the module does not declare',
      {
        'main.tf': 'module "k" {\n  source = "./k"\n}\noutput "o" {\n  value = module.k.nope\n}\n',
        'k/main.tf': 'output "arn" { value = "x" }\n',
      },
      ['CONFIG_REFERENCE', 'main.tf', 5, 'Unsupported attribute'],
    ],
    [
      'an undeclared module',
      { 'main.tf': 'output "o" {\n  value = module.k.arn\n}\n' },
      ['CONFIG_REFERENCE', 'main.tf', 2, 'Reference to undeclared module "k"'],
    ],
    [
      'a provider block in a child module',
      {
        'main.tf': 'module "k" {\n  source = "./k"\n}\n',
        'k/main.tf': 'provider "cmek" {\n  data_dir = ".x"\n}\n',
      },
      [
        'CONFIG_UNSUPPORTED',
        'k/main.tf',
        1,
        'A provider "cmek" block in a child module is not supported',
      ],
    ],
  ])('%s is a coded diagnostic at its line', async (_what, files, want) => {
    const r = await loadConfig(tree(files));
    expect(r.diagnostics.map((d) => [d.code, d.file, d.line, d.summary])).toEqual([want]);
  });

  it('count and for_each, depends_on and providers = { cmek = cmek } on a call', async () => {
    const r = await loadConfig(
      tree({
        'main.tf':
          'resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n}\nmodule "a" {\n  source = "./m"\n  for_each = toset(["x"])\n  name = each.key\n  depends_on = [cmek_kms_key.k]\n  providers = { cmek = cmek }\n}\nmodule "b" {\n  source = "./m"\n  count = 2\n  name = "n${count.index}"\n  depends_on = [module.a]\n}\n',
        'm/main.tf': 'variable "name" { type = string }\n',
      }),
    );
    expect(r.diagnostics).toEqual([]);
    const [a, b] = r.config.modules!;
    expect([a!.forEach?.text, a!.dependsOn, b!.count?.text, b!.dependsOn]).toEqual([
      'toset(["x"])',
      ['cmek_kms_key.k'],
      '2',
      ['module.a'],
    ]);
  });
});
