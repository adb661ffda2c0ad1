// The three resources against the REAL local KMS and core, in a temp data directory, through the
// ResourceType API the engine calls (plan → create/read/update/delete).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { isUnknown } from '../../src/model/values.js';
import {
  RESOURCE_TYPES,
  embeddedControlPlaneFor,
  createProviderContext,
  encryptedService,
  kmsKey,
  kmsKeyPolicy,
} from '../../src/resources/index.js';
import {
  DEFAULT_SERVICE_PRINCIPAL,
  type Attrs,
  type ProviderContext,
} from '../../src/resources/types.js';

const CLICKHOUSE_ROLE = 'arn:aws:iam::576599896960:role/prod-kms-request-role';
let dir: string;

async function context(servicePrincipal = DEFAULT_SERVICE_PRINCIPAL): Promise<ProviderContext> {
  return createProviderContext({ dataDir: dir, servicePrincipal, kms: { backend: 'local' } });
}

async function diagOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics[0]!;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

/** Created attributes; `arn`, `key_id` and `id` are always there for the types used here. */
type Created = Attrs & { arn: string; key_id: string; id: string };

/** plan + create, as the engine does for a new resource. */
async function createVia(
  rt: typeof kmsKey | typeof kmsKeyPolicy | typeof encryptedService,
  config: Attrs,
  ctx: ProviderContext,
): Promise<Created> {
  const planned = rt.plan({ config });
  return (await rt.create(planned.after, ctx)) as Created;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-res-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('registry', () => {
  it('exposes the types by name', () => {
    expect(Object.keys(RESOURCE_TYPES).sort()).toEqual([
      'cmek_backup',
      'cmek_backup_restore',
      'cmek_clone',
      'cmek_encrypted_service',
      'cmek_kms_key',
      'cmek_kms_key_policy',
      'cmek_replica',
    ]);
  });
});

describe('cmek_kms_key', () => {
  it('plans unknown computed attributes carrying key facts', () => {
    const p = kmsKey.plan({ config: { region: 'eu-west-1' } });
    expect(p.after).toMatchObject({
      enable_key_rotation: false,
      deletion_window_in_days: 30,
      multi_region: false,
    });
    expect(isUnknown(p.after.arn)).toBe(true);
    expect((p.after.arn as { facts?: unknown }).facts).toEqual({
      region: 'eu-west-1',
      provider: 'aws',
    });
    expect(kmsKey.keyFacts!(p.after, 'cmek_kms_key.k')).toEqual({
      address: 'cmek_kms_key.k',
      region: 'eu-west-1',
      provider: 'aws',
    });
    expect(kmsKey.schema.safeParse({ region: 'x', rotation_period_in_days: 90 }).success).toBe(
      false,
    );
    expect(kmsKey.schema.safeParse({ region: 'x', deletion_window_in_days: 3 }).success).toBe(
      false,
    );
    expect(kmsKey.schema.safeParse({ region: 'x', alias: 'orders' }).success).toBe(false);
  });

  it('creates, reads, updates in place, replaces on region, and schedules deletion', async () => {
    const ctx = await context();
    const config = { region: 'eu-west-1', description: 'orders', alias: 'alias/orders' };
    const a = await createVia(kmsKey, config, ctx);
    expect(a.arn).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\/[0-9a-f-]{36}$/);
    expect(a).toMatchObject({
      id: a.key_id,
      key_state: 'Enabled',
      primary_version: '1',
      alias: 'alias/orders',
    });
    expect(await kmsKey.read(a, ctx)).toEqual(a);

    // In place: description, alias, rotation.
    const cfg2 = {
      region: 'eu-west-1',
      description: 'orders v2',
      alias: 'alias/orders2',
      enable_key_rotation: true,
      rotation_period_in_days: 180,
    };
    const p2 = kmsKey.plan({ config: cfg2, prior: a });
    expect(p2.requiresReplace).toEqual([]);
    expect(p2.after.arn).toBe(a.arn);
    const b = await kmsKey.update(a, p2.after, ctx);
    expect(b).toMatchObject({
      description: 'orders v2',
      alias: 'alias/orders2',
      enable_key_rotation: true,
    });
    const rot = await ctx.kms.getKeyRotationStatus(String(a.arn));
    expect(rot).toMatchObject({ enabled: true, rotationPeriodInDays: 180 });
    expect((await ctx.kms.describeKey('alias/orders2')).arn).toBe(a.arn);
    await expect(ctx.kms.describeKey('alias/orders')).rejects.toMatchObject({
      code: 'NotFoundException',
    });
    expect(await kmsKey.read(b, ctx)).toEqual(b);

    // Replace: region (and multi_region).
    expect(
      kmsKey.plan({ config: { ...cfg2, region: 'us-east-1' }, prior: b }).requiresReplace,
    ).toEqual(['region']);
    expect(
      kmsKey.plan({ config: { ...cfg2, multi_region: true }, prior: b }).requiresReplace,
    ).toEqual(['multi_region']);

    // Drift: disabled outside of cmek.
    await ctx.kms.disableKey(String(a.arn));
    expect((await kmsKey.read(b, ctx))?.key_state).toBe('Disabled');

    await kmsKey.delete(b, ctx);
    const meta = await ctx.kms.describeKey(String(a.arn));
    expect(meta.keyState).toBe('PendingDeletion');
    expect(meta.pendingDeletionWindowInDays).toBe(30);
    expect(await kmsKey.read(b, ctx)).toBeNull();
  });

  it('creates a GCP-style key in a key ring, named after the alias tail', async () => {
    const ctx = await context();
    const a = await createVia(
      kmsKey,
      {
        region: 'europe-west1',
        key_ring: 'sql',
        alias: 'alias/orders',
        deletion_window_in_days: 7,
      },
      ctx,
    );
    expect(a.arn).toBe('projects/local/locations/europe-west1/keyRings/sql/cryptoKeys/orders');
    expect(a.name).toBe('orders');
    expect(kmsKey.keyFacts!(a, 'cmek_kms_key.g')).toMatchObject({ provider: 'gcp' });
    // The generated name is kept: a plan without `name` is not a replacement.
    expect(
      kmsKey.plan({
        config: {
          region: 'europe-west1',
          key_ring: 'sql',
          alias: 'alias/orders',
          deletion_window_in_days: 7,
        },
        prior: a,
      }).requiresReplace,
    ).toEqual([]);
    await kmsKey.delete(a, ctx);
    expect((await ctx.kms.describeKey(String(a.arn))).pendingDeletionWindowInDays).toBe(7);
  });
});

