import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LOCAL_ROOT_PRINCIPAL,
  encodeContextAad,
  openLocalKms,
  type LocalKms,
  type LocalKmsClient,
} from '../../src/kms/local/index.js';
import { userRootKeyDir } from '../../src/kms/local/index.js';
import { CLICKHOUSE_REQUIRED_ACTIONS } from '../../src/model/policy/index.js';
import { isKmsError, type KmsErrorCode } from '../../src/kms/types.js';

const DAY = 86_400_000;
const CH_ROLE = 'arn:aws:iam::576599896960:role/prod-kms-request-role';
const SERVICE = 'arn:aws:iam::000000000000:role/cmek-service';

let dir: string;
let now: Date;
let kms: LocalKms;
let admin: LocalKmsClient;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cmek-kms-'));
  now = new Date('2026-01-01T00:00:00Z');
  kms = openLocalKms({ dir, clock: () => now });
  admin = kms.admin();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function fails(p: Promise<unknown>, code: KmsErrorCode, message?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isKmsError(e)) throw e;
    expect(e.code).toBe(code);
    if (message) expect(e.message).toMatch(message);
    return;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const text = (b: Uint8Array) => Buffer.from(b).toString();

/** Every file under the kms dir, concatenated: for "nothing plaintext on disk" checks. */
function diskBytes(): Buffer {
  return Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
}

