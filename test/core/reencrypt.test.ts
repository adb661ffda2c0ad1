import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  IntegrityError,
  ServiceKeySet,
  createReencryptStream,
  decodeHeader,
  decryptBuffer,
  encryptBuffer,
  objectContext,
  reencryptBuffer,
} from '../../src/core/index.js';
import { expectBytes, runStream, setup, split } from './helpers.js';

describe('re-encryption', () => {
  it('stream: moves an object to another service key set, key and context', async () => {
    const { kms, keys, cache } = await setup('svc-a');
    const other = kms.createKey({ description: 'clone key' });
    const clone = await ServiceKeySet.create({
      kms,
      cache,
      kmsKeyId: other.arn,
      serviceId: 'svc-b',
    });
    const pt = randomBytes(200_000);
    const from = { keys, context: objectContext('svc-a', 'o') };
    const to = { dek: await clone.primaryDek(), context: objectContext('svc-b', 'o') };
    const ct = encryptBuffer(pt, { dek: await keys.primaryDek(), context: from.context });
    const { out, error } = await runStream(
      split(ct, [10_000, 70_001]),
      createReencryptStream({ from, to }),
    );
    expect(error).toBeUndefined();
    expectBytes(await decryptBuffer(out, { keys: clone, context: to.context }), pt);
    await expect(decryptBuffer(out, { keys, context: from.context })).rejects.toBeInstanceOf(
      IntegrityError,
    );
  });

  it('stream: a tampered input errors, and the partial output does not authenticate', async () => {
    const { keys } = await setup();
    const context = objectContext('svc-test', 'o');
    const ct = encryptBuffer(randomBytes(300_000), { dek: await keys.primaryDek(), context });
    ct[ct.length - 100]! ^= 1;
    const { out, error } = await runStream(
      split(ct, [65_536]),
      createReencryptStream({
        from: { keys, context },
        to: { dek: await keys.primaryDek(), context },
      }),
    );
    expect(error).toBeInstanceOf(IntegrityError);
    await expect(decryptBuffer(out, { keys, context })).rejects.toBeInstanceOf(IntegrityError);
  });

  it('buffer: re-encrypts under a new DEK generation (cloudsql reencrypt)', async () => {
    const { kms, keys } = await setup();
    const context = objectContext('svc-test', 'o');
    const pt = randomBytes(100_000);
    const ct = encryptBuffer(pt, { dek: await keys.primaryDek(), context });
    const ref = await keys.rotateDek();
    kms.resetCalls();
    const re = await reencryptBuffer(ct, {
      from: { keys, context },
      to: { dek: await keys.primaryDek(), context },
    });
    expect(decodeHeader(re).header.dek).toEqual(ref);
    expectBytes(await decryptBuffer(re, { keys, context }), pt);
    expect(kms.totalCalls).toBe(0);
  });
});