describe('cmek_kms_key create leaves no orphan key', () => {
  it('a step failing after CreateKey schedules the new key for deletion and says so', async () => {
    const ctx = await context();
    // The alias is free when checked, then taken before CreateAlias (a concurrent writer).
    const failing: ProviderContext = {
      ...ctx,
      kms: Object.assign(Object.create(ctx.kms) as typeof ctx.kms, {
        createAlias: async () => {
          throw new Error('CreateAlias refused (simulated)');
        },
      }),
    };
    const d = await diagOf(
      createVia(kmsKey, { region: 'eu-west-1', alias: 'alias/raced' }, failing),
    );
    expect(d.code).toBe('APPLY_FAILED');
    expect(d.summary).toContain('CreateAlias refused');
    expect(d.detail).toMatch(/scheduled for deletion in 7 days/);
    expect(d.detail).toMatch(/cmek kms cancel-deletion/);
    const listed = await ctx.kms.listKeys();
    expect(listed.map((k) => k.keyState)).toEqual(['PendingDeletion']);
  });

  it('an alias that exists already is refused before any key is created', async () => {
    const ctx = await context();
    const first = await createVia(kmsKey, { region: 'eu-west-1', alias: 'alias/taken' }, ctx);
    const d = await diagOf(createVia(kmsKey, { region: 'eu-west-1', alias: 'alias/taken' }, ctx));
    expect(d).toMatchObject({ code: 'APPLY_FAILED', attribute: 'alias' });
    expect(d.summary).toContain(first.arn);
    expect(await ctx.kms.listKeys()).toHaveLength(1);
  });
});

