import { createCipheriv, randomBytes, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IntegrityError,
  TAG_LENGTH,
  createEncryptStream,
  createParallelDecryptStream,
  createParallelEncryptStream,
  decodeHeader,
  decryptBuffer,
  encryptBuffer,
  objectContext,
} from '../../src/core/index.js';
import { expectBytes, rawDek, runStream, split } from './helpers.js';

const dek = rawDek();
const ctx = objectContext('svc-1', 'parallel');

describe('parallel streams (WebCrypto on the thread pool)', () => {
  it('relies on WebCrypto copying its input before encrypt() returns', async () => {
    // ParallelEncryptStream reuses its pending buffer right after starting a job.
    const raw = randomBytes(32);
    const key = await webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
    const iv = Buffer.alloc(12, 1);
    const data = Buffer.alloc(65536, 3);
    const job = webcrypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, data);
    data.fill(9);
    iv.fill(9);
    const c = createCipheriv('aes-256-gcm', raw, Buffer.alloc(12, 1));
    const ref = Buffer.concat([c.update(Buffer.alloc(65536, 3)), c.final(), c.getAuthTag()]);
    expectBytes(Buffer.from(await job), ref);
  });

  it('property: writes exactly the bytes of the serial stream, and reads them back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4000 }),
        fc.integer({ min: 16, max: 700 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 4 }),
        async (n, chunkSize, concurrency, pieces) => {
          const pt = randomBytes(n);
          const objectId = randomBytes(16);
          const serial = await runStream(
            split(pt, pieces),
            createEncryptStream({ dek, context: ctx, chunkSize, objectId }),
          );
          const par = await runStream(
            split(pt, pieces),
            createParallelEncryptStream({ dek, context: ctx, chunkSize, objectId, concurrency }),
          );
          expect(par.error).toBeUndefined();
          expectBytes(par.out, serial.out);
          const back = await runStream(
            split(par.out, pieces),
            createParallelDecryptStream({ keys: dek, context: ctx, concurrency }),
          );
          expect(back.error).toBeUndefined();
          expectBytes(back.out, pt);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('round-trips a few MiB with 64 KiB chunks', async () => {
    const pt = randomBytes(3 * 1024 * 1024 + 7);
    const enc = await runStream(
      split(pt, [65536]),
      createParallelEncryptStream({ dek, context: ctx }),
    );
    expectBytes(await decryptBuffer(enc.out, { keys: dek, context: ctx }), pt);
    const dec = await runStream(
      split(enc.out, [65536]),
      createParallelDecryptStream({ keys: dek, context: ctx }),
    );
    expectBytes(dec.out, pt);
  });

  it('property: tampering and truncation fail, emitting only authentic chunks in order', async () => {
    const chunkSize = 128;
    const pt = randomBytes(20 * chunkSize + 5);
    const ct = encryptBuffer(pt, { dek, context: ctx, chunkSize });
    const hlen = decodeHeader(ct).length;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: ct.length - 1 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 8 }),
        async (pos, truncate, concurrency) => {
          const bad = truncate ? ct.subarray(0, pos) : Buffer.from(ct);
          if (!truncate) bad[pos]! ^= 0x10;
          const { out, error } = await runStream(
            split(bad, [100, 333]),
            createParallelDecryptStream({ keys: dek, context: ctx, concurrency }),
          );
          expect(error).toBeInstanceOf(IntegrityError);
          expectBytes(out, pt.subarray(0, out.length));
          if (!truncate && pos >= hlen) {
            const badChunk = Math.floor((pos - hlen) / (chunkSize + TAG_LENGTH));
            expect(out.length).toBeLessThanOrEqual(badChunk * chunkSize);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('a wrong context fails', async () => {
    const ct = encryptBuffer(randomBytes(1000), { dek, context: ctx, chunkSize: 100 });
    const { out, error } = await runStream(
      [ct],
      createParallelDecryptStream({ keys: dek, context: objectContext('svc-1', 'other') }),
    );
    expect(error).toBeInstanceOf(IntegrityError);
    expect(out.length).toBe(0);
  });
});
