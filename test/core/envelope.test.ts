import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IntegrityError,
  ObjectReader,
  TAG_LENGTH,
  bufferSource,
  createDecryptStream,
  createEncryptStream,
  decodeHeader,
  decryptBuffer,
  decryptRange,
  decryptToParts,
  encryptBuffer,
  encryptToParts,
  objectContext,
  openFileSource,
} from '../../src/core/index.js';
import { expectBytes, rawDek, runStream, split } from './helpers.js';

const dek = rawDek();
const ctx = objectContext('svc-1', 'orders/2026.parquet');
const C = 64 * 1024;

/** Sizes the issue names: 0, 1, chunk ± 1, several MiB. */
const EDGE_SIZES = [0, 1, C - 1, C, C + 1, 2 * C, 3 * 1024 * 1024 + 17];

async function encryptViaStream(pt: Buffer, chunkSize: number, pieces: number[]) {
  const { out, error } = await runStream(
    split(pt, pieces),
    createEncryptStream({ dek, context: ctx, chunkSize }),
  );
  expect(error).toBeUndefined();
  return out;
}

describe('round trips', () => {
  it.each(EDGE_SIZES)('buffer, parts, stream and range agree at %i bytes', async (n) => {
    const pt = randomBytes(n);
    const ct = encryptBuffer(pt, { dek, context: ctx });
    expect(ct.length).toBe(decodeHeader(ct).length + n + Math.max(1, Math.ceil(n / C)) * 16);
    expectBytes(await decryptBuffer(ct, { keys: dek, context: ctx }), pt);
    expectBytes(Buffer.concat(await decryptToParts(ct, { keys: dek, context: ctx })), pt);

    const parts = encryptToParts(pt, { dek, context: ctx });
    expectBytes(await decryptBuffer(Buffer.concat(parts), { keys: dek, context: ctx }), pt);

    const streamed = await encryptViaStream(pt, C, [7000, 65536, 1, 100_000]);
    const { out, error } = await runStream(
      split(streamed, [3, 65552, 50_000]),
      createDecryptStream({ keys: dek, context: ctx }),
    );
    expect(error).toBeUndefined();
    expectBytes(out, pt);

    const reader = await ObjectReader.open(bufferSource(streamed), { keys: dek, context: ctx });
    expect(reader.plaintextLength).toBe(n);
    expectBytes(await reader.read(), pt);
  });

  it('property: random sizes, chunk sizes and write splits round-trip on every path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 5 }),
        async (n, chunkSize, wsplit, rsplit) => {
          const pt = randomBytes(n);
          const ct = encryptBuffer(pt, { dek, context: ctx, chunkSize });
          expectBytes(await decryptBuffer(ct, { keys: dek, context: ctx }), pt);
          const streamed = await encryptViaStream(pt, chunkSize, wsplit);
          expect(streamed.length).toBe(ct.length);
          const { out, error } = await runStream(
            split(streamed, rsplit),
            createDecryptStream({ keys: dek, context: ctx }),
          );
          expect(error).toBeUndefined();
          expectBytes(out, pt);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: any byte range reads back, decrypting only the chunks it covers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.nat(),
        fc.nat(),
        async (n, chunkSize, a, b) => {
          const pt = randomBytes(n);
          const ct = encryptBuffer(pt, { dek, context: ctx, chunkSize });
          const start = a % (n + 1);
          const end = start + (b % (n - start + 1));
          const reads: Array<[number, number]> = [];
          const src = bufferSource(ct);
          const counting = {
            size: src.size,
            read: (o: number, l: number) => {
              reads.push([o, l]);
              return src.read(o, l);
            },
          };
          const got = await decryptRange(counting, start, end, { keys: dek, context: ctx });
          expectBytes(got, pt.subarray(start, end));
          // Header read + covering chunks (+ final chunk check): never the whole object
          // unless the range needs it.
          const stride = chunkSize + TAG_LENGTH;
          const bodyBytes = reads.slice(1).reduce((s, [, l]) => s + l, 0);
          const needed =
            start < end ? Math.floor((end - 1) / chunkSize) - Math.floor(start / chunkSize) + 1 : 0;
          expect(bodyBytes).toBeLessThanOrEqual((needed + 1) * stride);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('decrypt stream handles one-byte writes (every tag split across writes)', async () => {
    const pt = randomBytes(1000);
    const ct = encryptBuffer(pt, { dek, context: ctx, chunkSize: 100 });
    const { out, error } = await runStream(
      split(ct, [1]),
      createDecryptStream({ keys: dek, context: ctx }),
    );
    expect(error).toBeUndefined();
    expectBytes(out, pt);
  });

  it('reads a range of a large file without reading the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cmek-core-'));
    try {
      const pt = randomBytes(4 * 1024 * 1024 + 5);
      const path = join(dir, 'obj');
      await writeFile(path, encryptBuffer(pt, { dek, context: ctx }));
      const src = await openFileSource(path);
      try {
        const reader = await ObjectReader.open(src, { keys: dek, context: ctx });
        expectBytes(await reader.read(1_000_000, 1_000_100), pt.subarray(1_000_000, 1_000_100));
        expectBytes(await reader.read(pt.length - 3, pt.length + 10), pt.subarray(-3));
      } finally {
        await src.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives every object its own id, so equal plaintexts encrypt differently', () => {
    const pt = Buffer.from('same bytes');
    const a = encryptBuffer(pt, { dek, context: ctx });
    const b = encryptBuffer(pt, { dek, context: ctx });
    expect(a.equals(b)).toBe(false);
    expect(decodeHeader(a).header.objectId.equals(decodeHeader(b).header.objectId)).toBe(false);
  });
});

/** Every way to read an object; each must fail the same way on bad input. */
async function allPathsFail(ct: Buffer, opts = { keys: dek, context: ctx }) {
  await expect(decryptBuffer(ct, opts)).rejects.toBeInstanceOf(IntegrityError);
  await expect(decryptToParts(ct, opts)).rejects.toBeInstanceOf(IntegrityError);
  const { error } = await runStream(split(ct, [4096, 333]), createDecryptStream(opts));
  expect(error).toBeInstanceOf(IntegrityError);
  await expect(
    (async () => {
      const r = await ObjectReader.open(bufferSource(ct), opts);
      await r.read();
    })(),
  ).rejects.toBeInstanceOf(IntegrityError);
}

describe('integrity', () => {
  const chunkSize = 256;
  const pt = randomBytes(5 * chunkSize + 77); // 6 chunks
  const ct = encryptBuffer(pt, { dek, context: ctx, chunkSize });
  const hlen = decodeHeader(ct).length;
  const stride = chunkSize + TAG_LENGTH;
  const chunkAt = (i: number) =>
    ct.subarray(hlen + i * stride, Math.min(hlen + (i + 1) * stride, ct.length));

  it('property: a flipped bit anywhere (header, body, tag) is detected on every path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: ct.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        async (pos, bit) => {
          const bad = Buffer.from(ct);
          bad[pos]! ^= 1 << bit;
          await allPathsFail(bad);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('property: truncation at any length is detected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: ct.length - 1 }), async (len) => {
        await allPathsFail(ct.subarray(0, len));
      }),
      { numRuns: 80 },
    );
    for (let i = 1; i < 6; i++) await allPathsFail(ct.subarray(0, hlen + i * stride)); // chunk boundaries
  });

  it('detects reordered, dropped, duplicated chunks and trailing bytes', async () => {
    const head = ct.subarray(0, hlen);
    const chunks = [0, 1, 2, 3, 4, 5].map(chunkAt);
    const build = (order: number[]) => Buffer.concat([head, ...order.map((i) => chunks[i]!)]);
    await allPathsFail(build([1, 0, 2, 3, 4, 5])); // swapped
    await allPathsFail(build([0, 1, 3, 2, 4, 5]));
    await allPathsFail(build([0, 1, 2, 4, 5])); // dropped middle
    await allPathsFail(build([0, 1, 2, 3, 4])); // dropped final
    await allPathsFail(build([0, 1, 1, 2, 3, 4, 5])); // duplicated
    await allPathsFail(Buffer.concat([ct, Buffer.alloc(16)])); // trailing bytes
    await allPathsFail(Buffer.concat([ct, chunks[5]!])); // final chunk twice
  });

  it('detects chunks spliced from another object under the same key', async () => {
    const other = encryptBuffer(pt, { dek, context: ctx, chunkSize });
    const spliced = Buffer.from(ct);
    other.copy(spliced, hlen + 2 * stride, hlen + 2 * stride, hlen + 3 * stride);
    await allPathsFail(spliced);
    // And a header swapped onto another body.
    await allPathsFail(Buffer.concat([other.subarray(0, hlen), ct.subarray(hlen)]));
  });

  it('detects a wrong encryption context', async () => {
    await allPathsFail(ct, { keys: dek, context: objectContext('svc-1', 'orders/2027.parquet') });
    await allPathsFail(ct, { keys: dek, context: objectContext('svc-2', 'orders/2026.parquet') });
    await allPathsFail(ct, { keys: dek, context: { ...ctx, extra: '' } });
  });

  it('detects a wrong key, and a key with another id or generation', async () => {
    await allPathsFail(ct, { keys: rawDek('k1', 1, Buffer.alloc(32, 1)), context: ctx });
    const err = await decryptBuffer(ct, { keys: rawDek('k2', 1), context: ctx }).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.reason).toBe('unknown-dek');
    await allPathsFail(ct, { keys: rawDek('k1', 2), context: ctx });
  });

  it('a failing stream emits only chunks that verified, never the bad one', async () => {
    for (let bad = 0; bad < 6; bad++) {
      const t = Buffer.from(ct);
      t[hlen + bad * stride + 5]! ^= 0x80;
      const { out, error } = await runStream(
        split(t, [100, 1000]),
        createDecryptStream({ keys: dek, context: ctx }),
      );
      expect(error).toBeInstanceOf(IntegrityError);
      expect(out.length).toBeLessThanOrEqual(bad * chunkSize);
      expectBytes(out, pt.subarray(0, out.length)); // every emitted byte is authentic
    }
  });

  it('integrity errors carry the stable code and become diagnostics', async () => {
    const e = (await decryptBuffer(ct.subarray(0, 40), { keys: dek, context: ctx }).catch(
      (x) => x,
    )) as IntegrityError;
    expect(e.code).toBe('CMEK_INTEGRITY');
    expect(e.toDiagnostic({ address: 'svc/obj' })).toMatchObject({
      severity: 'error',
      code: 'CMEK_INTEGRITY',
      address: 'svc/obj',
    });
  });
});