describe('cmek_kms_key_policy speaks in attributes', () => {
  it('a policy locking the operator out names bypass_policy_lockout_safety_check', async () => {
    const ctx = await context();
    const k = await createVia(kmsKey, { region: 'eu-west-1' }, ctx);
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: DEFAULT_SERVICE_PRINCIPAL },
          Action: ['kms:Decrypt'],
          Resource: '*',
        },
      ],
    });
    const d = await diagOf(createVia(kmsKeyPolicy, { key_id: k.arn, policy }, ctx));
    expect(d).toMatchObject({ code: 'KMS_ERROR', attribute: 'policy' });
    expect(d.detail).toContain('bypass_policy_lockout_safety_check = true');
    const ok = await createVia(
      kmsKeyPolicy,
      { key_id: k.arn, policy, bypass_policy_lockout_safety_check: true },
      ctx,
    );
    expect(ok.policy_json).toBe(policy);
  });

  it('the generated policy on a GCP-style key keeps the operator in and grants the service', async () => {
    const ctx = await context();
    const k = await createVia(kmsKey, { region: 'europe-west1', key_ring: 'sql' }, ctx);
    const p = await createVia(kmsKeyPolicy, { key_id: k.arn }, ctx);
    expect(String(p.policy_json)).toContain('arn:aws:iam::000000000000:root');
    // The operator can still change it, and a service can use the key.
    await createVia(kmsKeyPolicy, { key_id: k.arn }, ctx);
    const svc = await createVia(
      encryptedService,
      { name: 'g', region: 'europe-west1', kms_key: k.arn },
      ctx,
    );
    expect(svc.status).toBe('RUNNING');
  });
});

