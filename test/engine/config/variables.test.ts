// Input variables: default < TF_VAR_name < -var, typed conversion, and the diagnostics.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  loadConfig,
  loadVarFiles,
  resolveVariables,
  type Config,
} from '../../../src/engine/config/index.js';
import { convert, parseType } from '../../../src/engine/config/variables.js';

async function configOf(hcl: string): Promise<Config> {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-vars-'));
  writeFileSync(join(dir, 'vars.tf'), hcl);
  const { config, diagnostics } = await loadConfig(dir);
  expect(diagnostics).toEqual([]);
  return config;
}

const VARS = `
variable "region" {
  type    = string
  default = "eu-west-1"
}
variable "count_n" {
  type    = number
  default = 1
}
variable "enabled" {
  type = bool
}
variable "tags" {
  type    = map(string)
  default = { team = "data" }
}
variable "zones" {
  type    = list(string)
  default = []
}
variable "untyped" {
  default = "x"
}
variable "spec" {
  type = object({ name = string, size = optional(number) })
  default = { name = "a", extra = 1 }
}
variable "secret" {
  type      = string
  sensitive = true
}
`;

describe('resolveVariables', async () => {
  const config = await configOf(VARS);

  it('uses defaults, converts to the declared type, and reports missing values', () => {
    const { values, diagnostics } = resolveVariables(config, {});
    expect(values).toEqual({
      region: 'eu-west-1',
      count_n: 1,
      tags: { team: 'data' },
      zones: [],
      untyped: 'x',
      spec: { name: 'a', size: null },
    });
    expect(diagnostics.map((d) => [d.code, d.summary, d.file, d.line])).toEqual([
      ['CONFIG_SCHEMA', 'No value for required variable "enabled"', 'vars.tf', 10],
      ['CONFIG_SCHEMA', 'No value for required variable "secret"', 'vars.tf', 28],
    ]);
    expect(diagnostics[0]!.detail).toContain('TF_VAR_enabled');
  });

  it('precedence: default < TF_VAR_name < -var', () => {
    const env = { TF_VAR_region: 'us-east-1', TF_VAR_enabled: 'true', TF_VAR_secret: 's' };
    expect(resolveVariables(config, { env }).values.region).toBe('us-east-1');
    const both = resolveVariables(config, { env, cliVars: { region: 'ap-south-1' } });
    expect(both.values.region).toBe('ap-south-1');
    expect(both.values.enabled).toBe(true);
    expect(both.diagnostics).toEqual([]);
  });

  it('parses command-line strings as HCL literals for non-string types', () => {
    const { values, diagnostics } = resolveVariables(config, {
      cliVars: {
        count_n: '3',
        enabled: 'false',
        tags: '{ env = "prod", n = 1 }',
        zones: '["a", "b"]',
        untyped: '[1]',
        secret: '"quoted stays as typed"',
        spec: '{ name = "b", size = 2 }',
      },
    });
    expect(diagnostics).toEqual([]);
    expect(values.count_n).toBe(3);
    expect(values.enabled).toBe(false);
    expect(values.tags).toEqual({ env: 'prod', n: '1' });
    expect(values.zones).toEqual(['a', 'b']);
    // Untyped and string variables take the text as it is, as Terraform does.
    expect(values.untyped).toBe('[1]');
    expect(values.secret).toBe('"quoted stays as typed"');
    expect(values.spec).toEqual({ name: 'b', size: 2 });
  });

  it('reports values that do not fit the type without echoing them', () => {
    const { diagnostics } = resolveVariables(config, {
      cliVars: { count_n: 'many', enabled: 'yes', zones: '{ a = 1 }', tags: '[', secret: 'x' },
    });
    expect(diagnostics.map((d) => [d.code, d.summary])).toEqual([
      ['CONFIG_SCHEMA', 'Invalid value for variable "count_n"'],
      ['CONFIG_SCHEMA', 'Invalid value for variable "enabled"'],
      ['CONFIG_SCHEMA', 'Invalid value for variable "tags"'],
      ['CONFIG_SCHEMA', 'Invalid value for variable "zones"'],
    ]);
    expect(diagnostics[0]!.detail).toContain('-var count_n=...');
    expect(diagnostics[1]!.detail).not.toContain('yes');
  });

  it('a -var for an undeclared variable is an error with a suggestion', () => {
    const { diagnostics } = resolveVariables(config, {
      cliVars: { regoin: 'x', enabled: 'true', secret: 's' },
    });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.code).toBe('CONFIG_REFERENCE');
    expect(diagnostics[0]!.detail).toContain('Did you mean "region"?');
  });

  it('TF_VAR_ for an undeclared variable is ignored, as in Terraform', () => {
    const { diagnostics } = resolveVariables(config, {
      env: { TF_VAR_nothing: 'x', TF_VAR_enabled: 'true', TF_VAR_secret: 's' },
    });
    expect(diagnostics).toEqual([]);
  });
});

