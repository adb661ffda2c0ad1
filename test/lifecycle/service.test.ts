// Replicas, clones, backups and restores through the library (the control plane and the local
// KMS on a temp data directory): the data really moves, under the keys docs/key-lifecycle.md says.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { openLocalKms, type LocalKmsClient } from '../../src/kms/local/index.js';
import { openControlPlane, type ControlPlane } from '../../src/service/control-plane.js';

let dir: string;
let admin: LocalKmsClient;
let cp: ControlPlane;
let euKey: string;
let eu2Key: string;
let usKey: string;

function codeOf(e: unknown): string | undefined {
  return e instanceof DiagnosticError ? e.diagnostics[0]?.code : undefined;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<DiagnosticError> {
  try {
    await p;
  } catch (e) {
    expect(codeOf(e), String(e)).toBe(code);
    return e as DiagnosticError;
  }
  throw new Error(`expected ${code}, resolved`);
}

const text = async (svc: string, name: string) =>
  (await cp.objects.getBuffer(svc, name)).toString();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-life-'));
  const kms = openLocalKms({ dir: join(dir, 'kms'), rootKey: new Uint8Array(32).fill(7) });
  admin = kms.admin();
  euKey = (await admin.createKey({ region: 'eu-west-1' })).arn;
  eu2Key = (await admin.createKey({ region: 'eu-west-1' })).arn;
  usKey = (await admin.createKey({ region: 'us-east-1' })).arn;
  // The local account's own principal: the default key policy lets it use every key.
  cp = await openControlPlane({ dataDir: dir, kms: admin, admin, durable: false });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('replicas', () => {
  it('same-region replica inherits the key, copies the data, follows puts and removes, is read-only', async () => {
    const p = await cp.create({ name: 'p', region: 'eu-west-1', kmsKey: euKey });
    await cp.objects.put('p', 'a', 'alpha');
    const r = await cp.lifecycle.createReplica({ primary: 'p', name: 'r', region: 'eu-west-1' });
    expect(r).toMatchObject({ kind: 'replica', parentId: p.id, kmsKey: euKey, kekArn: euKey });
    expect(await text('r', 'a')).toBe('alpha');
    await cp.objects.put('p', 'b', 'bravo');
    await cp.objects.put('p', 'a', 'alpha2');
    expect(await text('r', 'b')).toBe('bravo');
    expect(await text('r', 'a')).toBe('alpha2');
    await cp.objects.remove('p', 'b');
    expect((await cp.objects.list('r')).map((o) => o.name)).toEqual(['a']);
    const e = await rejectsWith(cp.objects.put('r', 'x', 'no'), 'USAGE');
    expect(e.diagnostics[0]!.summary).toMatch(/read-only/);
    await rejectsWith(cp.objects.remove('r', 'a'), 'USAGE');
    await rejectsWith(
      cp.lifecycle.createReplica({ primary: 'r', name: 'rr', region: 'eu-west-1' }),
      'USAGE',
    );
    // Its own key hierarchy: another service key than the primary's.
    const pk = await cp.readKeyRecord(p.id);
    const rk = await cp.readKeyRecord(r.id);
    expect(rk.wrappedServiceKey).not.toBe(pk.wrappedServiceKey);
    // A primary with replicas cannot be deleted; the replica can, and leaves the list.
    await rejectsWith(cp.delete('p'), 'APPLY_FAILED');
    await cp.delete('r');
    expect((await cp.require('p')).replicas).toBeUndefined();
    await cp.delete('p');
  });

  it('same-region replica naming another key is refused; cross-region needs its own key', async () => {
    await cp.create({ name: 'p', region: 'eu-west-1', kmsKey: euKey });
    await rejectsWith(
      cp.lifecycle.createReplica({ primary: 'p', name: 'r', region: 'eu-west-1', kmsKey: eu2Key }),
      'CMEK_REPLICA_KEY_INHERITED',
    );
    await rejectsWith(
      cp.lifecycle.createReplica({ primary: 'p', name: 'r', region: 'us-east-1' }),
      'CMEK_REPLICA_KEY_REQUIRED',
    );
    await rejectsWith(
      cp.lifecycle.createReplica({ primary: 'p', name: 'r', region: 'us-east-1', kmsKey: euKey }),
      'CMEK_REGION_MISMATCH',
    );
    expect((await cp.list()).map((s) => s.name)).toEqual(['p']);
    await cp.objects.put('p', 'a', 'alpha');
    const r = await cp.lifecycle.createReplica({
      primary: 'p',
      name: 'r',
      region: 'us-east-1',
      kind: 'failover',
      kmsKey: usKey,
    });
    expect(r).toMatchObject({ kekArn: usKey, replicaKind: 'failover' });
    expect(await text('r', 'a')).toBe('alpha');
  });

  it('a same-region replica follows its primary to a new key; a cross-region one and a clone keep theirs', async () => {
    await cp.create({ name: 'p', region: 'eu-west-1', kmsKey: euKey });
    await cp.objects.put('p', 'a', 'alpha');
    const r = await cp.lifecycle.createReplica({ primary: 'p', name: 'r', region: 'eu-west-1' });
    const x = await cp.lifecycle.createReplica({
      primary: 'p',
      name: 'x',
      region: 'us-east-1',
      kmsKey: usKey,
    });
    const c = await cp.lifecycle.createClone({ source: 'p', name: 'c' });
    const before = (await cp.readKeyRecord(r.id)).wrappedServiceKey;
    await cp.update('p', { kmsKey: eu2Key });
    expect(await cp.require(r.id)).toMatchObject({ kmsKey: eu2Key, kekArn: eu2Key });
    expect((await cp.readKeyRecord(r.id)).wrappedServiceKey).not.toBe(before);
    expect(await cp.require(x.id)).toMatchObject({ kmsKey: usKey, kekArn: usKey });
    expect(await cp.require(c.id)).toMatchObject({ kmsKey: euKey, kekArn: euKey });
    // The data is still there, under the new key, and replication goes on.
    expect(await text('r', 'a')).toBe('alpha');
    await cp.objects.put('p', 'b', 'bravo');
    expect(await text('r', 'b')).toBe('bravo');
    // Idempotent: following again changes nothing.
    const again = await cp.lifecycle.followPrimaryKey(r.id);
    expect(again.generation).toBe((await cp.require(r.id)).generation);
  });

  it('the control plane refuses what the rules refuse: a cloudsql key change, a cross-provider rotation', async () => {
    await cp.create({ name: 'sql', region: 'eu-west-1', profile: 'cloudsql', kmsKey: euKey });
    const e = await rejectsWith(cp.update('sql', { kmsKey: eu2Key }), 'CMEK_KEY_IMMUTABLE');
    expect(e.diagnostics[0]!.detail).toMatch(/reencrypt/);
    expect((await cp.require('sql')).kekArn).toBe(euKey);
    // The same key under another name is no change of key.
    await admin.createAlias('alias/sql-key', euKey);
    const renamed = await cp.update('sql', { kmsKey: 'alias/sql-key' });
    expect(renamed).toMatchObject({ kmsKey: 'alias/sql-key', kekArn: euKey });
    await cp.create({ name: 'ch', region: 'eu-west-1', kmsKey: euKey });
    await rejectsWith(
      cp.update('ch', {
        kmsKey: 'projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k',
      }),
      'CMEK_ROTATION_CROSS_PROVIDER',
    );
    expect((await cp.require('ch')).kekArn).toBe(euKey);
  });

  it('an unencrypted primary: the replica takes no key', async () => {
    await cp.create({ name: 'p', region: 'eu-west-1' });
    await rejectsWith(
      cp.lifecycle.createReplica({ primary: 'p', name: 'r', region: 'eu-west-1', kmsKey: euKey }),
      'CMEK_REPLICA_UNENCRYPTED_PRIMARY',
    );
    const r = await cp.lifecycle.createReplica({ primary: 'p', name: 'r', region: 'us-east-1' });
    expect(r.keyOwner).toBe('managed');
  });

  it('a replica that misses writes is marked out of sync and catches up', async () => {
    await cp.create({ name: 'p', region: 'eu-west-1', kmsKey: euKey });
    await cp.lifecycle.createReplica({
      primary: 'p',
      name: 'r',
      region: 'us-east-1',
      kmsKey: usKey,
    });
    await cp.setStatus('r', 'STOPPED', 'test');
    await cp.objects.put('p', 'a', 'alpha'); // the primary's write succeeds
    expect((await cp.require('r')).outOfSync).toBe(true);
    await cp.setStatus('r', 'RUNNING', 'test');
    await cp.objects.put('p', 'b', 'bravo');
    expect(await text('r', 'a')).toBe('alpha');
    expect(await text('r', 'b')).toBe('bravo');
    expect((await cp.require('r')).outOfSync).toBeUndefined();
  });
});

describe('clones', () => {
  it('point-in-time copy under the same key, writable and independent', async () => {
    const s = await cp.create({ name: 's', region: 'eu-west-1', kmsKey: euKey });
    await cp.objects.put('s', 'a', 'alpha');
    const c = await cp.lifecycle.createClone({ source: 's', name: 'c' });
    expect(c).toMatchObject({ kind: 'clone', parentId: s.id, kekArn: euKey, region: 'eu-west-1' });
    await cp.objects.put('s', 'a', 'changed');
    await cp.objects.put('s', 'later', 'x');
    expect(await text('c', 'a')).toBe('alpha');
    expect((await cp.objects.list('c')).map((o) => o.name)).toEqual(['a']);
    await cp.objects.put('c', 'own', 'mine');
    expect(await text('c', 'own')).toBe('mine');
  });

  it('a clone of an unencrypted source may go to another region, as the plan-time rule allows', async () => {
    await cp.create({ name: 'plain', region: 'eu-west-1', kmsKey: null });
    await cp.objects.put('plain', 'a', 'alpha');
    const c = await cp.lifecycle.createClone({ source: 'plain', name: 'c', region: 'us-east-1' });
    expect(c).toMatchObject({ kind: 'clone', region: 'us-east-1', keyOwner: 'managed' });
    expect(await text('c', 'a')).toBe('alpha');
  });

  it('another key or region is CMEK_CLONE_KEY_INHERITED', async () => {
    await cp.create({ name: 's', region: 'eu-west-1', kmsKey: euKey });
    await rejectsWith(
      cp.lifecycle.createClone({ source: 's', name: 'c', kmsKey: eu2Key }),
      'CMEK_CLONE_KEY_INHERITED',
    );
    await rejectsWith(
      cp.lifecycle.createClone({ source: 's', name: 'c', region: 'us-east-1' }),
      'CMEK_CLONE_KEY_INHERITED',
    );
    // Naming the same key is fine.
    await cp.lifecycle.createClone({ source: 's', name: 'c', kmsKey: euKey });
  });
});

describe('backups and restores', () => {
  it('a backup holds ciphertext under the service key and survives the service', async () => {
    const s = await cp.create({ name: 's', region: 'eu-west-1', kmsKey: euKey });
    await cp.objects.put('s', 'a', 'alpha');
    await cp.objects.put('s', 'b', 'bb');
    const b = await cp.backups.create('s', { description: 'nightly' });
    expect(b).toMatchObject({
      serviceId: s.id,
      encrypted: true,
      kmsKey: euKey,
      kekArn: euKey,
      sizeBytes: 7,
      objectCount: 2,
    });
    await cp.objects.put('s', 'a', 'changed');
    await cp.delete('s');
    const reader = await cp.backups.open(b.id);
    expect((await reader.getBuffer('a')).toString()).toBe('alpha');
    // The files are the service's ciphertext: no plaintext on disk.
    const files = await readdir(join(cp.backups.dirOf(b.id), 'objects', s.id));
    expect(files).toHaveLength(2);
    // clickhouse: the restore keeps the backup's key; another key is an error.
    await rejectsWith(
      cp.lifecycle.restore({ backupId: b.id, name: 'r', kmsKey: eu2Key }),
      'CMEK_RESTORE_KEY_INHERITED',
    );
    const r = await cp.lifecycle.restore({ backupId: b.id, name: 'r' });
    expect(r).toMatchObject({ kind: 'restore', parentId: b.id, kekArn: euKey });
    expect(await text('r', 'a')).toBe('alpha');
    expect(await text('r', 'b')).toBe('bb');
    // A restore into another region with the backup's key: region mismatch.
    await rejectsWith(
      cp.lifecycle.restore({ backupId: b.id, name: 'r2', region: 'us-east-1' }),
      'CMEK_REGION_MISMATCH',
    );
  });

  it('cloudsql: the restore may take another key of its region (data re-encrypted)', async () => {
    await cp.create({ name: 's', region: 'eu-west-1', profile: 'cloudsql', kmsKey: euKey });
    await cp.objects.put('s', 'a', 'alpha');
    const b = await cp.backups.create('s');
    const r = await cp.lifecycle.restore({
      backupId: b.id,
      name: 'r',
      region: 'us-east-1',
      kmsKey: usKey,
    });
    expect(r).toMatchObject({ profile: 'cloudsql', kekArn: usKey, region: 'us-east-1' });
    expect(await text('r', 'a')).toBe('alpha');
  });

  it('an unencrypted backup restored with a key: CMEK on existing data', async () => {
    await cp.create({ name: 's', region: 'eu-west-1' });
    await cp.objects.put('s', 'a', 'alpha');
    const b = await cp.backups.create('s');
    expect(b).toMatchObject({ encrypted: false, kmsKey: null, keyOwner: 'managed' });
    const r = await cp.lifecycle.restore({ backupId: b.id, name: 'r', kmsKey: euKey });
    expect(r).toMatchObject({ keyOwner: 'customer', kekArn: euKey });
    expect(await text('r', 'a')).toBe('alpha');
  });

  it('once the key material is destroyed the backup is unreadable (crypto-shredding)', async () => {
    await cp.create({ name: 's', region: 'eu-west-1', kmsKey: euKey });
    await cp.objects.put('s', 'a', 'alpha');
    const b = await cp.backups.create('s');
    await cp.delete('s');
    await admin.scheduleKeyDeletion(euKey, 7);
    await admin.purge();
    // A fresh control plane: nothing cached in memory.
    const fresh = await openControlPlane({ dataDir: dir, kms: admin, admin, durable: false });
    const reader = await fresh.backups.open(b.id);
    // The data path reports a destroyed key as the key being inaccessible, or (once the KMS
    // says the material is destroyed) as the data being unrecoverable: both refuse to read.
    const unreadable = async (p: Promise<unknown>) => {
      const e = await p.then(
        () => new Error('resolved'),
        (x: unknown) => x,
      );
      expect(['CMEK_KEY_INACCESSIBLE', 'CMEK_SERVICE_UNAVAILABLE'], String(e)).toContain(codeOf(e));
    };
    await unreadable(reader.getBuffer('a'));
    await unreadable(fresh.lifecycle.restore({ backupId: b.id, name: 'r' }));
    expect((await fresh.list()).map((s) => s.name)).toEqual([]);
  });
});