describe('cmek_kms_key_policy and live key validation', () => {
  it('a cross-account service principal needs the policy; with it the service is created', async () => {
    const ctx = await context(CLICKHOUSE_ROLE);
    const key = await createVia(kmsKey, { region: 'us-east-2' }, ctx);
    const svcConfig = { name: 'analytics', region: 'us-east-2', kms_key: key.arn };

    const d = await diagOf(createVia(encryptedService, svcConfig, ctx));
    expect(d.code).toBe('CMEK_KEY_INACCESSIBLE');
    expect(d.summary).toContain('kms:DescribeKey');
    expect(d.summary).toContain(CLICKHOUSE_ROLE);
    expect(d.detail).toContain('cmek_kms_key_policy');

    // The generated policy: known at plan time from the key ARN, default + service statement.
    const pp = kmsKeyPolicy.plan({
      config: { key_id: key.arn, service_principal: CLICKHOUSE_ROLE },
    });
    const doc = JSON.parse(String(pp.after.policy_json));
    expect(doc.Statement[0].Principal.AWS).toBe('arn:aws:iam::000000000000:root');
    expect(doc.Statement[1].Principal.AWS).toBe(CLICKHOUSE_ROLE);
    expect(doc.Statement[1].Action).toEqual([
      'kms:GetPublicKey',
      'kms:Decrypt',
      'kms:GenerateDataKeyPair',
      'kms:Encrypt',
      'kms:GetKeyRotationStatus',
      'kms:GenerateDataKey',
      'kms:DescribeKey',
    ]);
    const pol = await kmsKeyPolicy.create(pp.after, ctx);
    expect(pol.id).toBe(key.key_id);
    expect(await kmsKeyPolicy.read(pol, ctx)).toEqual(pol);

    const svc = await createVia(encryptedService, svcConfig, ctx);
    expect(svc).toMatchObject({
      status: 'RUNNING',
      encrypted: true,
      kms_key_version: '1',
      profile: 'clickhouse',
    });

    // Destroying the policy restores the default one: the principal loses access again.
    await kmsKeyPolicy.delete(pol, ctx);
    expect(JSON.parse(await ctx.kms.getKeyPolicy(String(key.arn))).Statement).toHaveLength(1);
    const d2 = await diagOf(createVia(encryptedService, { ...svcConfig, name: 'second' }, ctx));
    expect(d2.code).toBe('CMEK_KEY_INACCESSIBLE');
  });

  it('names the missing action when the policy grants only part of it', async () => {
    const ctx = await context(CLICKHOUSE_ROLE);
    const key = await createVia(kmsKey, { region: 'us-east-2' }, ctx);
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::000000000000:root' },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Principal: { AWS: CLICKHOUSE_ROLE },
          Action: ['kms:DescribeKey', 'kms:Decrypt'],
          Resource: '*',
        },
      ],
    });
    const pol = await createVia(
      kmsKeyPolicy,
      { key_id: key.arn, service_principal: CLICKHOUSE_ROLE, policy },
      ctx,
    );
    expect(pol.policy_json).toBe(policy);
    const d = await diagOf(
      createVia(encryptedService, { name: 's', region: 'us-east-2', kms_key: key.arn }, ctx),
    );
    expect(d).toMatchObject({ code: 'CMEK_KEY_INACCESSIBLE', attribute: 'kms_key' });
    expect(d.summary).toContain('kms:GenerateDataKey');
  });

  it('takes the provider block principal when service_principal is omitted', async () => {
    const ctx = await context(CLICKHOUSE_ROLE);
    const key = await createVia(kmsKey, { region: 'us-east-2' }, ctx);
    const p = kmsKeyPolicy.plan({ config: { key_id: key.arn } });
    expect(isUnknown(p.after.policy_json)).toBe(true);
    const pol = await kmsKeyPolicy.create(p.after, ctx);
    expect(pol.service_principal).toBe(CLICKHOUSE_ROLE);
    expect(String(pol.policy_json)).toContain(CLICKHOUSE_ROLE);
    // Next plan: no diff.
    const again = kmsKeyPolicy.plan({ config: { key_id: key.arn }, prior: pol });
    expect(again.requiresReplace).toEqual([]);
    expect(again.after.policy_json).toBe(pol.policy_json);
  });

  it('cloudsql: encrypter/decrypter (Encrypt + Decrypt) is enough; clickhouse needs more', async () => {
    const SA = 'arn:aws:iam::123456789012:role/cloudsql-service-agent';
    const ctx = await context(SA);
    const key = await createVia(
      kmsKey,
      { region: 'europe-west1', key_ring: 'sql', name: 'pg' },
      ctx,
    );
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::000000000000:root' },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Principal: { AWS: SA },
          Action: ['kms:Encrypt', 'kms:Decrypt'],
          Resource: '*',
        },
      ],
    });
    await createVia(kmsKeyPolicy, { key_id: key.arn, service_principal: SA, policy }, ctx);
    const ch = await diagOf(
      createVia(encryptedService, { name: 'ch', region: 'europe-west1', kms_key: key.arn }, ctx),
    );
    expect(ch.summary).toContain('kms:DescribeKey');
    const sql = await createVia(
      encryptedService,
      { name: 'pg', region: 'europe-west1', profile: 'cloudsql', kms_key: key.arn },
      ctx,
    );
    expect(sql).toMatchObject({ status: 'RUNNING', encrypted: true, kms_key_version: '1' });
    const cp = await embeddedControlPlaneFor(await context(SA));
    await cp.objects.put('pg', 'row', 'data');
    const fresh = await embeddedControlPlaneFor(await context(SA));
    expect((await fresh.objects.getBuffer('pg', 'row')).toString()).toBe('data');
    expect((await fresh.checkKey('pg')).failure).toBeUndefined();
  });

  it('a disabled key fails the live check with the state and the remedy', async () => {
    const ctx = await context();
    const key = await createVia(kmsKey, { region: 'eu-west-1' }, ctx);
    await ctx.kms.disableKey(String(key.arn));
    const d = await diagOf(
      createVia(encryptedService, { name: 's', region: 'eu-west-1', kms_key: key.arn }, ctx),
    );
    expect(d.code).toBe('CMEK_KEY_INACCESSIBLE');
    expect(d.summary).toMatch(/disabled/i);
    expect(d.detail).toMatch(/enable/);
  });
});

