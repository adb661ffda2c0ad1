// Loader tests over the small configurations in test/fixtures/config/.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/model/diagnostics.js';
import { loadConfig, mapScope, type Config } from '../../../src/engine/config/index.js';
import { isUnknown, Unknown, UNKNOWN, type Value } from '../../../src/model/values.js';

const dir = (name: string) =>
  fileURLToPath(new URL(`../../fixtures/config/${name}`, import.meta.url));
const brief = (ds: Diagnostic[]) =>
  ds.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line} ${d.summary}`);
const res = (c: Config, address: string) => {
  const r = c.resources.find((x) => x.address === address);
  if (!r) throw new Error(`no ${address}`);
  return r;
};

describe('basic HCL configuration', async () => {
  const { config, diagnostics } = await loadConfig(dir('basic'));

  it('loads without diagnostics', () => {
    expect(brief(diagnostics)).toEqual([]);
    expect(config.files).toEqual(['main.tf']);
    expect(config.dir).toBe(dir('basic'));
  });

  it('reads terraform { backend "local" } and the provider block', () => {
    expect(config.backend).toEqual({ type: 'local', path: 'state/cmek.tfstate' });
    const p = config.provider!;
    expect(p.pos).toEqual({ file: 'main.tf', line: 14, column: 1, endLine: 14, endColumn: 16 });
    expect(Object.keys(p.attributes).sort()).toEqual(['data_dir', 'kms', 'service_principal']);
    // The nested kms { aws { ... } } blocks become one object value.
    const kms = p.attributes.kms!.evaluate(mapScope('.', { 'var.region': 'eu-west-1' }));
    expect(kms).toEqual({ aws: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4599' } });
    expect(p.attributes.kms!.refs).toEqual(['var.region']);
  });

  it('reads variables with type, default and description', () => {
    expect(config.variables.map((v) => [v.name, v.type, v.default, v.pos.line])).toEqual([
      ['region', 'string', 'eu-west-1', 25],
      ['principal', 'string', 'arn:aws:iam::000000000000:role/cmek-service', 30],
      ['replicas', 'number', 2, 36],
    ]);
    expect(config.variables[1]!.description).toBe('Service role');
  });

  it('reads locals as expressions', () => {
    expect(config.locals.map((l) => [l.name, l.pos.line, l.value.refs])).toEqual([
      ['name_prefix', 42, ['var.region']],
      ['tags', 43, []],
    ]);
    expect(config.locals[1]!.value.evaluate(mapScope('.', {}))).toEqual({
      team: 'data',
      env: 'prod',
    });
  });

  it('keeps resources in source order with their lines and meta-arguments', () => {
    expect(config.resources.map((r) => [r.address, r.pos.line])).toEqual([
      ['cmek_kms_key.main', 46],
      ['cmek_kms_key_policy.main', 56],
      ['cmek_encrypted_service.db', 72],
    ]);
    const key = res(config, 'cmek_kms_key.main');
    expect(key.lifecycle).toEqual({
      preventDestroy: true,
      createBeforeDestroy: false,
      ignoreChanges: [],
    });
    // The range of the expression itself (`var.region`).
    expect(key.attributes.region!.pos).toEqual({
      file: 'main.tf',
      line: 47,
      column: 25,
      endLine: 47,
      endColumn: 35,
    });
    expect(key.attributes.description!.pos.line).toBe(48);
    expect(Object.keys(key.attributes).sort()).toEqual([
      'description',
      'enable_key_rotation',
      'region',
    ]);

    const svc = res(config, 'cmek_encrypted_service.db');
    expect(svc.count!.refs).toEqual(['var.replicas']);
    expect(svc.lifecycle).toEqual({
      preventDestroy: false,
      createBeforeDestroy: true,
      ignoreChanges: ['tags'],
    });
    expect(Object.keys(svc.attributes)).not.toContain('count');
    expect(Object.keys(svc.attributes)).not.toContain('lifecycle');
    expect(res(config, 'cmek_kms_key_policy.main').dependsOn).toEqual(['cmek_kms_key.main']);
  });

  it('evaluates resource attributes in an engine-like scope', () => {
    const arn = new Unknown({ address: 'cmek_kms_key.main', region: 'eu-west-1', provider: 'aws' });
    const scope = mapScope(dir('basic'), {
      'var.region': 'eu-west-1',
      'var.principal': 'arn:aws:iam::000000000000:role/cmek-service',
      'local.name_prefix': 'orders-eu-west-1',
      'local.tags': { team: 'data' },
      'cmek_kms_key.main': { arn, id: UNKNOWN },
      'count.index': 1,
    });
    const svc = res(config, 'cmek_encrypted_service.db');
    const ev = (k: string): Value => svc.attributes[k]!.evaluate(scope);
    expect(ev('name')).toBe('orders-eu-west-1-1');
    expect(ev('kms_key')).toBe(arn);
    expect(ev('extra')).toEqual({ tier: 'gold', size: 3 });
    expect(svc.attributes.kms_key!.refs).toEqual(['cmek_kms_key.main']);

    const policy = res(config, 'cmek_kms_key_policy.main').attributes.policy!;
    expect(policy.pos.line).toBe(59);
    expect(JSON.parse(policy.evaluate(scope) as string)).toEqual({
      Statement: [
        {
          Action: ['kms:Decrypt', 'kms:Encrypt'],
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::000000000000:role/cmek-service' },
          Resource: '*',
          Sid: 'Service',
        },
      ],
      Version: '2012-10-17',
    });
    expect(
      isUnknown(res(config, 'cmek_kms_key_policy.main').attributes.key_id!.evaluate(scope)),
    ).toBe(true);
  });

  it('reads outputs', () => {
    expect(
      config.outputs.map((o) => [o.name, o.pos.line, o.sensitive, o.dependsOn, o.value.refs]),
    ).toEqual([
      ['key_arn', 86, false, [], ['cmek_kms_key.main']],
      ['first_service', 91, true, ['cmek_kms_key_policy.main'], ['cmek_encrypted_service.db']],
    ]);
    expect(config.outputs[0]!.description).toBe('The key');
  });
});

describe('Terraform JSON syntax and cdktf output', () => {
  it('loads *.tf.json with lines from the JSON text', async () => {
    const { config, diagnostics } = await loadConfig(dir('json'));
    expect(brief(diagnostics)).toEqual([]);
    expect(config.resources.map((r) => [r.address, r.pos])).toEqual([
      ['cmek_kms_key.k', { file: 'main.tf.json', line: 9 }],
      ['cmek_encrypted_service.s', { file: 'main.tf.json', line: 15 }],
    ]);
    const s = res(config, 'cmek_encrypted_service.s');
    expect(s.dependsOn).toEqual(['cmek_kms_key.k']);
    expect(s.attributes.tags!.pos.line).toBe(19);
    expect(s.attributes.tags!.evaluate(mapScope('.', { 'local.svc': 'billing' }))).toEqual({
      owner: 'billing-team',
    });
    expect(res(config, 'cmek_kms_key.k').lifecycle).toEqual({
      preventDestroy: true,
      createBeforeDestroy: false,
      ignoreChanges: ['description'],
    });
    expect(config.variables[0]).toMatchObject({
      name: 'region',
      type: 'string',
      default: 'us-east-1',
    });
    expect(config.outputs[0]!.value.refs).toEqual(['cmek_kms_key.k']);
  });

  it('loads a cdktf stack directory (cdk.tf.json), ignoring "//" metadata everywhere', async () => {
    const { config, diagnostics } = await loadConfig(dir('cdktf'));
    expect(brief(diagnostics)).toEqual([]);
    expect(config.files).toEqual(['cdk.tf.json']);
    expect(config.backend.path).toBe('/tmp/cmek-cdktf/terraform.app.tfstate');
    expect(config.provider!.attributes.data_dir!.evaluate(mapScope('.', {}))).toBe('.cmek');
    expect(config.resources.map((r) => r.address)).toEqual([
      'cmek_kms_key.key',
      'cmek_encrypted_service.svc',
    ]);
    const svc = res(config, 'cmek_encrypted_service.svc');
    expect(Object.keys(svc.attributes).sort()).toEqual(['kms_key', 'name', 'region']);
    expect(svc.attributes.kms_key!.refs).toEqual(['cmek_kms_key.key']);
    expect(svc.attributes.kms_key!.pos).toEqual({ file: 'cdk.tf.json', line: 17 });
  });
});

describe('errors', () => {
  it('HCL syntax errors carry the file and line from hcl2json', async () => {
    const { diagnostics } = await loadConfig(dir('syntax-error'));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: 'CONFIG_SYNTAX',
      file: 'main.tf',
      line: 6,
      severity: 'error',
    });
  });

  it('JSON syntax errors carry the file and line', async () => {
    const { diagnostics } = await loadConfig(dir('json-syntax-error'));
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics[0]).toMatchObject({ code: 'CONFIG_SYNTAX', file: 'main.tf.json', line: 4 });
  });

  it('a directory without configuration files is an error', async () => {
    const { diagnostics } = await loadConfig(dir('empty'));
    expect(diagnostics.map((d) => [d.code, d.summary])).toEqual([
      ['CONFIG_SYNTAX', 'No configuration files'],
    ]);
  });

  it('a path to one configuration file loads that file from its directory', async () => {
    const { config, diagnostics } = await loadConfig(`${dir('cdktf')}/cdk.tf.json`);
    expect(diagnostics).toEqual([]);
    expect(config.dir).toBe(dir('cdktf'));
    expect(config.files).toEqual(['cdk.tf.json']);
    expect(config.resources).toHaveLength(2);
  });

  it('pointing at a cdktf app directory names its synthesized stacks', async () => {
    const { diagnostics } = await loadConfig(dir('cdktf-app'));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.detail).toContain('use -chdir=cdktf.out/stacks/app');
    const stack = await loadConfig(dir('cdktf-app/cdktf.out/stacks/app'));
    expect(stack.diagnostics).toEqual([]);
    expect(stack.config.resources).toHaveLength(2);
  });

  it('a missing directory is an error, not an exception', async () => {
    const { diagnostics } = await loadConfig(dir('does-not-exist'));
    expect(diagnostics[0]!.code).toBe('CONFIG_SYNTAX');
  });

  it('every unsupported construct is a CONFIG_UNSUPPORTED error naming file and line', async () => {
    const { diagnostics } = await loadConfig(dir('unsupported'));
    expect(diagnostics.every((d) => d.code === 'CONFIG_UNSUPPORTED' && d.file === 'main.tf')).toBe(
      true,
    );
    expect(diagnostics.map((d) => [d.line, d.summary])).toEqual([
      [2, 'The module source "terraform-aws-modules/vpc/aws" (a module registry) is not supported'],
      [13, 'The function bcrypt() is not supported'],
      [25, 'A `provisioner` block is not supported'],
      [34, 'The provider "aws" is not supported'],
    ]);
    expect(diagnostics.find((d) => d.line === 13)).toMatchObject({
      address: 'cmek_encrypted_service.s',
      attribute: 'name',
    });
  });

  it('unsupportedSeverity: "warning" keeps foreign configurations loadable for policy checks', async () => {
    const { diagnostics, config } = await loadConfig(dir('unsupported'), {
      unsupportedSeverity: 'warning',
    });
    expect(diagnostics.every((d) => d.severity === 'warning')).toBe(true);
    expect(config.resources.map((r) => r.address)).toEqual([
      'cmek_kms_key.k',
      'cmek_encrypted_service.s',
    ]);
    // The expressions that use unsupported constructs still refuse to evaluate.
    expect(() =>
      res(config, 'cmek_encrypted_service.s').attributes.name!.evaluate(mapScope('.', {})),
    ).toThrow(/bcrypt/);
  });

  it('duplicate variables, resources and outputs across files; duplicate object keys warn', async () => {
    const { diagnostics, config } = await loadConfig(dir('duplicates'));
    expect(brief(diagnostics)).toEqual([
      'error CONFIG_SCHEMA b.tf:1 Duplicate variable "region"',
      'error CONFIG_SCHEMA b.tf:5 Duplicate resource "cmek_kms_key.k"',
      'error CONFIG_SCHEMA b.tf:9 Duplicate output "arn"',
      'warning CONFIG_SYNTAX b.tf:16 Duplicate object key "Effect"',
    ]);
    expect(diagnostics[1]!.detail).toContain('a.tf:5');
    // Last wins, as hcl2json and Terraform do.
    expect(config.locals[0]!.value.evaluate(mapScope('.', {}))).toEqual({ Effect: 'Deny' });
  });

  it('bad references say what exists', async () => {
    const { diagnostics } = await loadConfig(dir('bad-refs'));
    expect(diagnostics.map((d) => [d.code, d.line, d.address, d.summary])).toEqual([
      [
        'CONFIG_REFERENCE',
        10,
        'cmek_kms_key.main',
        'Reference to undeclared variable "var.regoin"',
      ],
      [
        'CONFIG_REFERENCE',
        14,
        'cmek_encrypted_service.db',
        'Reference to undeclared local value "local.prefx"',
      ],
      [
        'CONFIG_REFERENCE',
        16,
        'cmek_encrypted_service.db',
        'Reference to undeclared resource "cmek_kms_key.mian"',
      ],
      [
        'CONFIG_REFERENCE',
        17,
        'cmek_encrypted_service.db',
        'Reference to count.index outside a resource with count',
      ],
      [
        'CONFIG_REFERENCE',
        18,
        'cmek_encrypted_service.db',
        'depends_on names undeclared resource "cmek_kms_key.nope"',
      ],
    ]);
    expect(diagnostics[0]!.detail).toContain('Did you mean "var.region"?');
    expect(diagnostics[1]!.detail).toContain('Did you mean "local.prefix"?');
    expect(diagnostics[2]!.detail).toContain('Did you mean "cmek_kms_key.main"?');
    expect(diagnostics[4]!.detail).toContain(
      'Declared resources: cmek_encrypted_service.db, cmek_kms_key.main',
    );
  });

  it('files restricts loading to the named files', async () => {
    const { config, diagnostics } = await loadConfig(dir('duplicates'), { files: ['a.tf'] });
    expect(brief(diagnostics)).toEqual([]);
    expect(config.files).toEqual(['a.tf']);
  });
});

describe('examples shipped with the product', () => {
  it('examples/quickstart loads without configuration diagnostics', async () => {
    const { config, diagnostics } = await loadConfig(
      fileURLToPath(new URL('../../../examples/quickstart', import.meta.url)),
    );
    expect(brief(diagnostics)).toEqual([]);
    expect(config.resources.length).toBeGreaterThan(0);
  });
});
