// The cmek Terraform provider (src/terraform/provider.ts) called as the wire layer calls it: the
// ProviderHandler methods with decoded values, over a REAL local KMS and control plane in a temp
// working directory (data_dir defaults to <workdir>/.cmek). The same flows run through the real
// terraform binary in test/terraform/terraform.e2e.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Unknown, type Value } from '../../src/model/values.js';
import { controlPlaneFor, createProviderContext } from '../../src/resources/index.js';
import { DEFAULT_SERVICE_PRINCIPAL } from '../../src/resources/types.js';
import type { ProviderHandler, TfObject } from '../../src/terraform/handler.js';
import { createProvider } from '../../src/terraform/provider.js';

let dir: string;
let p: ProviderHandler;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-tfprov-'));
  p = createProvider({ workdir: dir });
  expect(
    await p.configureProvider({ data_dir: null, service_principal: null, kms: null }, '1.11.4'),
  ).toEqual([]);
});
afterEach(async () => {
  await p.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A configuration object: every schema attribute, null where not written. */
function cfg(type: string, written: Record<string, Value>): TfObject {
  const block = p.schemas().resources[type]!.block;
  const out: TfObject = {};
  for (const a of block.attributes) out[a.name] = a.name in written ? written[a.name]! : null;
  return out;
}

async function create(type: string, written: Record<string, Value>): Promise<TfObject> {
  const config = cfg(type, written);
  const plan = await p.planResourceChange(type, null, config, config, new Uint8Array());
  expect(plan.diagnostics ?? []).toEqual([]);
  const applied = await p.applyResourceChange(
    type,
    null,
    plan.plannedState,
    config,
    new Uint8Array(),
  );
  expect(applied.diagnostics ?? []).toEqual([]);
  return applied.state!;
}

describe('schema', () => {
  it('documents every attribute of every resource type from the definitions, and the provider block', () => {
    const s = p.schemas();
    expect(Object.keys(s.resources).sort()).toEqual([
      'cmek_backup',
      'cmek_backup_restore',
      'cmek_clone',
      'cmek_encrypted_service',
      'cmek_kms_key',
      'cmek_kms_key_policy',
      'cmek_replica',
    ]);
    expect(Object.keys(s.dataSources).sort()).toEqual(['cmek_encrypted_service', 'cmek_kms_key']);
    for (const r of [...Object.values(s.resources), ...Object.values(s.dataSources)]) {
      expect(r.block.description).toBeTruthy();
      for (const a of r.block.attributes) {
        expect(a.description, a.name).toBeTruthy();
        expect(!!a.required || !!a.optional || !!a.computed).toBe(true);
      }
    }
    const key = s.resources.cmek_kms_key!.block.attributes;
    // A default makes the attribute Optional+Computed (the provider plans the default).
    expect(key.find((a) => a.name === 'deletion_window_in_days')).toMatchObject({
      optional: true,
      computed: true,
    });
    expect(key.find((a) => a.name === 'region')).toMatchObject({ required: true });
    expect(key.find((a) => a.name === 'arn')).toMatchObject({ computed: true });
    expect(s.provider.block.attributes.map((a) => a.name)).toEqual([
      'data_dir',
      'service_principal',
      'endpoint',
      'access_key',
      'secret_key',
    ]);
    expect(s.provider.block.attributes.find((a) => a.name === 'secret_key')).toMatchObject({
      sensitive: true,
    });
    expect(s.provider.block.blockTypes?.[0]?.typeName).toBe('kms');
  });

  it('rejects a bad provider block with CONFIG_SCHEMA and the attribute path', () => {
    const ds = p.validateProviderConfig({ data_dir: '', service_principal: null, kms: null });
    expect(ds[0]!.summary).toMatch(/^CONFIG_SCHEMA: /);
    expect(ds[0]!.attribute).toEqual(['data_dir']);
  });
});

describe('plan, apply, read, import', () => {
  it("plans a key's arn as unknown refined with arn:aws:kms:REGION:000000000000:key/, and the service in another region fails at plan", async () => {
    const keyCfg = cfg('cmek_kms_key', { region: 'eu-west-1' });
    const plan = await p.planResourceChange('cmek_kms_key', null, keyCfg, keyCfg, new Uint8Array());
    const arn = plan.plannedState!.arn;
    expect(arn).toBeInstanceOf(Unknown);
    expect((arn as Unknown).refinement).toEqual({
      notNull: true,
      prefix: 'arn:aws:kms:eu-west-1:000000000000:key/',
    });
    expect(plan.plannedState!.deletion_window_in_days).toBe(30);

    // terraform hands the refinement to the referencing resource.
    const svcCfg = cfg('cmek_encrypted_service', {
      name: 'orders',
      region: 'us-east-1',
      kms_key: arn!,
    });
    const svc = await p.planResourceChange(
      'cmek_encrypted_service',
      null,
      svcCfg,
      svcCfg,
      new Uint8Array(),
    );
    expect(svc.diagnostics!.map((d) => d.summary.split(':')[0])).toEqual(['CMEK_REGION_MISMATCH']);
    expect(svc.diagnostics![0]!.attribute).toEqual(['kms_key']);
    expect(svc.diagnostics![0]!.detail).toMatch(/Remedy/);
  });

  it('plans a GCP-style key whole when its name is known, its ring prefix otherwise; the result keeps the promise', async () => {
    const named = cfg('cmek_kms_key', {
      region: 'europe-west1',
      key_ring: 'sql',
      alias: 'alias/orders',
    });
    const plan = await p.planResourceChange('cmek_kms_key', null, named, named, new Uint8Array());
    const full = 'projects/local/locations/europe-west1/keyRings/sql/cryptoKeys/orders';
    expect(plan.plannedState).toMatchObject({ arn: full, key_id: full, id: full, name: 'orders' });
    const applied = await p.applyResourceChange(
      'cmek_kms_key',
      null,
      plan.plannedState,
      named,
      new Uint8Array(),
    );
    expect(applied.diagnostics ?? []).toEqual([]);
    expect(applied.state).toMatchObject({ arn: full, key_id: full, name: 'orders' });

    const anon = cfg('cmek_kms_key', { region: 'europe-west1', key_ring: 'sql' });
    const plan2 = await p.planResourceChange('cmek_kms_key', null, anon, anon, new Uint8Array());
    const prefix = (plan2.plannedState!.arn as Unknown).refinement!.prefix!;
    expect(prefix).toBe('projects/local/locations/europe-west1/keyRings/sql/cryptoKeys/');
    const applied2 = await p.applyResourceChange(
      'cmek_kms_key',
      null,
      plan2.plannedState,
      anon,
      new Uint8Array(),
    );
    expect(String(applied2.state!.arn).startsWith(prefix)).toBe(true);

    // An AWS key has no crypto key name: planned null, not "known after apply".
    const aws = cfg('cmek_kms_key', { region: 'eu-west-1' });
    const plan3 = await p.planResourceChange('cmek_kms_key', null, aws, aws, new Uint8Array());
    expect(plan3.plannedState!.name).toBeNull();
  });

  it('creates, reads, re-plans with no change, detects drift, and imports', async () => {
    const key = await create('cmek_kms_key', { region: 'eu-west-1', alias: 'alias/orders' });
    expect(key.arn).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\//);
    const svcWritten = { name: 'orders', region: 'eu-west-1', kms_key: key.arn! };
    const svc = await create('cmek_encrypted_service', svcWritten);
    expect(svc).toMatchObject({ encrypted: true, status: 'RUNNING', profile: 'clickhouse' });

    // Read, then plan again: the planned state is the prior one (no change).
    const read = await p.readResource('cmek_encrypted_service', svc, new Uint8Array());
    expect(read.state).toEqual(svc);
    const config = cfg('cmek_encrypted_service', svcWritten);
    const again = await p.planResourceChange(
      'cmek_encrypted_service',
      svc,
      config,
      config,
      new Uint8Array(),
    );
    expect(again.plannedState).toEqual(svc);
    expect(again.requiresReplace ?? []).toEqual([]);
    const keyAgain = await p.readResource('cmek_kms_key', key, new Uint8Array());
    expect(keyAgain.state).toEqual(key);

    // A name change replaces.
    const renamed = cfg('cmek_encrypted_service', { ...svcWritten, name: 'orders2' });
    const rp = await p.planResourceChange(
      'cmek_encrypted_service',
      svc,
      renamed,
      renamed,
      new Uint8Array(),
    );
    expect(rp.requiresReplace).toEqual([['name']]);

    // Import by name and by key alias.
    const imp = await p.importResourceState('cmek_encrypted_service', 'orders');
    expect(imp.imported[0]!.state).toMatchObject({
      id: svc.id,
      region: 'eu-west-1',
      kms_key: key.arn,
    });
    const impKey = await p.importResourceState('cmek_kms_key', 'alias/orders');
    expect(impKey.imported[0]!.state.arn).toBe(key.arn);
    const none = await p.importResourceState('cmek_encrypted_service', 'nope');
    expect(none.diagnostics![0]!.summary).toMatch(/^IMPORT_NOT_FOUND: /);

    // Drift: deleted outside terraform → read says gone.
    const ctx = await createProviderContext({
      dataDir: join(dir, '.cmek'),
      servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
      kms: { backend: 'local' },
    });
    await (await controlPlaneFor(ctx)).delete(svc.id as string);
    expect(
      (await p.readResource('cmek_encrypted_service', svc, new Uint8Array())).state,
    ).toBeNull();
  });

  it('data sources look a key up by alias, key id or ARN, and a service by name', async () => {
    const key = await create('cmek_kms_key', { region: 'eu-west-1', alias: 'alias/lookup' });
    await create('cmek_encrypted_service', {
      name: 'svc1',
      region: 'eu-west-1',
      kms_key: key.arn!,
    });
    for (const ref of ['alias/lookup', key.key_id as string, key.arn as string]) {
      const r = await p.readDataSource('cmek_kms_key', { key_id: ref, id: null, arn: null });
      expect(r.diagnostics ?? []).toEqual([]);
      expect(r.state).toMatchObject({ key_id: ref, arn: key.arn, region: 'eu-west-1' });
    }
    const s = await p.readDataSource('cmek_encrypted_service', { name: 'svc1' });
    expect(s.state).toMatchObject({
      name: 'svc1',
      region: 'eu-west-1',
      kms_key: key.arn,
      encrypted: true,
    });
    const missing = await p.readDataSource('cmek_kms_key', { key_id: 'alias/none' });
    expect(missing.diagnostics![0]!.summary).toMatch(/^IMPORT_NOT_FOUND: /);
    expect(missing.diagnostics![0]!.attribute).toEqual(['key_id']);
  });

  it('a destroy plan of a key in use is CMEK_KEY_IN_USE, unless its user is destroyed in the same run', async () => {
    const key = await create('cmek_kms_key', { region: 'eu-west-1' });
    const svc = await create('cmek_encrypted_service', {
      name: 'user',
      region: 'eu-west-1',
      kms_key: key.arn!,
    });
    const alone = await p.planResourceChange('cmek_kms_key', key, null, null, new Uint8Array());
    expect(alone.diagnostics!.map((d) => d.summary.split(':')[0])).toEqual(['CMEK_KEY_IN_USE']);
    // Apply refuses too while the service exists.
    const refused = await p.applyResourceChange('cmek_kms_key', key, null, null, new Uint8Array());
    expect(refused.state).toEqual(key);
    expect(refused.diagnostics![0]!.summary).toMatch(/^CMEK_KEY_IN_USE: /);
    // terraform destroy: the service's destroy is planned (and applied) first.
    await p.planResourceChange('cmek_encrypted_service', svc, null, null, new Uint8Array());
    const both = await p.planResourceChange('cmek_kms_key', key, null, null, new Uint8Array());
    expect(both.diagnostics ?? []).toEqual([]);
    expect(
      (await p.applyResourceChange('cmek_encrypted_service', svc, null, null, new Uint8Array()))
        .state,
    ).toBeNull();
    expect(
      (await p.applyResourceChange('cmek_kms_key', key, null, null, new Uint8Array()))
        .diagnostics ?? [],
    ).toEqual([]);
  });

  it('a create terraform did not record (killed mid-apply) is taken over by the next apply', async () => {
    const config = cfg('cmek_encrypted_service', { name: 'crash', region: 'eu-west-1' });
    const plan = await p.planResourceChange(
      'cmek_encrypted_service',
      null,
      config,
      config,
      new Uint8Array(),
    );
    const first = await p.applyResourceChange(
      'cmek_encrypted_service',
      null,
      plan.plannedState,
      config,
      new Uint8Array(),
    );
    // terraform died before saving `first`: the next run plans the create again.
    const p2 = createProvider({ workdir: dir });
    await p2.configureProvider({ data_dir: null, service_principal: null, kms: null }, '1.11.4');
    const plan2 = await p2.planResourceChange(
      'cmek_encrypted_service',
      null,
      config,
      config,
      new Uint8Array(),
    );
    const second = await p2.applyResourceChange(
      'cmek_encrypted_service',
      null,
      plan2.plannedState,
      config,
      new Uint8Array(),
    );
    expect(second.diagnostics ?? []).toEqual([]);
    expect(second.state!.id).toBe(first.state!.id);
    // A service of that name made by someone else (no marker) is still refused.
    const ctx = await createProviderContext({
      dataDir: join(dir, '.cmek'),
      servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
      kms: { backend: 'local' },
    });
    await (
      await controlPlaneFor(ctx)
    ).create({
      name: 'other',
      region: 'eu-west-1',
      profile: 'clickhouse',
      kmsKey: null,
      keyCheckInterval: '10m',
      tags: {},
    });
    const otherCfg = cfg('cmek_encrypted_service', { name: 'other', region: 'eu-west-1' });
    const plan3 = await p2.planResourceChange(
      'cmek_encrypted_service',
      null,
      otherCfg,
      otherCfg,
      new Uint8Array(),
    );
    const third = await p2.applyResourceChange(
      'cmek_encrypted_service',
      null,
      plan3.plannedState,
      otherCfg,
      new Uint8Array(),
    );
    expect(third.diagnostics!.length).toBeGreaterThan(0);
    expect(third.state).toBeNull();
  });

  it('validates a resource configuration with the definition (CONFIG_SCHEMA on the attribute), unknowns pass', () => {
    const bad = p.validateResourceConfig(
      'cmek_kms_key',
      cfg('cmek_kms_key', { region: 'eu-west-1', deletion_window_in_days: 3 }),
    );
    expect(bad[0]!.summary).toMatch(/^CONFIG_SCHEMA: /);
    expect(bad[0]!.attribute).toEqual(['deletion_window_in_days']);
    expect(
      p.validateResourceConfig('cmek_kms_key', cfg('cmek_kms_key', { region: new Unknown() })),
    ).toEqual([]);
  });
});