describe('cmek_encrypted_service', () => {
  it('plans defaults and replacement attributes; kms_key change is an in-place rotation', () => {
    const p = encryptedService.plan({ config: { name: 's', region: 'eu-west-1' } });
    expect(p.after).toMatchObject({
      profile: 'clickhouse',
      key_check_interval: '10m',
      encrypted: false,
      status: 'RUNNING',
    });
    expect(isUnknown(p.after.id)).toBe(true);
    const prior = {
      ...p.after,
      id: 'svc-0000000000000000',
      kms_key: 'arn:aws:kms:eu-west-1:000000000000:key/a',
      encrypted: true,
      kms_key_version: '1',
    };
    const rot = encryptedService.plan({
      config: {
        name: 's',
        region: 'eu-west-1',
        kms_key: 'arn:aws:kms:eu-west-1:000000000000:key/b',
      },
      prior,
    });
    expect(rot.requiresReplace).toEqual([]);
    expect(rot.notes?.kms_key).toMatch(/rotation/);
    expect(isUnknown(rot.after.kms_key_version)).toBe(true);
    expect(
      encryptedService.plan({ config: { name: 's', region: 'us-east-1' }, prior }).requiresReplace,
    ).toEqual(['region']);
    expect(
      encryptedService.plan({
        config: { name: 't', region: 'eu-west-1', profile: 'cloudsql' },
        prior,
      }).requiresReplace,
    ).toEqual(['name', 'profile']);
  });

  it('without kms_key: encrypted at rest by a provider-managed key, not CMEK', async () => {
    const ctx = await context();
    const s = await createVia(encryptedService, { name: 'plain', region: 'eu-west-1' }, ctx);
    expect(s).toMatchObject({ encrypted: false, status: 'RUNNING' });
    const managed = await ctx.kms.describeKey('alias/cmek/managed-eu-west-1');
    const cp = await embeddedControlPlaneFor(ctx);
    expect((await cp.require('plain')).kekArn).toBe(managed.arn);
    await cp.objects.put('plain', 'o', 'hello');
    expect((await cp.objects.getBuffer('plain', 'o')).toString()).toBe('hello');
    // A second service reuses the managed key of the region.
    await createVia(encryptedService, { name: 'plain2', region: 'eu-west-1' }, ctx);
    expect((await cp.require('plain2')).kekArn).toBe(managed.arn);
  });

  it('create, read, update (description, tags, rotation), delete', async () => {
    const ctx = await context();
    const k1 = await createVia(kmsKey, { region: 'eu-west-1' }, ctx);
    const k2 = await createVia(kmsKey, { region: 'eu-west-1' }, ctx);
    const cfg = { name: 'orders', region: 'eu-west-1', kms_key: k1.arn, tags: { team: 'db' } };
    const s = await createVia(encryptedService, cfg, ctx);
    expect(s).toMatchObject({
      encrypted: true,
      kms_key: k1.arn,
      tags: { team: 'db' },
      kms_key_version: '1',
    });
    expect(await encryptedService.read(s, ctx)).toEqual(s);

    const cp = await embeddedControlPlaneFor(ctx);
    await cp.objects.put(String(s.id), 'doc', 'payload');

    const p = encryptedService.plan({
      config: { ...cfg, kms_key: k2.arn, description: 'now with k2' },
      prior: s,
    });
    const u = await encryptedService.update(s, p.after, ctx);
    expect(u).toMatchObject({ id: s.id, kms_key: k2.arn, description: 'now with k2' });
    expect((await cp.require('orders')).kekArn).toBe(k2.arn);
    // The old key can go away: the data is protected by k2 only now.
    await ctx.kms.disableKey(String(k1.arn));
    const fresh = await embeddedControlPlaneFor(await context());
    expect((await fresh.objects.getBuffer('orders', 'doc')).toString()).toBe('payload');

    // Drift: deleted outside → read returns null.
    await encryptedService.delete(u, ctx);
    expect(await encryptedService.read(u, ctx)).toBeNull();
    expect(await cp.get('orders')).toBeUndefined();
  });

  it("cloudsql reencrypt re-wraps under the key's new primary version", async () => {
    const ctx = await context();
    const k = await createVia(kmsKey, { region: 'europe-west1', key_ring: 'sql', name: 'db' }, ctx);
    const cfg = { name: 'pg', region: 'europe-west1', profile: 'cloudsql', kms_key: k.arn };
    const s = await createVia(encryptedService, cfg, ctx);
    expect(s.kms_key_version).toBe('1');
    await ctx.kms.rotateKeyOnDemand(String(k.arn));
    const p = encryptedService.plan({ config: { ...cfg, reencrypt: '1' }, prior: s });
    expect(p.notes?.reencrypt).toMatch(/re-wrapped/);
    const u = await encryptedService.update(s, p.after, ctx);
    expect(u).toMatchObject({ reencrypt: '1', kms_key_version: '2' });
  });
});

