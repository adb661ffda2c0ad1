import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IntegrityError,
  ciphertextLength,
  decodeHeader,
  encodeContext,
  encodeHeader,
  plaintextLength,
  type ObjectHeader,
} from '../../src/core/index.js';

const header = (over: Partial<ObjectHeader> = {}): ObjectHeader => ({
  version: 1,
  suite: 1,
  objectId: Buffer.alloc(16, 0xab),
  chunkSize: 65536,
  dek: { id: 'dek-a', generation: 7 },
  ...over,
});

describe('object header', () => {
  it('has the documented byte layout (docs/core.md)', () => {
    const b = encodeHeader(header());
    expect(b.subarray(0, 4).toString('ascii')).toBe('CMEK');
    expect(b[4]).toBe(1); // format version
    expect(b[5]).toBe(1); // suite
    expect(b.readUInt16BE(6)).toBe(b.length);
    expect(b.length).toBe(33 + 5);
    expect(b.subarray(8, 24)).toEqual(Buffer.alloc(16, 0xab));
    expect(b.readUInt32BE(24)).toBe(65536);
    expect(b.readUInt32BE(28)).toBe(7);
    expect(b[32]).toBe(5);
    expect(b.subarray(33).toString('utf8')).toBe('dek-a');
  });

  it('round-trips any valid header', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 1, max: 16 * 1024 * 1024 }),
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (id, chunkSize, dekId, generation) => {
          const h = header({
            objectId: Buffer.from(id),
            chunkSize,
            dek: { id: dekId, generation },
          });
          const bytes = encodeHeader(h);
          const { header: back, length } = decodeHeader(Buffer.concat([bytes, Buffer.alloc(9)]));
          expect(length).toBe(bytes.length);
          expect(back).toEqual(h);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects malformed headers with IntegrityError', () => {
    const good = encodeHeader(header());
    const bad = (mut: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      mut(b);
      return () => decodeHeader(b);
    };
    expect(bad((b) => (b[0] = 0x58))).toThrow(IntegrityError); // magic
    expect(bad((b) => (b[4] = 2))).toThrow(/version 2/);
    expect(bad((b) => (b[5] = 9))).toThrow(/suite 9/);
    expect(bad((b) => b.writeUInt16BE(b.length + 1, 6))).toThrow(IntegrityError);
    expect(bad((b) => b.writeUInt32BE(0, 24))).toThrow(/chunk size/);
    expect(bad((b) => (b[32] = 4))).toThrow(/length/);
    expect(() => decodeHeader(good.subarray(0, 20))).toThrow(IntegrityError);
    expect(() => decodeHeader(Buffer.from('CME'))).toThrow(IntegrityError);
  });

  it('refuses to encode out-of-range fields', () => {
    expect(() => encodeHeader(header({ chunkSize: 0 }))).toThrow(RangeError);
    expect(() => encodeHeader(header({ dek: { id: '', generation: 1 } }))).toThrow(RangeError);
    expect(() => encodeHeader(header({ objectId: Buffer.alloc(3) }))).toThrow(RangeError);
  });
});

describe('framing arithmetic', () => {
  it('plaintextLength inverts ciphertextLength', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 34, max: 288 }),
        (len, chunk, hlen) => {
          expect(plaintextLength(ciphertextLength(len, chunk, hlen), chunk, hlen)).toBe(len);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('flags sizes no object can have', () => {
    expect(() => plaintextLength(40 + 15, 64, 40)).toThrow(IntegrityError); // no full tag
    expect(() => plaintextLength(40 + 80 + 16, 64, 40)).toThrow(IntegrityError); // empty final after data
    expect(() => plaintextLength(40 + 80 + 5, 64, 40)).toThrow(IntegrityError); // ends inside tag
  });
});

describe('encryption context encoding', () => {
  it('is independent of key order and unambiguous', () => {
    expect(encodeContext({ a: '1', b: '2' })).toEqual(encodeContext({ b: '2', a: '1' }));
    expect(encodeContext({ ab: 'c' })).not.toEqual(encodeContext({ a: 'bc' }));
    expect(encodeContext({})).not.toEqual(encodeContext({ '': '' }));
  });
});
