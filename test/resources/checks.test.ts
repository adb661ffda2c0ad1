// The rules for one resource plus KMS / control-plane facts (src/resources/checks.ts), over a
// REAL local KMS and control plane in a temp data directory (liveFacts), and the refinement
// helpers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Unknown, type Attrs } from '../../src/model/values.js';
import {
  checkResource,
  keyFactsOfPrefix,
  keyRefPrefix,
  liveFacts,
  type CheckFacts,
} from '../../src/resources/checks.js';
import {
  createProviderContext,
  encryptedService,
  kmsKey,
  backup,
} from '../../src/resources/index.js';
import { DEFAULT_SERVICE_PRINCIPAL, type ProviderContext } from '../../src/resources/types.js';

let dir: string;
let ctx: ProviderContext;
let facts: CheckFacts;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-checks-'));
  ctx = await createProviderContext({
    dataDir: dir,
    servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
    kms: { backend: 'local' },
  });
  facts = liveFacts(async () => ctx, DEFAULT_SERVICE_PRINCIPAL);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function key(region: string, alias?: string): Promise<Attrs> {
  const planned = kmsKey.plan({ config: { region, ...(alias ? { alias } : {}) } });
  return kmsKey.create(planned.after, ctx);
}

async function service(config: Attrs): Promise<Attrs> {
  return encryptedService.create(encryptedService.plan({ config }).after, ctx);
}

const codes = (ds: { code: string }[]) => ds.map((d) => d.code);

describe('prefixes', () => {
  it('build and read back the region and family of a key not created yet', () => {
    const aws = keyRefPrefix({ region: 'eu-west-1', account: '000000000000' });
    expect(aws).toBe('arn:aws:kms:eu-west-1:000000000000:key/');
    expect(keyFactsOfPrefix(aws)).toEqual({ provider: 'aws', region: 'eu-west-1' });
    expect(keyRefPrefix({ region: 'cn-north-1' })).toBe('arn:aws-cn:kms:cn-north-1:');
    const gcp = keyRefPrefix({
      region: 'europe-west1',
      ringPath: 'projects/local/locations/europe-west1/keyRings/sql',
    });
    expect(keyFactsOfPrefix(gcp)).toEqual({ provider: 'gcp', region: 'europe-west1' });
    // A prefix cut inside the region field says nothing about the region.
    expect(keyFactsOfPrefix('arn:aws:kms:eu-we')).toEqual({ provider: 'aws' });
    expect(keyFactsOfPrefix('svc-')).toBeUndefined();
  });
});