describe('adopt (crash recovery of an interrupted create)', () => {
  it('finds the key by alias / crypto key name, the service by name, the key policy by key', async () => {
    const ctx = await context();
    expect(
      await kmsKey.adopt!(
        kmsKey.plan({ config: { region: 'eu-west-1', alias: 'alias/none' } }).after,
        ctx,
      ),
    ).toBeNull();
    expect(
      await kmsKey.adopt!(kmsKey.plan({ config: { region: 'eu-west-1' } }).after, ctx),
    ).toBeNull();

    const keyCfg = { region: 'eu-west-1', alias: 'alias/adopt-me', description: 'd' };
    const made = await createVia(kmsKey, keyCfg, ctx);
    const adopted = await kmsKey.adopt!(kmsKey.plan({ config: keyCfg }).after, ctx);
    expect(adopted).toMatchObject({ arn: made.arn, key_id: made.key_id, alias: 'alias/adopt-me' });

    const gcpCfg = { region: 'europe-west1', key_ring: 'sql', name: 'adopted' };
    const gcp = await createVia(kmsKey, gcpCfg, ctx);
    expect((await kmsKey.adopt!(kmsKey.plan({ config: gcpCfg }).after, ctx))?.arn).toBe(gcp.arn);

    const svcCfg = { name: 'adoptee', region: 'eu-west-1', kms_key: made.arn };
    expect(
      await encryptedService.adopt!(encryptedService.plan({ config: svcCfg }).after, ctx),
    ).toBeNull();
    const svc = await createVia(encryptedService, svcCfg, ctx);
    expect(
      await encryptedService.adopt!(encryptedService.plan({ config: svcCfg }).after, ctx),
    ).toMatchObject({
      id: svc.id,
      status: 'RUNNING',
      encrypted: true,
    });

    const polCfg = { key_id: made.arn, service_principal: CLICKHOUSE_ROLE };
    const before = await kmsKeyPolicy.adopt!(kmsKeyPolicy.plan({ config: polCfg }).after, ctx);
    // The put never happened: the adopted state holds the default policy, so the next plan
    // (generated policy) differs and re-applies it.
    expect(JSON.parse(String(before!.policy_json)).Statement).toHaveLength(1);
    const next = kmsKeyPolicy.plan({ config: polCfg, prior: before! });
    expect(next.after.policy_json).not.toBe(before!.policy_json);
  });
});
