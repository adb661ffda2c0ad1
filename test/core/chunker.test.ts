// ObjectSealer / ObjectOpener: the push-style path the object store's put/get loops drive. They
// must produce and accept exactly the bytes of encryptBuffer/decryptBuffer, for any split of the
// input, and keep the integrity rules (nothing unauthenticated, truncation and tampering fail).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  IntegrityError,
  ObjectOpener,
  decodeHeader,
  ObjectSealer,
  decryptBuffer,
  encryptBuffer,
  objectContext,
} from '../../src/core/index.js';
import { rawDek, setup, split } from './helpers.js';

const dek = rawDek();
const ctx = objectContext('svc-1', 'chunker');
const C = 64 * 1024;
const objectId = Buffer.alloc(16, 7);

function seal(pieces: Buffer[], chunkSize = C): Buffer {
  const s = new ObjectSealer({ dek, context: ctx, chunkSize, objectId });
  const out: Buffer[] = [];
  for (const p of pieces) out.push(...s.update(p));
  out.push(...s.final());
  return Buffer.concat(out);
}

async function open(pieces: Buffer[]): Promise<Buffer> {
  const o = new ObjectOpener({ keys: dek, context: ctx });
  const out: Buffer[] = [];
  for (const p of pieces) out.push(...(await o.update(p)));
  out.push(...(await o.final()));
  return Buffer.concat(out);
}

describe('ObjectSealer / ObjectOpener', () => {
  it('write exactly the bytes of encryptBuffer, at chunk edges', async () => {
    for (const n of [0, 1, C - 1, C, C + 1, 2 * C, 5 * C + 3]) {
      const pt = randomBytes(n);
      const expected = encryptBuffer(pt, { dek, context: ctx, objectId });
      const whole = seal([pt]);
      expect(whole.equals(expected)).toBe(true);
      // Pieces of exactly one chunk: each is held (as a view) until the next shows it is not last.
      expect(seal(split(pt, [C])).equals(expected)).toBe(true);
      expect((await open([expected])).equals(pt)).toBe(true);
      expect((await open(split(expected, [C + 16]))).equals(pt)).toBe(true);
    }
  });

  it('property: any split of input and stored bytes round-trips, same bytes as encryptBuffer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.integer({ min: 0, max: 2500 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 2500 }), { minLength: 1, maxLength: 6 }),
        async (n, chunkSize, inSplits, outSplits) => {
          const pt = randomBytes(n);
          const expected = encryptBuffer(pt, { dek, context: ctx, chunkSize, objectId });
          // Zero-length pieces are legal input to update().
          const pieces = split(
            pt,
            inSplits.map((x) => Math.max(1, x)),
          );
          if (inSplits[0] === 0) pieces.unshift(Buffer.alloc(0));
          expect(seal(pieces, chunkSize).equals(expected)).toBe(true);
          expect((await open(split(expected, outSplits))).equals(pt)).toBe(true);
          expect((await decryptBuffer(expected, { keys: dek, context: ctx })).equals(pt)).toBe(
            true,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never returns a chunk that did not verify; truncation and tampering fail', async () => {
    const pt = randomBytes(3 * C + 5);
    const ct = encryptBuffer(pt, { dek, context: ctx });
    // Tamper in chunk 1: chunk 0 (authentic) may come out, chunk 1 never does.
    const bad = Buffer.from(ct);
    const at = ct.length - (C + 16) * 2;
    bad[at] = bad[at]! ^ 1;
    const o = new ObjectOpener({ keys: dek, context: ctx });
    await expect(o.update(bad)).rejects.toBeInstanceOf(IntegrityError);
    await expect(o.final()).rejects.toBeInstanceOf(IntegrityError); // unusable after a failure
    // Truncated at a chunk boundary: the last chunk present was not sealed as final.
    const header = ct.length - 3 * (C + 16) - (5 + 16);
    const cut = ct.subarray(0, header + 2 * (C + 16));
    await expect(open([cut])).rejects.toThrow(/chunk 1 \(final\) failed/);
    await expect(open([ct.subarray(0, 10)])).rejects.toBeInstanceOf(IntegrityError);
    await expect(open([])).rejects.toBeInstanceOf(IntegrityError);
    // Wrong context: every chunk fails.
    const other = new ObjectOpener({ keys: dek, context: objectContext('svc-1', 'other') });
    await expect(
      (async () => {
        await other.update(ct);
        await other.final();
      })(),
    ).rejects.toBeInstanceOf(IntegrityError);
  });

  it('detach + moreFollows: the caller may overwrite its buffer once update() resolves', async () => {
    for (const n of [0, 1, C, 3 * C + 5, 4 * C]) {
      const pt = randomBytes(n);
      const ct = encryptBuffer(pt, { dek, context: ctx });
      for (const batch of [1000, C + 16, 3 * (C + 16), 100_000]) {
        const o = new ObjectOpener({ keys: dek, context: ctx, detach: true });
        const reused = Buffer.alloc(batch);
        const out: Buffer[] = [];
        for (let off = 0; off < ct.length; off += batch) {
          const len = Math.min(batch, ct.length - off);
          ct.copy(reused, 0, off, off + len);
          out.push(...(await o.update(reused.subarray(0, len), off + len < ct.length)));
          reused.fill(0xee); // what a recycled read buffer looks like before the next read
        }
        out.push(...(await o.final()));
        expect(Buffer.concat(out).equals(pt)).toBe(true);
      }
    }
    // moreFollows that turns out false: the last chunk was opened as non-final, so the end fails.
    const ct = encryptBuffer(randomBytes(2 * C), { dek, context: ctx });
    const o = new ObjectOpener({ keys: dek, context: ctx });
    await expect(
      (async () => {
        await o.update(ct, true);
        await o.final();
      })(),
    ).rejects.toBeInstanceOf(IntegrityError);
  });

  it('layout tells where chunks start once the header is read', async () => {
    const ct = encryptBuffer(randomBytes(3 * C), { dek, context: ctx });
    const o = new ObjectOpener({ keys: dek, context: ctx });
    expect(o.layout).toBeUndefined();
    await o.update(ct.subarray(0, 10), true);
    expect(o.layout).toBeUndefined(); // header not complete yet
    await o.update(ct.subarray(10, 200), true);
    const { start, stride } = o.layout!;
    expect(stride).toBe(C + 16);
    expect(start).toBe(ct.length - 3 * stride);
    // A key set's DEK ids (15 digits) make a 48-byte header: chunks start 8-byte aligned.
    const { keys } = await setup();
    const ref = (await keys.primaryDek()).ref;
    expect(ref.id).toHaveLength(15);
    const aligned = encryptBuffer(Buffer.alloc(10), { dek: await keys.primaryDek(), context: ctx });
    expect(decodeHeader(aligned).length).toBe(48);
  });

  it('a sealer refuses input after final()', () => {
    const s = new ObjectSealer({ dek, context: ctx });
    s.final();
    expect(() => s.update(Buffer.from('x'))).toThrow(/after final/);
  });
});
