import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isKmsError } from '../../src/kms/types.js';
import { MemoryKms } from '../../src/kms/memory.js';
import {
  IntegrityError,
  KeyCache,
  KeyUnavailableError,
  ServiceKeySet,
  decryptBuffer,
  encryptBuffer,
  objectContext,
} from '../../src/core/index.js';
import { expectBytes, setup } from './helpers.js';

const ctx = (name: string) => objectContext('svc-test', name);

describe('ServiceKeySet', () => {
  it('create makes one KMS call; then 1000 writes and reads make none', async () => {
    const { kms, keys } = await setup();
    expect(kms.calls.generateDataKey).toBe(1);
    expect(kms.totalCalls).toBe(1);
    for (let i = 0; i < 1000; i++) {
      const pt = Buffer.from(`object ${i}`);
      const ct = encryptBuffer(pt, { dek: await keys.primaryDek(), context: ctx(`o${i}`) });
      if (i % 100 === 0) expectBytes(await decryptBuffer(ct, { keys, context: ctx(`o${i}`) }), pt);
    }
    expect(kms.totalCalls).toBe(1);
  });

  it('the record is plain JSON with no plaintext key material', async () => {
    const { keys } = await setup();
    const json = JSON.stringify(keys);
    const rec = JSON.parse(json);
    expect(rec).toMatchObject({ version: 1, serviceId: 'svc-test', primaryDek: rec.deks[0].id });
    expect(rec.kek.keyId).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\//);
    expect(rec.kek.keyVersion).toBe('1');
    const dek = await keys.primaryDek();
    dek.key.use((b) => {
      expect(json).not.toContain(b.toString('base64'));
      expect(json).not.toContain(b.toString('hex'));
      expect(Buffer.from(json).includes(b)).toBe(false);
    });
    expect(JSON.stringify(dek)).not.toContain(dek.key.use((b) => b.toString('base64')));
  });

  it('a reopened record in a cold process unwraps once: N parallel readers → one KMS decrypt', async () => {
    const { kms, keys } = await setup();
    const objects = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const pt = randomBytes(1000 + i);
        return {
          pt,
          ct: encryptBuffer(pt, { dek: await keys.primaryDek(), context: ctx(`${i}`) }),
        };
      }),
    );
    kms.resetCalls();
    const cold = ServiceKeySet.open(JSON.parse(JSON.stringify(keys)), {
      kms,
      cache: new KeyCache(),
    });
    const out = await Promise.all(
      objects.map(({ ct }, i) => decryptBuffer(ct, { keys: cold, context: ctx(`${i}`) })),
    );
    out.forEach((pt, i) => expectBytes(pt, objects[i]!.pt));
    expect(kms.calls).toMatchObject({ decrypt: 1, encrypt: 0, generateDataKey: 0 });
  });

  it('passes the service encryption context to the KMS: a record moved to another service fails', async () => {
    const { kms, keys } = await setup();
    const moved = { ...keys.record, serviceId: 'svc-other' };
    const stolen = ServiceKeySet.open(moved, { kms, cache: new KeyCache() });
    const err = await stolen.primaryDek().catch((e) => e);
    expect(isKmsError(err, 'InvalidCiphertextException')).toBe(true);
  });

  it('rewrap to a new KMS key: O(1) KMS calls whatever the data, objects untouched', async () => {
    for (const objectCount of [1, 200]) {
      const { kms, keys } = await setup();
      const objects = [];
      for (let i = 0; i < objectCount; i++) {
        const pt = randomBytes(300);
        objects.push({
          pt,
          ct: encryptBuffer(pt, { dek: await keys.primaryDek(), context: ctx(`${i}`) }),
        });
      }
      const newKey = kms.createKey({ description: 'new CMEK' });
      kms.resetCalls();
      const before = keys.record;
      const res = await keys.rewrap(newKey.arn);
      expect(kms.totalCalls).toBe(1); // service key cached: one Encrypt
      expect(res.kmsCalls).toBe(1);
      expect(res.to.keyId).toBe(newKey.arn);
      expect(keys.record.deks).toEqual(before.deks); // DEK wrappings unchanged
      expect(keys.record.wrappedServiceKey).not.toBe(before.wrappedServiceKey);

      // Old KMS key gone for good: a cold reader still opens everything through the new key.
      kms.disableKey(before.kek.keyId);
      kms.resetCalls();
      const cold = ServiceKeySet.open(keys.record, { kms, cache: new KeyCache() });
      for (const [i, o] of objects.entries()) {
        expectBytes(await decryptBuffer(o.ct, { keys: cold, context: ctx(`${i}`) }), o.pt);
      }
      expect(kms.totalCalls).toBe(1);
    }
  });

  it('a purge while a rewrap is in flight cannot corrupt the new wrapping', async () => {
    const { kms, keys } = await setup();
    const pt = Buffer.from('kept');
    const ct = encryptBuffer(pt, { dek: await keys.primaryDek(), context: ctx('k') });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = Object.create(kms) as MemoryKms;
    // The KMS reads the plaintext only after an await, as a network client would.
    slow.encrypt = async (input) => {
      await gate;
      return kms.encrypt(input);
    };
    const set = ServiceKeySet.open(keys.record, { kms: slow, cache: keys.cache });
    const pending = set.rewrap();
    await new Promise((r) => setImmediate(r));
    keys.cache.purge();
    release();
    await pending;
    const cold = ServiceKeySet.open(set.record, { kms, cache: new KeyCache() });
    expectBytes(await decryptBuffer(ct, { keys: cold, context: ctx('k') }), pt);
  });

  it('rewrap from a cold cache is decrypt + encrypt', async () => {
    const { kms, keys } = await setup();
    const cold = ServiceKeySet.open(keys.record, { kms, cache: new KeyCache() });
    kms.resetCalls();
    const res = await cold.rewrap();
    expect(res.kmsCalls).toBe(2);
    expect(kms.calls).toMatchObject({ decrypt: 1, encrypt: 1 });
  });

  it('after a KMS key rotation, isStale() finds the wrapping and rewrap() moves it to the new version', async () => {
    const { kms, key, keys } = await setup();
    expect(keys.isStale(key.arn, '1')).toBe(false);
    const v = kms.rotateKey(key.keyId);
    expect(keys.isStale(key.keyId, v)).toBe(true);
    await keys.rewrap();
    expect(keys.kek).toEqual({ keyId: key.arn, keyVersion: '2' });
    expect(keys.isStale(key.arn, v)).toBe(false);
    expect(keys.isStale('arn:aws:kms:eu-west-1:000000000000:key/other')).toBe(true);
  });

  it('fails closed: purge destroys held keys; a disabled KMS key refuses new unwraps', async () => {
    const { kms, key, keys, cache } = await setup();
    const pt = Buffer.from('secret rows');
    const held = await keys.primaryDek();
    const ct = encryptBuffer(pt, { dek: held, context: ctx('a') });
    kms.disableKey(key.keyId);
    expect(keys.purge()).toBeGreaterThan(0);
    expect(() => encryptBuffer(pt, { dek: held, context: ctx('b') })).toThrow(KeyUnavailableError);
    const err = await decryptBuffer(ct, { keys, context: ctx('a') }).catch((e) => e);
    expect(isKmsError(err, 'DisabledException')).toBe(true);
    expect(cache.size).toBe(0);
    // Access restored: works again, with one KMS call.
    kms.enableKey(key.keyId);
    kms.resetCalls();
    expectBytes(await decryptBuffer(ct, { keys, context: ctx('a') }), pt);
    expect(kms.totalCalls).toBe(1);
  });

  it('crypto-shredding: once the KMS key material is destroyed the data is unrecoverable', async () => {
    const { kms, key, keys } = await setup();
    const ct = encryptBuffer(Buffer.from('x'), { dek: await keys.primaryDek(), context: ctx('a') });
    kms.destroyKey(key.keyId);
    keys.purge();
    await expect(decryptBuffer(ct, { keys, context: ctx('a') })).rejects.toSatisfy((e) =>
      isKmsError(e),
    );
  });

  it('rotateDek: new objects use the new generation, old ones still decrypt, no KMS call', async () => {
    const { kms, keys } = await setup();
    const old = encryptBuffer(Buffer.from('old'), {
      dek: await keys.primaryDek(),
      context: ctx('o'),
    });
    kms.resetCalls();
    const ref = await keys.rotateDek();
    expect(ref.generation).toBe(2);
    expect(keys.primaryRef).toEqual(ref);
    const dek = await keys.primaryDek();
    expect(dek.ref).toEqual(ref);
    const fresh = encryptBuffer(Buffer.from('new'), { dek, context: ctx('n') });
    expect((await decryptBuffer(old, { keys, context: ctx('o') })).toString()).toBe('old');
    expect((await decryptBuffer(fresh, { keys, context: ctx('n') })).toString()).toBe('new');
    expect(kms.totalCalls).toBe(0);
    const reopened = ServiceKeySet.open(keys.record, { kms, cache: new KeyCache() });
    expect(reopened.dekRefs.map((r) => r.generation)).toEqual([1, 2]);
  });

  it('a tampered wrapped DEK or an unknown DEK reference is an integrity error', async () => {
    const { kms, keys } = await setup();
    const rec = keys.record;
    const w = Buffer.from(rec.deks[0]!.wrapped, 'base64');
    w[20]! ^= 1;
    rec.deks[0]!.wrapped = w.toString('base64');
    const bad = ServiceKeySet.open(rec, { kms, cache: keys.cache });
    await expect(bad.primaryDek()).rejects.toMatchObject({
      code: 'CMEK_INTEGRITY',
      reason: 'wrapped-key',
    });
    await expect(keys.getDek({ id: 'nope', generation: 1 })).rejects.toBeInstanceOf(IntegrityError);
  });

  it('rejects malformed records', async () => {
    const { kms, keys } = await setup();
    const open = (r: unknown) => () => ServiceKeySet.open(r, { kms });
    expect(open({})).toThrow();
    expect(open({ ...keys.record, version: 2 })).toThrow();
    expect(open({ ...keys.record, deks: [] })).toThrow();
    expect(open({ ...keys.record, primaryDek: 'missing' })).toThrow(/primary DEK/);
    expect(open({ ...keys.record, wrappedServiceKey: 'not base64!' })).toThrow();
  });

  it('works the same with a provider-managed key (no CMEK)', async () => {
    const kms = new MemoryKms();
    const managed = kms.createKey({ description: 'provider-managed' });
    const keys = await ServiceKeySet.create({ kms, kmsKeyId: managed.keyId, serviceId: 'plain' });
    const c = objectContext('plain', 'x');
    const ct = encryptBuffer(Buffer.from('hi'), { dek: await keys.primaryDek(), context: c });
    expect((await decryptBuffer(ct, { keys, context: c })).toString()).toBe('hi');
    expect(keys.kek.keyId).toBe(managed.arn);
  });
});

