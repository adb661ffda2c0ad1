// cmek_replica, cmek_clone, cmek_backup and cmek_backup_restore through the ResourceType API the
// engine calls (plan → create/read/delete/adopt), against the real local KMS and control plane.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUnknown } from '../../src/model/values.js';
import {
  RESOURCE_TYPES,
  backup,
  backupRestore,
  clone,
  embeddedControlPlaneFor,
  createProviderContext,
  encryptedService,
  kmsKey,
  replica,
} from '../../src/resources/index.js';
import type { Attrs, ProviderContext, ResourceType } from '../../src/resources/types.js';

let dir: string;
let ctx: ProviderContext;

async function createVia(rt: ResourceType, config: Attrs): Promise<Attrs> {
  const planned = rt.plan({ config });
  return rt.create(planned.after, ctx);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-liferes-'));
  ctx = await createProviderContext({
    dataDir: dir,
    servicePrincipal: 'arn:aws:iam::000000000000:role/cmek-service',
    kms: { backend: 'local' },
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('registry and schemas', () => {
  it('the four types are registered with their computed attributes', () => {
    for (const t of ['cmek_replica', 'cmek_clone', 'cmek_backup', 'cmek_backup_restore']) {
      expect(RESOURCE_TYPES[t], t).toBeDefined();
    }
    expect(replica.computed).toEqual(['id', 'status', 'effective_kms_key']);
    expect(backup.computed).toEqual(['id', 'encrypted', 'kms_key', 'size_bytes', 'created_at']);
    expect(replica.schema.safeParse({ primary_id: 'x', name: 'r' }).success).toBe(false);
    expect(
      replica.schema.safeParse({ primary_id: 'x', name: 'r', region: 'eu-west-1', kind: 'hot' })
        .success,
    ).toBe(false);
    expect(backup.schema.safeParse({ service_id: 'x' }).success).toBe(true);
  });
});

describe('plan', () => {
  it('an unwritten kms_key stays absent; effective_kms_key is known after apply', () => {
    const p = replica.plan({
      config: { primary_id: 'svc-0000000000000000', name: 'r', region: 'eu-west-1' },
    });
    expect('kms_key' in p.after).toBe(false);
    expect(p.after.kind).toBe('read');
    expect(p.after.status).toBe('RUNNING');
    expect(isUnknown(p.after.effective_kms_key)).toBe(true);
    const own = clone.plan({ config: { source_id: 's', name: 'c', kms_key: 'arn:x' } });
    expect(own.after.effective_kms_key).toBe('arn:x');
  });

  it('every argument of a backup forces replacement; computed values are kept on no-op', () => {
    const prior = {
      service_id: 'svc-a',
      description: 'd',
      id: 'bkp-0000000000000000',
      encrypted: true,
      kms_key: 'arn:k',
      size_bytes: 3,
      created_at: 't',
    };
    expect(backup.plan({ config: { service_id: 'svc-a', description: 'd' }, prior })).toEqual({
      after: prior,
      requiresReplace: [],
    });
    expect(
      backup.plan({ config: { service_id: 'svc-a', description: 'e' }, prior }).requiresReplace,
    ).toEqual(['description']);
    expect(
      backupRestore.plan({
        config: { backup_id: 'bkp-b', name: 'r' },
        prior: { backup_id: 'bkp-a', name: 'r', id: 'svc-1', status: 'RUNNING' },
      }).requiresReplace,
    ).toEqual(['backup_id']);
  });
});

describe('CRUD', () => {
  it('replica, clone, backup, restore: create, read, adopt, delete', async () => {
    const key = await createVia(kmsKey as unknown as ResourceType, { region: 'eu-west-1' });
    const svc = await createVia(encryptedService as unknown as ResourceType, {
      name: 'db',
      region: 'eu-west-1',
      kms_key: key.arn!,
    });
    const cp = await embeddedControlPlaneFor(ctx);
    await cp.objects.put('db', 'a', 'alpha');

    const r = await createVia(replica as unknown as ResourceType, {
      primary_id: svc.id!,
      name: 'db-r',
      region: 'eu-west-1',
    });
    expect(r).toMatchObject({ status: 'RUNNING', effective_kms_key: key.arn, kind: 'read' });
    expect(r.kms_key ?? null).toBeNull();
    expect((await cp.objects.getBuffer('db-r', 'a')).toString()).toBe('alpha');
    expect(await replica.read(r, ctx)).toEqual(r);
    expect(await replica.adopt!({ name: 'db-r' }, ctx)).toMatchObject({ id: r.id });

    const c = await createVia(clone as unknown as ResourceType, { source_id: svc.id!, name: 'c' });
    expect(c.effective_kms_key).toBe(key.arn);

    const b = await createVia(backup as unknown as ResourceType, { service_id: svc.id! });
    expect(b).toMatchObject({ encrypted: true, kms_key: key.arn, size_bytes: 5 });
    expect(b.id).toMatch(/^bkp-/);
    expect(await backup.read(b, ctx)).toEqual(b);

    const rs = await createVia(backupRestore as unknown as ResourceType, {
      backup_id: b.id!,
      name: 'db-restored',
    });
    expect(rs).toMatchObject({ status: 'RUNNING', effective_kms_key: key.arn });
    expect((await cp.objects.getBuffer('db-restored', 'a')).toString()).toBe('alpha');

    // A create that died during its copy: adopt finishes the copy before taking the clone over.
    const half = await cp.create({
      name: 'half',
      region: 'eu-west-1',
      kmsKey: key.arn as string,
      kind: 'clone',
      parentId: svc.id as string,
      populating: true,
    });
    expect(await clone.adopt!({ name: 'half' }, ctx)).toMatchObject({ id: half.id });
    expect((await cp.objects.getBuffer('half', 'a')).toString()).toBe('alpha');
    expect((await cp.require('half')).populating).toBeUndefined();

    // Drift: gone objects read as null.
    await replica.delete(r, ctx);
    expect(await replica.read(r, ctx)).toBeNull();
    await backup.delete(b, ctx);
    expect(await backup.read(b, ctx)).toBeNull();
    // The restore outlives its backup.
    expect(await backupRestore.read(rs, ctx)).toMatchObject({ id: rs.id });
  });
});
