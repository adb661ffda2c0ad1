// cdktf `Testing` synth tests of the cmek constructs with cdktf's own matchers: the provider
// block and its source address, typed props, references between constructs, setters, HCL
// output, and a prop that is not an attribute failing synth with CONFIG_SCHEMA.
import { App, TerraformStack, Testing } from 'cdktf';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CMEK_PROVIDER_SOURCE,
  Backup,
  CmekProvider,
  EncryptedService,
  KmsKey,
  KmsKeyPolicy,
  Replica,
  type KmsKeyConfig,
} from '../../src/cdktf/index.js';
import { PROVIDER_NAME } from '../../src/engine/state.js';
import { cliBin, cmek } from '../e2e/harness.js';

const out = mkdtempSync(join(tmpdir(), 'cmek-cdktf-synth-'));
// Build the CLI once, up front (slow on a loaded machine), not inside the first test.
beforeAll(() => void cliBin(), 300_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

function quickstart() {
  const stack = new TerraformStack(Testing.app(), 'app');
  new CmekProvider(stack, 'cmek', {
    dataDir: '/var/lib/cmek',
    servicePrincipal: 'arn:aws:iam::111122223333:role/db',
    kms: { aws: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566' } },
  });
  const key = new KmsKey(stack, 'orders', {
    region: 'eu-west-1',
    alias: 'alias/orders',
    enableKeyRotation: true,
    rotationPeriodInDays: 365,
  });
  new KmsKeyPolicy(stack, 'orders_policy', { keyId: key.keyId });
  const db = new EncryptedService(stack, 'db', {
    name: 'orders',
    region: 'eu-west-1',
    kmsKey: key.arn,
    tags: { team: 'payments' },
  });
  new Replica(stack, 'ro', { primaryId: db.id, name: 'orders-ro', region: 'eu-west-1' });
  new Backup(stack, 'nightly', { serviceId: db.id });
  return { stack, key, db };
}

describe('cmek constructs synthesize', () => {
  it('with cdktf Testing matchers: provider, resources, references', () => {
    const synth = Testing.synth(quickstart().stack);
    expect(Testing.toHaveProvider(synth, CmekProvider.tfResourceType)).toBe(true);
    expect(
      Testing.toHaveProviderWithProperties(synth, CmekProvider.tfResourceType, {
        data_dir: '/var/lib/cmek',
        service_principal: 'arn:aws:iam::111122223333:role/db',
        kms: { aws: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566' } },
      }),
    ).toBe(true);
    expect(
      Testing.toHaveResourceWithProperties(synth, KmsKey.tfResourceType, {
        region: 'eu-west-1',
        alias: 'alias/orders',
        enable_key_rotation: true,
        rotation_period_in_days: 365,
      }),
    ).toBe(true);
    expect(
      Testing.toHaveResourceWithProperties(synth, KmsKeyPolicy.tfResourceType, {
        key_id: '${cmek_kms_key.orders.key_id}',
      }),
    ).toBe(true);
    expect(
      Testing.toHaveResourceWithProperties(synth, EncryptedService.tfResourceType, {
        kms_key: '${cmek_kms_key.orders.arn}',
        tags: { team: 'payments' },
      }),
    ).toBe(true);
    expect(
      Testing.toHaveResourceWithProperties(synth, Replica.tfResourceType, {
        primary_id: '${cmek_encrypted_service.db.id}',
      }),
    ).toBe(true);
    expect(
      Testing.toHaveResourceWithProperties(synth, Backup.tfResourceType, {
        service_id: '${cmek_encrypted_service.db.id}',
      }),
    ).toBe(true);
    // The matchers can fail: a wrong value, a type that is not there.
    expect(
      Testing.toHaveResourceWithProperties(synth, KmsKey.tfResourceType, { region: 'us-east-1' }),
    ).toBe(false);
    expect(Testing.toHaveResource(synth, 'cmek_clone')).toBe(false);
  });

  it("names our provider plugin's source address (the one of the state file)", () => {
    const tf = JSON.parse(Testing.synth(quickstart().stack)) as {
      terraform: { required_providers: Record<string, { source: string }> };
    };
    expect(CMEK_PROVIDER_SOURCE).toBe(PROVIDER_NAME);
    expect(tf.terraform.required_providers).toEqual({ cmek: { source: PROVIDER_NAME } });
  });

  it('setters change and clear inputs; Input getters return the configured value', () => {
    const { stack, key } = quickstart();
    expect(key.aliasInput).toBe('alias/orders');
    key.description = 'rotated yearly';
    key.alias = undefined;
    expect(key.aliasInput).toBeUndefined();
    const tf = JSON.parse(Testing.synth(stack)) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(tf.resource.cmek_kms_key!.orders).toEqual({
      region: 'eu-west-1',
      description: 'rotated yearly',
      enable_key_rotation: true,
      rotation_period_in_days: 365,
    });
  });

  it('to HCL too (Testing.synthHcl), which cmek validate accepts', () => {
    const hcl = Testing.synthHcl(quickstart().stack) as string;
    expect(hcl).toContain('resource "cmek_kms_key" "orders"');
    expect(hcl).toContain('kms_key = "${cmek_kms_key.orders.arn}"');
    expect(hcl).toMatch(/kms \{\s*aws \{\s*region = "eu-west-1"/);
    const dir = join(out, 'hcl');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.tf'), hcl);
    const r = cmek(dir, ['validate', '-no-color']);
    expect(r.stdout + r.stderr).toContain('The configuration is valid');
    expect(r.code).toBe(0);
  }, 120_000);

  it('a prop that is not a configurable attribute fails synth with CONFIG_SCHEMA', () => {
    const app = new App({ outdir: join(out, 'bad-prop') });
    const stack = new TerraformStack(app, 'app');
    new CmekProvider(stack, 'cmek');
    // `arn` is computed; plain JavaScript (or a cast) can still pass it.
    new KmsKey(stack, 'k', { region: 'eu-west-1', arn: 'x' } as KmsKeyConfig);
    expect(() => app.synth()).toThrow(
      '[app/k] [CONFIG_SCHEMA] cmek_kms_key has no configurable attribute "arn"',
    );
  });
});