describe('MemoryKms', () => {
  it('wraps with real AES-GCM bound to key and context, AWS-style errors, counts calls', async () => {
    const kms = new MemoryKms();
    const a = kms.createKey({ alias: 'alias/a' });
    const b = kms.createKey();
    const ctx1 = { svc: '1' };
    const { ciphertextBlob, keyId, keyVersion } = await kms.encrypt({
      keyId: 'alias/a',
      plaintext: Buffer.from('k'),
      context: ctx1,
    });
    expect(keyId).toBe(a.arn);
    expect(keyVersion).toBe('1');
    expect(ciphertextBlob.length).toBeGreaterThan(a.arn.length + 16); // header + tag, not the bare byte
    expect((await kms.decrypt({ ciphertextBlob, context: ctx1 })).plaintext).toEqual(
      Buffer.from('k'),
    );
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e) => (isKmsError(e) ? e.code : e),
      );
    expect(await fail(kms.decrypt({ ciphertextBlob, context: { svc: '2' } }))).toBe(
      'InvalidCiphertextException',
    );
    expect(await fail(kms.decrypt({ ciphertextBlob, context: ctx1, keyId: b.keyId }))).toBe(
      'IncorrectKeyException',
    );
    const tampered = Buffer.from(ciphertextBlob);
    tampered[tampered.length - 1]! ^= 1;
    expect(await fail(kms.decrypt({ ciphertextBlob: tampered, context: ctx1 }))).toBe(
      'InvalidCiphertextException',
    );
    expect(await fail(kms.encrypt({ keyId: 'nope', plaintext: Buffer.alloc(1) }))).toBe(
      'NotFoundException',
    );
    kms.rotateKey(a.keyId);
    expect((await kms.decrypt({ ciphertextBlob, context: ctx1 })).keyVersion).toBe('1');
    expect((await kms.encrypt({ keyId: a.arn, plaintext: Buffer.alloc(1) })).keyVersion).toBe('2');
    kms.disableKey(a.keyId);
    expect(await fail(kms.decrypt({ ciphertextBlob, context: ctx1 }))).toBe('DisabledException');
    kms.setKeyState(a.keyId, 'PendingDeletion');
    expect(await fail(kms.generateDataKey({ keyId: a.keyId }))).toBe('KMSInvalidStateException');
    expect((await kms.describeKey(a.arn)).keyState).toBe('PendingDeletion');
    expect(kms.calls).toEqual({
      generateDataKey: 1,
      encrypt: 3,
      decrypt: 6,
      reEncrypt: 0,
      describeKey: 1,
    });
    expect(kms.totalCalls).toBe(11);
  });

  it('reEncrypt moves a blob to another key without exposing it', async () => {
    const kms = new MemoryKms();
    const a = kms.createKey();
    const b = kms.createKey();
    const { ciphertextBlob } = await kms.encrypt({
      keyId: a.keyId,
      plaintext: Buffer.from('dek'),
      context: { x: '1' },
    });
    const re = await kms.reEncrypt({
      ciphertextBlob,
      sourceContext: { x: '1' },
      destinationKeyId: b.arn,
      destinationContext: { x: '2' },
    });
    expect(re.sourceKeyId).toBe(a.arn);
    expect(re.keyId).toBe(b.arn);
    kms.disableKey(a.keyId);
    expect(
      (await kms.decrypt({ ciphertextBlob: re.ciphertextBlob, context: { x: '2' } })).plaintext,
    ).toEqual(Buffer.from('dek'));
  });
});
