import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KeyCache, KeyUnavailableError, SecretKey, sameKmsKey } from '../../src/core/index.js';

const ARN = 'arn:aws:kms:eu-west-1:000000000000:key/1111';
const bytes = (n: number) => Buffer.alloc(32, n);

function counter(value = 1) {
  const c = { loads: 0, load: async () => (c.loads++, await Promise.resolve(), bytes(value)) };
  return c;
}

describe('KeyCache', () => {
  it('single flight: N concurrent misses make one load and share its key', async () => {
    const cache = new KeyCache();
    const c = counter();
    const keys = await Promise.all(Array.from({ length: 50 }, () => cache.get('k', ARN, c.load)));
    expect(c.loads).toBe(1);
    expect(new Set(keys).size).toBe(1);
    expect(cache.stats).toMatchObject({ loads: 1, misses: 50, hits: 0 });
    await cache.get('k', ARN, c.load);
    expect(cache.stats.hits).toBe(1);
  });

  it('a failed load is not cached and every waiter sees the error', async () => {
    const cache = new KeyCache();
    let n = 0;
    const load = async () => {
      n++;
      throw new Error('kms down');
    };
    const all = await Promise.allSettled([cache.get('k', ARN, load), cache.get('k', ARN, load)]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(n).toBe(1);
    await expect(cache.get('k', ARN, load)).rejects.toThrow('kms down');
    expect(n).toBe(2);
  });

  it('reloads after max age', async () => {
    let now = 1000;
    const cache = new KeyCache({ maxAgeMs: 100, now: () => now });
    const c = counter();
    await cache.get('k', ARN, c.load);
    now += 99;
    await cache.get('k', ARN, c.load);
    expect(c.loads).toBe(1);
    now += 1;
    await cache.get('k', ARN, c.load);
    expect(c.loads).toBe(2);
  });

  it('serves an entry at most maxUses times', async () => {
    const cache = new KeyCache({ maxUses: 3 });
    const c = counter();
    for (let i = 0; i < 7; i++) await cache.get('k', ARN, c.load);
    expect(c.loads).toBe(3); // uses 1-3, 4-6, 7
  });

  it('eviction by age/uses drops the key but leaves handed-out keys usable', async () => {
    const cache = new KeyCache({ maxUses: 1 });
    const c = counter(7);
    const first = await cache.get('k', ARN, c.load);
    await cache.get('k', ARN, c.load);
    expect(first.use((b) => b[0])).toBe(7);
  });

  it('purge() destroys every key: later use fails closed', async () => {
    const cache = new KeyCache();
    const k = await cache.get('k', ARN, counter().load);
    expect(cache.purge()).toBe(1);
    expect(k.destroyed).toBe(true);
    expect(() => k.use(() => 0)).toThrow(KeyUnavailableError);
    expect(cache.size).toBe(0);
  });

  it("purgeKmsKey() destroys only that KMS key's entries, by ARN or bare id", async () => {
    const cache = new KeyCache();
    const a = await cache.get('a', ARN, counter().load);
    const b = await cache.get('b', 'arn:aws:kms:eu-west-1:000000000000:key/2222', counter().load);
    expect(cache.purgeKmsKey('1111')).toBe(1);
    expect(a.destroyed).toBe(true);
    expect(b.destroyed).toBe(false);
    expect(cache.size).toBe(1);
  });

  it('a load in flight during a purge does not repopulate the cache', async () => {
    const cache = new KeyCache();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pending = cache.get('k', ARN, async () => (await gate, bytes(1)));
    cache.purgeKmsKey(ARN);
    release();
    await expect(pending).rejects.toBeInstanceOf(KeyUnavailableError);
    expect(cache.size).toBe(0);
    // A purge of another key does not affect it.
    const other = cache.get('k', ARN, async () => bytes(2));
    cache.purgeKmsKey('arn:aws:kms:eu-west-1:000000000000:key/9999');
    expect((await other).destroyed).toBe(false);
  });

  it('copies and zeroes loaded bytes so the caller keeps none', async () => {
    const cache = new KeyCache();
    const src = bytes(9);
    const k = await cache.get('k', ARN, async () => src);
    expect(src.every((x) => x === 0)).toBe(true);
    expect(k.use((b) => b[0])).toBe(9);
  });
});

describe('SecretKey', () => {
  it('never serializes its bytes', () => {
    const k = new SecretKey(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
    expect(JSON.stringify({ k })).toBe('{"k":"[SecretKey]"}');
    expect(`${k}`).toBe('[SecretKey]');
    expect(inspect(k)).toBe('SecretKey <16 bytes>');
    expect(inspect({ k }, { depth: 5 })).not.toMatch(/00112233|0x00/);
  });
});

describe('sameKmsKey', () => {
  it('matches an ARN with its bare id and nothing else', () => {
    expect(sameKmsKey(ARN, '1111')).toBe(true);
    expect(sameKmsKey('1111', ARN)).toBe(true);
    expect(sameKmsKey(ARN, '111')).toBe(false);
  });
});