describe('checkResource', () => {
  it('a service whose key is a refined unknown in another region: CMEK_REGION_MISMATCH on kms_key', async () => {
    const planned = encryptedService.plan({
      config: {
        name: 'orders',
        region: 'us-east-1',
        kms_key: new Unknown(undefined, {
          prefix: 'arn:aws:kms:eu-west-1:000000000000:key/',
          notNull: true,
        }),
      },
    }).after;
    const ds = await checkResource(
      {
        type: 'cmek_encrypted_service',
        address: 'cmek_encrypted_service.orders',
        prior: null,
        planned,
      },
      facts,
    );
    expect(codes(ds)).toEqual(['CMEK_REGION_MISMATCH']);
    expect(ds[0]!.attribute).toBe('kms_key');
    expect(ds[0]!.summary).toContain('eu-west-1');
    expect(ds[0]!.detail).toMatch(/Remedy/);
    // Same region: nothing.
    const ok = encryptedService.plan({
      config: {
        name: 'orders',
        region: 'eu-west-1',
        kms_key: new Unknown(undefined, { prefix: 'arn:aws:kms:eu-west-1:000000000000:key/' }),
      },
    }).after;
    expect(
      await checkResource(
        { type: 'cmek_encrypted_service', address: 's', prior: null, planned: ok },
        facts,
      ),
    ).toEqual([]);
  });

  it('an existing key named by its alias: the region comes from the KMS', async () => {
    await key('eu-west-1', 'alias/orders');
    const planned = encryptedService.plan({
      config: { name: 'orders', region: 'us-east-1', kms_key: 'alias/orders' },
    }).after;
    const ds = await checkResource(
      { type: 'cmek_encrypted_service', address: 'svc', prior: null, planned },
      facts,
    );
    expect(codes(ds)).toEqual(['CMEK_REGION_MISMATCH']);
  });

  it('no retrofit, key removal and (cloudsql) key immutability on an existing service', async () => {
    const k1 = await key('eu-west-1');
    const k2 = await key('eu-west-1');
    const plain = await service({ name: 'plain', region: 'eu-west-1' });
    const retro = encryptedService.plan({ config: { ...plain, kms_key: k1.arn! }, prior: plain });
    expect(
      codes(
        await checkResource(
          { type: 'cmek_encrypted_service', address: 'a', prior: plain, planned: retro.after },
          facts,
        ),
      ),
    ).toEqual(['CMEK_NO_RETROFIT']);

    const enc = await service({
      name: 'enc',
      region: 'eu-west-1',
      kms_key: k1.arn!,
      profile: 'cloudsql',
    });
    const removed = encryptedService.plan({ config: { ...enc, kms_key: null }, prior: enc });
    expect(
      codes(
        await checkResource(
          { type: 'cmek_encrypted_service', address: 'a', prior: enc, planned: removed.after },
          facts,
        ),
      ),
    ).toEqual(['CMEK_KEY_REMOVAL']);
    const swapped = encryptedService.plan({ config: { ...enc, kms_key: k2.arn! }, prior: enc });
    expect(
      codes(
        await checkResource(
          { type: 'cmek_encrypted_service', address: 'a', prior: enc, planned: swapped.after },
          facts,
        ),
      ),
    ).toEqual(['CMEK_KEY_IMMUTABLE']);
    // To a key not created yet (refined): still a different key.
    const toNew = {
      ...swapped.after,
      kms_key: new Unknown(undefined, { prefix: 'arn:aws:kms:eu-west-1:000000000000:key/' }),
    };
    expect(
      codes(
        await checkResource(
          { type: 'cmek_encrypted_service', address: 'a', prior: enc, planned: toNew },
          facts,
        ),
      ),
    ).toEqual(['CMEK_KEY_IMMUTABLE']);
  });

  it('a cross-region replica of an existing encrypted primary needs its own key', async () => {
    const k = await key('eu-west-1');
    const primary = await service({ name: 'p', region: 'eu-west-1', kms_key: k.arn! });
    const planned: Attrs = {
      primary_id: primary.id!,
      name: 'r',
      region: 'us-east-1',
      kind: 'read',
    };
    const ds = await checkResource(
      { type: 'cmek_replica', address: 'cmek_replica.r', prior: null, planned },
      facts,
    );
    expect(codes(ds)).toEqual(['CMEK_REPLICA_KEY_REQUIRED']);
    expect(ds[0]!.summary).toContain(`service p (${primary.id})`);
    // A same-region replica naming another key: CMEK_REPLICA_KEY_INHERITED.
    const other = await key('eu-west-1');
    const same = await checkResource(
      {
        type: 'cmek_replica',
        address: 'r',
        prior: null,
        planned: { primary_id: 'p', name: 'r', region: 'eu-west-1', kms_key: other.arn! },
      },
      facts,
    );
    expect(codes(same)).toEqual(['CMEK_REPLICA_KEY_INHERITED']);
  });

  it('a clone naming another key, and a restore naming another key than its backup', async () => {
    const k = await key('eu-west-1');
    const other = await key('eu-west-1');
    const src = await service({ name: 'src', region: 'eu-west-1', kms_key: k.arn! });
    expect(
      codes(
        await checkResource(
          {
            type: 'cmek_clone',
            address: 'c',
            prior: null,
            planned: { source_id: src.id!, name: 'c', kms_key: other.arn! },
          },
          facts,
        ),
      ),
    ).toEqual(['CMEK_CLONE_KEY_INHERITED']);
    const b = await backup.create({ service_id: src.id! }, ctx);
    expect(
      codes(
        await checkResource(
          {
            type: 'cmek_backup_restore',
            address: 'r',
            prior: null,
            planned: { backup_id: b.id!, name: 'r', kms_key: other.arn! },
          },
          facts,
        ),
      ),
    ).toEqual(['CMEK_RESTORE_KEY_INHERITED']);
  });

  it('a key policy that misses actions or is public', async () => {
    const k = await key('eu-west-1');
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }],
    });
    const ds = await checkResource(
      {
        type: 'cmek_kms_key_policy',
        address: 'pol',
        prior: null,
        planned: { key_id: k.arn!, policy, service_principal: null },
      },
      facts,
    );
    expect(codes(ds).sort()).toEqual(['CMEK_KEY_POLICY_MISSING_ACTIONS', 'CMEK_KEY_POLICY_PUBLIC']);
    expect(ds.every((d) => d.attribute !== undefined)).toBe(true);
  });

  it('destroying a key a service still uses: CMEK_KEY_IN_USE, unless the service leaves too', async () => {
    const k = await key('eu-west-1');
    const s = await service({ name: 'uses', region: 'eu-west-1', kms_key: k.arn! });
    const check = (leaving?: Set<string>) =>
      checkResource(
        {
          type: 'cmek_kms_key',
          address: 'cmek_kms_key.k',
          prior: k,
          planned: null,
          ...(leaving ? { leaving } : {}),
        },
        facts,
      );
    const ds = await check();
    expect(codes(ds)).toEqual(['CMEK_KEY_IN_USE']);
    expect(ds[0]!.summary).toContain('uses');
    expect(await check(new Set([s.id as string]))).toEqual([]);
  });

  it('facts that cannot be read leave the rules silent (unknown parent, unknown key)', async () => {
    const ds = await checkResource(
      {
        type: 'cmek_replica',
        address: 'r',
        prior: null,
        planned: { primary_id: 'svc-0000000000000000', name: 'r', region: 'us-east-1' },
      },
      facts,
    );
    expect(ds).toEqual([]);
  });
});
