// Shared fixtures for the core tests: an in-memory KMS with one key, a key set over it, and
// stream helpers.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MemoryKms } from '../../src/kms/memory.js';
import { KeyCache, ServiceKeySet, SecretKey, type DataKey } from '../../src/core/index.js';

export async function setup(serviceId = 'svc-test') {
  const kms = new MemoryKms({ region: 'eu-west-1' });
  const key = kms.createKey({ description: 'test CMEK' });
  const cache = new KeyCache();
  const keys = await ServiceKeySet.create({ kms, cache, kmsKeyId: key.arn, serviceId });
  return { kms, key, cache, keys, dek: await keys.primaryDek() };
}

export function rawDek(id = 'k1', generation = 1, bytes?: Uint8Array): DataKey {
  return {
    ref: { id, generation },
    key: new SecretKey(bytes ?? Buffer.alloc(32, 0x42)),
  };
}

/** Splits `buf` into pieces of the given sizes (cycled), to feed streams odd-sized writes. */
export function split(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  let i = 0;
  while (off < buf.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    out.push(buf.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** Runs `pieces` through `transform`; returns what it emitted and the error it failed with. */
export async function runStream(
  pieces: Buffer[],
  transform: NodeJS.ReadWriteStream,
): Promise<{ out: Buffer; error: unknown }> {
  const got: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      got.push(chunk);
      cb();
    },
  });
  let error: unknown;
  try {
    await pipeline(Readable.from(pieces), transform, sink);
  } catch (e) {
    error = e;
  }
  return { out: Buffer.concat(got), error };
}

/** Byte equality with a short message (vitest's deep toEqual is very slow on MiB buffers). */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(e)) return;
  let i = 0;
  while (i < Math.min(a.length, e.length) && a[i] === e[i]) i++;
  throw new Error(`bytes differ: lengths ${a.length} vs ${e.length}, first difference at ${i}`);
}
