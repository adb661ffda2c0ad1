// The `cmek:*` config of the dynamic providers → ProviderSettings (defaults as the provider
// block's), and the one camelCase ⇄ snake_case mapping the Pulumi doors share.
import { describe, expect, it } from 'vitest';
import { camelToSnake, pulumiTypeToken, snakeToCamel } from '../../src/model/case.js';
import { describeResources } from '../../src/resources/index.js';
import { DEFAULT_SERVICE_PRINCIPAL } from '../../src/resources/types.js';
import { settingsFrom } from '../../src/pulumi/dynamic.js';

describe('cmek:* config', () => {
  it('defaults: .cmek beside the program, the default principal, the local KMS', () => {
    expect(settingsFrom({ cwd: '/prog' })).toEqual({
      dataDir: '/prog/.cmek',
      servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
      kms: { backend: 'local' },
    });
  });

  it('a relative dataDir is the program directory’s; aws takes region and endpoint', () => {
    expect(
      settingsFrom({
        cwd: '/prog',
        dataDir: 'state',
        servicePrincipal: 'arn:aws:iam::1:role/x',
        kmsBackend: 'aws',
        kmsRegion: 'eu-west-1',
        kmsEndpoint: 'http://127.0.0.1:4566',
      }),
    ).toEqual({
      dataDir: '/prog/state',
      servicePrincipal: 'arn:aws:iam::1:role/x',
      kms: { backend: 'aws', region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566' },
    });
  });

  it('a wrong kmsBackend fails with CONFIG_SCHEMA and no stack trace', () => {
    let err: Error | undefined;
    try {
      settingsFrom({ cwd: '/prog', kmsBackend: 'vault' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/^CONFIG_SCHEMA: Invalid value for cmek:kmsBackend: "vault"/);
    expect(err?.stack).toBe(err?.message);
  });
});

describe('names', () => {
  it('every attribute name survives snake → camel → snake', () => {
    for (const d of describeResources())
      for (const a of d.attributes) expect(camelToSnake(snakeToCamel(a.name)), a.name).toBe(a.name);
  });

  it('type tokens', () => {
    expect(pulumiTypeToken('cmek_kms_key_policy')).toBe('pulumi-nodejs:dynamic/cmek:KmsKeyPolicy');
  });
});
