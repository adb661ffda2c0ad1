import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/engine/config/index.js';
import { apply, plan, providerSettings } from '../../src/engine/index.js';
import { DEFAULT_SERVICE_PRINCIPAL } from '../../src/resources/types.js';
import { makeWorld, workdir } from './fake.js';

describe('provider "cmek" block', () => {
  it('defaults: .cmek beside the configuration, the default principal, the local KMS', async () => {
    const dir = workdir({ 'main.tf': '' });
    const { config } = await loadConfig(dir);
    expect(providerSettings(config, {})).toEqual({
      settings: {
        dataDir: join(dir, '.cmek'),
        servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
        kms: { backend: 'local' },
      },
      diagnostics: [],
    });
  });

  it('data_dir (relative to the working directory), service_principal from a variable, kms { aws {...} }', async () => {
    const dir = workdir({
      'main.tf': `variable "sp" {
  default = "arn:aws:iam::576599896960:role/prod-kms-request-role"
}
provider "cmek" {
  data_dir          = "state/data"
  service_principal = var.sp
  kms {
    aws {
      region   = "eu-west-1"
      endpoint = "http://127.0.0.1:4599"
    }
  }
}
`,
    });
    const { config } = await loadConfig(dir);
    const r = providerSettings(config, {
      sp: 'arn:aws:iam::576599896960:role/prod-kms-request-role',
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.settings).toEqual({
      dataDir: join(dir, 'state/data'),
      servicePrincipal: 'arn:aws:iam::576599896960:role/prod-kms-request-role',
      kms: { backend: 'aws', region: 'eu-west-1', endpoint: 'http://127.0.0.1:4599' },
    });
  });

  it('unknown arguments and wrong types are CONFIG_SCHEMA with file:line', async () => {
    const dir = workdir({
      'main.tf': 'provider "cmek" {\n  data_dir = 3\n  colour   = "red"\n}\n',
    });
    const { config } = await loadConfig(dir);
    const r = providerSettings(config, {});
    expect(r.diagnostics.map((d) => [d.code, d.attribute, d.line])).toEqual([
      ['CONFIG_SCHEMA', 'data_dir', 2],
      ['CONFIG_SCHEMA', 'colour', 3],
    ]);
  });
});

describe('backend "local"', () => {
  it('puts the state (and its lock and backup) at the configured path', async () => {
    const w = makeWorld();
    const dir = workdir({
      'main.tf':
        'terraform {\n  backend "local" {\n    path = "envs/prod.tfstate"\n  }\n}\nresource "fake_thing" "t" {\n  name = "t"\n}\n',
    });
    const r = await apply(await plan({ dir, deps: w.deps }), { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect(existsSync(join(dir, 'envs/prod.tfstate'))).toBe(true);
    expect(existsSync(join(dir, 'terraform.tfstate'))).toBe(false);
    expect((await plan({ dir, deps: w.deps })).changes[0]!.action).toBe('noop');
  });
});