describe('types', () => {
  it.each([
    ['string', { kind: 'string' }],
    ['list(string)', { kind: 'list', of: { kind: 'string' } }],
    ['map(list(number))', { kind: 'map', of: { kind: 'list', of: { kind: 'number' } } }],
    ['map', { kind: 'map', of: { kind: 'any' } }],
    ['tuple([string, bool])', { kind: 'tuple', items: [{ kind: 'string' }, { kind: 'bool' }] }],
    [
      'object({ a = string, b = optional(number) })',
      {
        kind: 'object',
        attrs: {
          a: { type: { kind: 'string' }, optional: false },
          b: { type: { kind: 'number' }, optional: true },
        },
      },
    ],
  ])('parseType(%s)', (text, want) => {
    expect(parseType(text)).toEqual(want);
  });

  it.each(['lst(string)', 'list(', 'object({ a = optional(string, "x") })', 'string extra'])(
    'parseType(%s) fails',
    (text) => {
      expect(() => parseType(text)).toThrow();
    },
  );

  it('convert follows Terraform conversions', () => {
    expect(convert(5, parseType('string'))).toBe('5');
    expect(convert('5', parseType('number'))).toBe(5);
    expect(convert('true', parseType('bool'))).toBe(true);
    expect(convert(['a', 'a', 'b'], parseType('set(string)'))).toEqual(['a', 'b']);
    expect(convert(null, parseType('number'))).toBe(null);
    expect(() => convert({ a: 1 }, parseType('list(string)'))).toThrow(/list is required/);
    expect(() => convert({}, parseType('object({ a = string })'))).toThrow(/"a" is required/);
    expect(() => convert([1, 'x'], parseType('list(number)'))).toThrow(/\[1\]/);
  });
});

describe('variable files', () => {
  const dir = fileURLToPath(new URL('../../fixtures/config/varfiles', import.meta.url));

  it('terraform.tfvars, then *.auto.tfvars(.json), then -var-file; -var wins over all', async () => {
    const { config } = await loadConfig(dir);
    const auto = await loadVarFiles(dir);
    expect(auto.diagnostics).toEqual([]);
    expect(auto.values).toEqual({ region: 'eu-west-1', zones: ['a', 'b'], size: 3 });

    const withFile = await loadVarFiles(dir, ['extra.tfvars']);
    expect(withFile.values.region).toBe('us-east-1');
    const r = resolveVariables(config, {
      fileVars: withFile.values,
      env: { TF_VAR_size: '9', TF_VAR_region: 'env-region' },
      cliVars: { zones: '["z"]' },
    });
    // The file beats TF_VAR_; -var beats the file.
    expect(r.values).toEqual({ region: 'us-east-1', zones: ['z'], size: 3 });
    // A file value for an undeclared variable is a warning, as in Terraform.
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.summary])).toEqual([
      ['warning', 'CONFIG_REFERENCE', 'Value for undeclared variable "unknown"'],
    ]);
  });

  it('variable files hold literals only; problems name file and line', async () => {
    const { diagnostics } = await loadVarFiles(dir, ['bad.tfvars', 'missing.tfvars']);
    expect(diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
      ['CONFIG_REFERENCE', 'bad.tfvars', 1],
      ['CONFIG_UNSUPPORTED', 'bad.tfvars', 2],
      ['CONFIG_SYNTAX', 'missing.tfvars', undefined],
    ]);
  });
});