describe('encrypt / decrypt', () => {
  it('round-trips, with self-describing blobs bound to the encryption context', async () => {
    const k = await admin.createKey({ region: 'us-east-1', description: 'test' });
    expect(k).toMatchObject({
      provider: 'aws',
      region: 'us-east-1',
      account: '000000000000',
      keyState: 'Enabled',
      enabled: true,
      primaryVersion: '1',
      keyManager: 'CUSTOMER',
      multiRegion: false,
    });
    expect(k.arn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${k.keyId}`);
    const ctx = { service: 'svc-1', object: 'o1' };
    const e = await admin.encrypt({ keyId: k.keyId, plaintext: bytes('hello'), context: ctx });
    expect(e.keyId).toBe(k.arn);
    expect(e.keyVersion).toBe('1');
    const d = await admin.decrypt({
      ciphertextBlob: e.ciphertextBlob,
      context: { object: 'o1', service: 'svc-1' },
    });
    expect(text(d.plaintext)).toBe('hello');
    expect(d.keyId).toBe(k.arn);
    await fails(
      admin.decrypt({
        ciphertextBlob: e.ciphertextBlob,
        context: { service: 'svc-2', object: 'o1' },
      }),
      'InvalidCiphertextException',
    );
    await fails(admin.decrypt({ ciphertextBlob: e.ciphertextBlob }), 'InvalidCiphertextException');
    await fails(
      admin.decrypt({ ciphertextBlob: e.ciphertextBlob, context: { ...ctx, extra: '' } }),
      'InvalidCiphertextException',
    );
  });

  it('rejects tampered blobs, foreign blobs and the wrong KeyId', async () => {
    const k1 = await admin.createKey({ region: 'us-east-1' });
    const k2 = await admin.createKey({ region: 'us-east-1' });
    const e = await admin.encrypt({ keyId: k1.arn, plaintext: bytes('x') });
    for (let i = 0; i < e.ciphertextBlob.length; i += 7) {
      const t = new Uint8Array(e.ciphertextBlob);
      t[i]! ^= 1;
      await expect(admin.decrypt({ ciphertextBlob: t })).rejects.toSatisfy(
        (err) =>
          isKmsError(err) && ['InvalidCiphertextException', 'NotFoundException'].includes(err.code),
      );
    }
    await fails(
      admin.decrypt({ ciphertextBlob: e.ciphertextBlob.subarray(0, 20) }),
      'InvalidCiphertextException',
    );
    await fails(admin.decrypt({ ciphertextBlob: randomBytes(64) }), 'InvalidCiphertextException');
    await fails(
      admin.decrypt({ ciphertextBlob: e.ciphertextBlob, keyId: k2.keyId }),
      'IncorrectKeyException',
    );
    expect(
      text((await admin.decrypt({ ciphertextBlob: e.ciphertextBlob, keyId: k1.keyId })).plaintext),
    ).toBe('x');
  });

  it('generates data keys (with and without plaintext) and re-encrypts', async () => {
    const k1 = await admin.createKey({ region: 'eu-west-1' });
    const k2 = await admin.createKey({ region: 'eu-west-1' });
    const dk = await admin.generateDataKey({ keyId: k1.keyId, context: { a: '1' } });
    expect(dk.plaintext).toHaveLength(32);
    expect(
      (await admin.generateDataKey({ keyId: k1.keyId, numberOfBytes: 64 })).plaintext,
    ).toHaveLength(64);
    await fails(
      admin.generateDataKey({ keyId: k1.keyId, numberOfBytes: 0 }),
      'ValidationException',
    );
    const back = await admin.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: { a: '1' } });
    expect(Buffer.from(back.plaintext).equals(Buffer.from(dk.plaintext))).toBe(true);
    const np = await admin.generateDataKeyWithoutPlaintext({ keyId: k1.keyId });
    expect('plaintext' in np).toBe(false);
    expect((await admin.decrypt({ ciphertextBlob: np.ciphertextBlob })).plaintext).toHaveLength(32);
    const re = await admin.reEncrypt({
      ciphertextBlob: dk.ciphertextBlob,
      sourceContext: { a: '1' },
      destinationKeyId: k2.arn,
      destinationContext: { b: '2' },
    });
    expect(re).toMatchObject({ sourceKeyId: k1.arn, keyId: k2.arn });
    const again = await admin.decrypt({ ciphertextBlob: re.ciphertextBlob, context: { b: '2' } });
    expect(Buffer.from(again.plaintext).equals(Buffer.from(dk.plaintext))).toBe(true);
    await fails(
      admin.encrypt({ keyId: k1.keyId, plaintext: new Uint8Array(4097) }),
      'ValidationException',
    );
  });
});

describe('at-rest protection', () => {
  it('keeps key material sealed under a 0600 root key and no plaintext on disk', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    const dk = await admin.generateDataKey({ keyId: k.keyId });
    // The root key lives outside the data directory (docs/kms.md), 0600 in a 0700 directory.
    const id = readFileSync(join(dir, 'keystore-id'), 'utf8').trim();
    const rootKey = join(userRootKeyDir(), `${id}.key`);
    expect(statSync(rootKey).mode & 0o777).toBe(0o600);
    expect(statSync(userRootKeyDir()).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'keystore.json')).mode & 0o777).toBe(0o600);
    expect(diskBytes().includes(Buffer.from(dk.plaintext))).toBe(false);
    const store = JSON.parse(readFileSync(join(dir, 'keystore.json'), 'utf8'));
    const v = store.keys[k.arn].versions[0];
    expect(v.sealed).toMatch(/^v1:/);
    expect(Object.keys(v).sort()).toEqual(['createdAt', 'sealed', 'version']);
    expect(readdirSync(dir).sort()).toEqual(['keystore-id', 'keystore.json']);
  });

  it('refuses a keystore opened with another root key, and tampered material', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    const e = await admin.encrypt({ keyId: k.keyId, plaintext: bytes('x') });
    const other = openLocalKms({ dir, rootKey: randomBytes(32) }).admin();
    await fails(other.describeKey(k.keyId), 'KMSInternalException', /different root key/);
    const path = join(dir, 'keystore.json');
    const store = JSON.parse(readFileSync(path, 'utf8'));
    const sealed: string = store.keys[k.arn].versions[0].sealed;
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[20]! ^= 1;
    store.keys[k.arn].versions[0].sealed = `v1:${raw.toString('base64')}`;
    writeFileSync(path, JSON.stringify(store));
    const fresh = openLocalKms({ dir }).admin();
    await fails(
      fresh.decrypt({ ciphertextBlob: e.ciphertextBlob }),
      'KMSInternalException',
      /failed authentication/,
    );
  });

  it('uses CMEK_KMS_ROOT_KEY instead of a file when set', async () => {
    const key = randomBytes(32).toString('base64');
    process.env.CMEK_KMS_ROOT_KEY = key;
    try {
      const a = openLocalKms({ dir }).admin();
      const k = await a.createKey({ region: 'us-east-1' });
      expect(readdirSync(dir)).not.toContain('root.key');
      delete process.env.CMEK_KMS_ROOT_KEY;
      // Without it the keystore has no root key, and none is made up for it.
      await expect(openLocalKms({ dir }).admin().describeKey(k.keyId)).rejects.toMatchObject({
        diagnostics: [{ code: 'CMEK_KMS_ROOT_KEY_MISSING' }],
      });
      process.env.CMEK_KMS_ROOT_KEY = 'dG9vIHNob3J0';
      await fails(
        openLocalKms({ dir }).admin().describeKey(k.keyId),
        'KMSInternalException',
        /32 bytes/,
      );
    } finally {
      delete process.env.CMEK_KMS_ROOT_KEY;
    }
  });
});

describe('key states', () => {
  it('disable / enable', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    const e = await admin.encrypt({ keyId: k.keyId, plaintext: bytes('x') });
    await admin.disableKey(k.keyId);
    expect(await admin.keyState(k.keyId)).toBe('Disabled');
    await fails(admin.encrypt({ keyId: k.keyId, plaintext: bytes('x') }), 'DisabledException');
    await fails(admin.decrypt({ ciphertextBlob: e.ciphertextBlob }), 'DisabledException');
    await admin.enableKey(k.keyId);
    expect(text((await admin.decrypt({ ciphertextBlob: e.ciphertextBlob })).plaintext)).toBe('x');
  });

  it('schedules deletion (7-30 days, default 30), cancels to Disabled, destroys when due', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    const e = await admin.encrypt({ keyId: k.keyId, plaintext: bytes('x') });
    await fails(admin.scheduleKeyDeletion(k.keyId, 6), 'ValidationException');
    await fails(admin.scheduleKeyDeletion(k.keyId, 31), 'ValidationException');
    const m = await admin.scheduleKeyDeletion(k.keyId);
    expect(m).toMatchObject({ keyState: 'PendingDeletion', pendingDeletionWindowInDays: 30 });
    expect(m.deletionDate!.getTime()).toBe(now.getTime() + 30 * DAY);
    await fails(
      admin.decrypt({ ciphertextBlob: e.ciphertextBlob }),
      'KMSInvalidStateException',
      /pending deletion/,
    );
    await fails(admin.enableKey(k.keyId), 'KMSInvalidStateException');
    await fails(admin.scheduleKeyDeletion(k.keyId), 'KMSInvalidStateException');
    expect(await admin.cancelKeyDeletion(k.keyId)).toMatchObject({ keyState: 'Disabled' });
    await fails(admin.cancelKeyDeletion(k.keyId), 'KMSInvalidStateException');
    await admin.enableKey(k.keyId);
    await admin.scheduleKeyDeletion(k.keyId, 7);
    now = new Date(now.getTime() + 7 * DAY - 1);
    expect(await admin.keyState(k.keyId)).toBe('PendingDeletion');
    now = new Date(now.getTime() + 1);
    expect(await admin.keyState(k.keyId)).toBe('Destroyed');
    await fails(
      admin.decrypt({ ciphertextBlob: e.ciphertextBlob }),
      'KMSInvalidStateException',
      /destroyed/,
    );
    await fails(admin.cancelKeyDeletion(k.keyId), 'KMSInvalidStateException');
    const store = JSON.parse(readFileSync(join(dir, 'keystore.json'), 'utf8'));
    expect(store.keys[k.arn].versions.every((v: object) => !('sealed' in v))).toBe(true);
  });

  it('purge completes pending deletions now (crypto-shredding) and deletes their aliases', async () => {
    const keep = await admin.createKey({ region: 'us-east-1' });
    const k = await admin.createKey({ region: 'us-east-1' });
    await admin.createAlias('alias/doomed', k.keyId);
    const e = await admin.encrypt({ keyId: 'alias/doomed', plaintext: bytes('secret') });
    expect(await admin.purge()).toEqual({ destroyed: [] });
    await admin.scheduleKeyDeletion(k.keyId, 30);
    expect(await admin.purge()).toEqual({ destroyed: [k.arn] });
    expect(await admin.keyState(k.keyId)).toBe('Destroyed');
    expect(await admin.keyState(keep.keyId)).toBe('Enabled');
    await fails(admin.decrypt({ ciphertextBlob: e.ciphertextBlob }), 'KMSInvalidStateException');
    expect(await admin.listAliases()).toEqual([]);
    // A fresh process (no in-memory cache) cannot decrypt either.
    await fails(
      openLocalKms({ dir }).admin().decrypt({ ciphertextBlob: e.ciphertextBlob }),
      'KMSInvalidStateException',
    );
  });
});

describe('rotation', () => {
  it('on demand: new primary version, old blobs still decrypt, at most 10', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    const old = await admin.encrypt({ keyId: k.keyId, plaintext: bytes('v1') });
    const m = await admin.rotateKeyOnDemand(k.keyId);
    expect(m.primaryVersion).toBe('2');
    expect(m.versions).toEqual(['1', '2']);
    const fresh = await admin.encrypt({ keyId: k.keyId, plaintext: bytes('v2') });
    expect(fresh.keyVersion).toBe('2');
    expect(await admin.decrypt({ ciphertextBlob: old.ciphertextBlob })).toMatchObject({
      keyVersion: '1',
    });
    expect(await admin.decrypt({ ciphertextBlob: fresh.ciphertextBlob })).toMatchObject({
      keyVersion: '2',
    });
    for (let i = 0; i < 9; i++) await admin.rotateKeyOnDemand(k.keyId);
    await fails(admin.rotateKeyOnDemand(k.keyId), 'LimitExceededException');
    const rotations = await admin.listKeyRotations(k.keyId);
    expect(rotations).toHaveLength(10);
    expect(rotations[0]).toMatchObject({ version: '2', rotationType: 'ON_DEMAND', keyId: k.arn });
  });

  it('automatic: rotates when the period has passed, checked on access', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    await fails(admin.enableKeyRotation(k.keyId, 89), 'ValidationException');
    await fails(admin.enableKeyRotation(k.keyId, 2561), 'ValidationException');
    await admin.enableKeyRotation(k.keyId, 90);
    const status = await admin.getKeyRotationStatus(k.keyId);
    expect(status).toEqual({
      enabled: true,
      rotationPeriodInDays: 90,
      nextRotationDate: new Date(now.getTime() + 90 * DAY),
    });
    const v1 = await admin.encrypt({ keyId: k.keyId, plaintext: bytes('a') });
    now = new Date(now.getTime() + 89 * DAY);
    expect((await admin.describeKey(k.keyId)).primaryVersion).toBe('1');
    now = new Date(now.getTime() + 2 * DAY);
    expect((await admin.encrypt({ keyId: k.keyId, plaintext: bytes('b') })).keyVersion).toBe('2');
    now = new Date(now.getTime() + 180 * DAY); // two more periods
    expect((await admin.describeKey(k.keyId)).primaryVersion).toBe('4');
    const r = await admin.listKeyRotations(k.keyId);
    expect(r.map((x) => x.rotationType)).toEqual(['AUTOMATIC', 'AUTOMATIC', 'AUTOMATIC']);
    expect(r[0]!.rotationDate.getTime()).toBe(Date.parse('2026-01-01T00:00:00Z') + 90 * DAY);
    expect(text((await admin.decrypt({ ciphertextBlob: v1.ciphertextBlob })).plaintext)).toBe('a');
    await admin.disableKeyRotation(k.keyId);
    now = new Date(now.getTime() + 1000 * DAY);
    expect((await admin.describeKey(k.keyId)).primaryVersion).toBe('4');
    expect(await admin.getKeyRotationStatus(k.keyId)).toEqual({ enabled: false });
  });

  it('does not rotate a disabled key; once re-enabled, an overdue key rotates once', async () => {
    const k = await admin.createKey({
      region: 'us-east-1',
      enableKeyRotation: true,
      rotationPeriodInDays: 90,
    });
    await admin.disableKey(k.keyId);
    now = new Date(now.getTime() + 400 * DAY);
    expect((await admin.describeKey(k.keyId)).primaryVersion).toBe('1');
    await admin.enableKey(k.keyId);
    expect((await admin.describeKey(k.keyId)).primaryVersion).toBe('2');
    const next = (await admin.getKeyRotationStatus(k.keyId)).nextRotationDate!;
    expect(next.getTime()).toBe(now.getTime() + 90 * DAY);
  });

  it('can be enabled at creation', async () => {
    const k = await admin.createKey({
      region: 'us-east-1',
      enableKeyRotation: true,
      rotationPeriodInDays: 100,
    });
    expect(k).toMatchObject({ rotationEnabled: true, rotationPeriodInDays: 100 });
    now = new Date(now.getTime() + 100 * DAY);
    expect((await admin.describeKey(k.arn)).primaryVersion).toBe('2');
  });
});

describe('references and aliases', () => {
  it('resolves key id, ARN, alias name and alias ARN; aliases are unique per region', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    const k2 = await admin.createKey({ region: 'us-east-1' });
    await admin.createAlias('alias/app', k.keyId);
    const aliasArn = 'arn:aws:kms:us-east-1:000000000000:alias/app';
    for (const ref of [k.keyId, k.arn, 'alias/app', aliasArn])
      expect((await admin.describeKey(ref)).arn).toBe(k.arn);
    expect((await admin.describeKey(k.keyId)).aliases).toEqual(['alias/app']);
    await fails(admin.createAlias('alias/app', k2.keyId), 'AlreadyExistsException');
    await fails(admin.createAlias('alias/aws/rds', k2.keyId), 'InvalidAliasNameException');
    await fails(admin.createAlias('app', k2.keyId), 'InvalidAliasNameException');
    await fails(admin.createAlias('alias/x', 'alias/app'), 'ValidationException');
    await admin.updateAlias('alias/app', k2.arn);
    expect((await admin.describeKey('alias/app')).arn).toBe(k2.arn);
    expect(await admin.listAliases()).toEqual([
      { aliasName: 'alias/app', aliasArn, targetKeyId: k2.keyId },
    ]);
    expect(await admin.listAliases(k.keyId)).toEqual([]);
    await admin.deleteAlias('alias/app');
    await fails(admin.describeKey('alias/app'), 'NotFoundException');
    await fails(
      admin.describeKey(
        'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000',
      ),
      'NotFoundException',
    );
    await fails(admin.describeKey('garbage'), 'NotFoundException', /Invalid keyId/);
  });

  it('GCP-style named keys run on the same machinery', async () => {
    const k = await admin.createKey({ region: 'us-central1', keyRing: 'ring', name: 'db-key' });
    const name = 'projects/local/locations/us-central1/keyRings/ring/cryptoKeys/db-key';
    expect(k).toMatchObject({
      keyId: name,
      arn: name,
      provider: 'gcp',
      region: 'us-central1',
      account: 'local',
    });
    const e = await admin.encrypt({ keyId: name, plaintext: bytes('g') });
    expect(e.keyId).toBe(name);
    expect(text((await admin.decrypt({ ciphertextBlob: e.ciphertextBlob })).plaintext)).toBe('g');
    await admin.rotateKeyOnDemand(name);
    expect((await admin.describeKey(`${name}/cryptoKeyVersions/2`)).primaryVersion).toBe('2');
    await fails(
      admin.createKey({ region: 'us-central1', keyRing: 'ring', name: 'db-key' }),
      'AlreadyExistsException',
    );
    await fails(
      admin.createKey({ region: 'us-east1', keyRing: name }),
      'ValidationException',
      /differs/,
    );
    await fails(
      admin.createKey({ region: 'us-east-1', keyRing: 'ring', name: 'x' }),
      'ValidationException',
    );
    const full = await admin.createKey({
      region: 'europe-west4',
      keyRing: 'projects/local/locations/europe-west4/keyRings/r2',
      name: 'k',
    });
    expect(full.keyId).toBe('projects/local/locations/europe-west4/keyRings/r2/cryptoKeys/k');
  });

  it("multi-region keys replicate with the same id; replicas decrypt the primary's blobs", async () => {
    const p = await admin.createKey({ region: 'us-east-1', multiRegion: true });
    expect(p.keyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(p.multiRegionRole).toBe('PRIMARY');
    const e = await admin.encrypt({ keyId: p.arn, plaintext: bytes('m') });
    const r = await admin.replicateKey(p.keyId, 'eu-west-1', { description: 'eu' });
    expect(r).toMatchObject({
      keyId: p.keyId,
      region: 'eu-west-1',
      multiRegionRole: 'REPLICA',
      description: 'eu',
    });
    expect(r.arn).toBe(`arn:aws:kms:eu-west-1:000000000000:key/${p.keyId}`);
    await fails(admin.replicateKey(p.keyId, 'eu-west-1'), 'AlreadyExistsException');
    await fails(admin.replicateKey(r.arn, 'ap-south-1'), 'UnsupportedOperationException');
    const plain = await admin.createKey({ region: 'us-east-1' });
    await fails(admin.replicateKey(plain.keyId, 'eu-west-1'), 'UnsupportedOperationException');
    // In eu-west-1, the bare id resolves to the replica, which decrypts the primary's blob.
    const eu = kms.client(LOCAL_ROOT_PRINCIPAL, { region: 'eu-west-1' });
    expect((await eu.describeKey(p.keyId)).arn).toBe(r.arn);
    expect(await eu.decrypt({ ciphertextBlob: e.ciphertextBlob, keyId: r.arn })).toMatchObject({
      keyId: r.arn,
    });
    await admin.disableKey(p.arn);
    expect(
      text((await eu.decrypt({ ciphertextBlob: e.ciphertextBlob, keyId: r.arn })).plaintext),
    ).toBe('m');
    await admin.enableKey(p.arn);
    // Rotation of the primary reaches the replica.
    await admin.rotateKeyOnDemand(p.arn);
    await fails(admin.rotateKeyOnDemand(r.arn), 'UnsupportedOperationException');
    const e2 = await admin.encrypt({ keyId: p.arn, plaintext: bytes('m2') });
    expect((await eu.decrypt({ ciphertextBlob: e2.ciphertextBlob, keyId: r.arn })).keyVersion).toBe(
      '2',
    );
    expect((await admin.describeKey(r.arn)).primaryVersion).toBe('2');
  });
});

describe('key policies, evaluated on every call', () => {
  const grant = (principal: string, actions: readonly string[], extra: object = {}) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'root',
          Effect: 'Allow',
          Principal: { AWS: LOCAL_ROOT_PRINCIPAL },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Sid: 'svc',
          Effect: 'Allow',
          Principal: { AWS: principal },
          Action: actions,
          Resource: '*',
          ...extra,
        },
      ],
    });

  it('the default policy serves the local account and no other', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    expect(JSON.parse(await admin.getKeyPolicy(k.keyId)).Statement[0].Sid).toBe(
      'Enable IAM User Permissions',
    );
    const svc = kms.client(SERVICE);
    expect((await svc.generateDataKey({ keyId: k.keyId })).plaintext).toHaveLength(32);
    const ch = kms.client(CH_ROLE);
    await fails(
      ch.encrypt({ keyId: k.arn, plaintext: bytes('x') }),
      'AccessDeniedException',
      new RegExp(
        `User: ${CH_ROLE} is not authorized to perform: kms:Encrypt on resource: ${k.arn}`,
      ),
    );
    await fails(ch.createKey({ region: 'us-east-1' }), 'AccessDeniedException', /kms:CreateKey/);
    await fails(ch.listKeys(), 'AccessDeniedException');
  });

  it('a cross-account service role gets exactly what the policy grants', async () => {
    const k = await admin.createKey({
      region: 'us-east-1',
      policy: grant(CH_ROLE, CLICKHOUSE_REQUIRED_ACTIONS),
    });
    const ch = kms.client(CH_ROLE);
    const dk = await ch.generateDataKey({ keyId: k.arn });
    expect((await ch.decrypt({ ciphertextBlob: dk.ciphertextBlob })).plaintext).toHaveLength(32);
    expect(await ch.keyState(k.arn)).toBe('Enabled');
    expect((await ch.getKeyRotationStatus(k.arn)).enabled).toBe(false);
    const pair = await ch.generateDataKeyPair({ keyId: k.arn, keyPairSpec: 'ECC_NIST_P256' });
    expect(pair.publicKey.length).toBeGreaterThan(0);
    await fails(ch.disableKey(k.arn), 'AccessDeniedException', /kms:DisableKey/);
    await fails(
      ch.reEncrypt({ ciphertextBlob: dk.ciphertextBlob, destinationKeyId: k.arn }),
      'AccessDeniedException',
      /kms:ReEncryptFrom/,
    );
    await fails(ch.getKeyPolicy(k.arn), 'AccessDeniedException');
    // Revoking access takes effect on the next call.
    await admin.putKeyPolicy(k.arn, grant(CH_ROLE, ['kms:DescribeKey']));
    await fails(
      ch.decrypt({ ciphertextBlob: dk.ciphertextBlob }),
      'AccessDeniedException',
      /kms:Decrypt/,
    );
    expect(await ch.keyState(k.arn)).toBe('Enabled');
  });

  it('explicit deny wins, also over the root statement', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    const policy = JSON.parse(await admin.getKeyPolicy(k.keyId));
    policy.Statement.push({
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:ScheduleKeyDeletion',
      Resource: '*',
    });
    await admin.putKeyPolicy(k.keyId, JSON.stringify(policy));
    await fails(admin.scheduleKeyDeletion(k.keyId), 'AccessDeniedException', /explicit deny/);
    await admin.scheduleKeyDeletion((await admin.createKey({ region: 'us-east-1' })).keyId);
  });

  it('evaluates kms:ViaService and kms:EncryptionContext conditions', async () => {
    const k = await admin.createKey({
      region: 'us-east-1',
      policy: grant(CH_ROLE, ['kms:Encrypt', 'kms:Decrypt'], {
        Condition: {
          StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com' },
          StringLike: { 'kms:EncryptionContext:service': 'svc-*' },
        },
      }),
    });
    const direct = kms.client(CH_ROLE);
    const via = kms.client(CH_ROLE, { viaService: 'rds.us-east-1.amazonaws.com' });
    await fails(
      direct.encrypt({ keyId: k.arn, plaintext: bytes('x'), context: { service: 'svc-1' } }),
      'AccessDeniedException',
    );
    await fails(
      via.encrypt({ keyId: k.arn, plaintext: bytes('x'), context: { service: 'other' } }),
      'AccessDeniedException',
    );
    const e = await via.encrypt({
      keyId: k.arn,
      plaintext: bytes('x'),
      context: { service: 'svc-1' },
    });
    expect(
      text(
        (await via.decrypt({ ciphertextBlob: e.ciphertextBlob, context: { service: 'svc-1' } }))
          .plaintext,
      ),
    ).toBe('x');
  });

  it('rejects malformed policies and lock-outs unless bypassed', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    await fails(admin.putKeyPolicy(k.keyId, '{'), 'MalformedPolicyDocumentException', /JSON/);
    await fails(
      admin.putKeyPolicy(
        k.keyId,
        JSON.stringify({
          Statement: [
            {
              Effect: 'Allow',
              Principal: '*',
              Action: '*',
              Resource: '*',
              Condition: { DateLessThan: { 'aws:CurrentTime': 'x' } },
            },
          ],
        }),
      ),
      'MalformedPolicyDocumentException',
      /DateLessThan/,
    );
    const lockout = JSON.stringify({
      Statement: [{ Effect: 'Allow', Principal: { AWS: CH_ROLE }, Action: 'kms:*', Resource: '*' }],
    });
    await fails(
      admin.putKeyPolicy(k.keyId, lockout),
      'MalformedPolicyDocumentException',
      /will not allow you/,
    );
    await fails(
      admin.createKey({ region: 'us-east-1', policy: lockout }),
      'MalformedPolicyDocumentException',
    );
    await admin.putKeyPolicy(k.keyId, lockout, true);
    await fails(admin.describeKey(k.keyId), 'AccessDeniedException');
    expect((await kms.client(CH_ROLE).describeKey(k.keyId)).arn).toBe(k.arn);
  });
});

describe('asymmetric', () => {
  it('generates data key pairs whose private key is also returned encrypted', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    for (const spec of ['RSA_2048', 'ECC_NIST_P256'] as const) {
      const p = await admin.generateDataKeyPair({
        keyId: k.keyId,
        keyPairSpec: spec,
        context: { a: 'b' },
      });
      const priv = createPrivateKey({
        key: Buffer.from(p.privateKeyPlaintext),
        format: 'der',
        type: 'pkcs8',
      });
      const pub = createPublicKey(priv).export({ type: 'spki', format: 'der' });
      expect(Buffer.from(p.publicKey).equals(pub)).toBe(true);
      const back = await admin.decrypt({
        ciphertextBlob: p.privateKeyCiphertextBlob,
        context: { a: 'b' },
      });
      expect(Buffer.from(back.plaintext).equals(Buffer.from(p.privateKeyPlaintext))).toBe(true);
      expect(diskBytes().includes(Buffer.from(p.privateKeyPlaintext))).toBe(false);
    }
    const np = await admin.generateDataKeyPairWithoutPlaintext({
      keyId: k.keyId,
      keyPairSpec: 'ECC_NIST_P256',
    });
    expect('privateKeyPlaintext' in np).toBe(false);
  });

  it('serves GetPublicKey for asymmetric KMS keys only', async () => {
    const sym = await admin.createKey({ region: 'us-east-1' });
    await fails(admin.getPublicKey(sym.keyId), 'UnsupportedOperationException');
    const ec = await admin.createKey({ region: 'us-east-1', keySpec: 'ECC_NIST_P256' });
    const out = await admin.getPublicKey(ec.keyId);
    expect(out).toMatchObject({ keyId: ec.arn, keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
    expect(
      createPublicKey({ key: Buffer.from(out.publicKey), format: 'der', type: 'spki' })
        .asymmetricKeyType,
    ).toBe('ec');
    await fails(
      admin.encrypt({ keyId: ec.keyId, plaintext: bytes('x') }),
      'InvalidKeyUsageException',
    );
    await fails(admin.rotateKeyOnDemand(ec.keyId), 'UnsupportedOperationException');
    const s = JSON.parse(readFileSync(join(dir, 'keystore.json'), 'utf8'));
    expect(s.keys[ec.arn].versions[0].sealed).toMatch(/^v1:/);
  });
});

describe('properties', () => {
  const ctxArb = fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), {
    maxKeys: 4,
  });
  const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([k, v]) => Object.hasOwn(b, k) && b[k] === v);

  it('the context encoding is order-independent and injective', () => {
    fc.assert(
      fc.property(ctxArb, ctxArb, (a, b) => {
        const reversed = Object.fromEntries(Object.entries(a).reverse());
        expect(encodeContextAad(reversed).equals(encodeContextAad(a))).toBe(true);
        expect(encodeContextAad(a).equals(encodeContextAad(b))).toBe(sameMap(a, b));
      }),
      { numRuns: 500 },
    );
  });

  it('decrypts with exactly the context it encrypted with', async () => {
    const k = await admin.createKey({ region: 'us-east-1' });
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        ctxArb,
        ctxArb,
        async (plaintext, ctx, other) => {
          const e = await admin.encrypt({ keyId: k.keyId, plaintext, context: ctx });
          const d = await admin.decrypt({ ciphertextBlob: e.ciphertextBlob, context: ctx });
          expect(Buffer.from(d.plaintext).equals(Buffer.from(plaintext))).toBe(true);
          if (!sameMap(ctx, other))
            await fails(
              admin.decrypt({ ciphertextBlob: e.ciphertextBlob, context: other }),
              'InvalidCiphertextException',
            );
        },
      ),
      { numRuns: 60 },
    );
  });
});
