// The plugin's cheaper isIPv6 (src/terraform/wire/ipv6.ts) answers exactly as node:net's own:
// for arbitrary text, for text made of address characters, and for real IPv4 and IPv6
// addresses in their text forms; installed, it is what node:net hands grpc-js.
import fc from 'fast-check';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { installFastIsIPv6, withColonShortcut } from '../../../src/terraform/wire/ipv6.js';

const nodeIsIPv6 = net.isIPv6;
const fast = withColonShortcut(nodeIsIPv6);

describe('the colon shortcut for isIPv6', () => {
  it('agrees with node:net on arbitrary text and on address-like text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => fast(s) === nodeIsIPv6(s)),
      { numRuns: 2000 },
    );
    const addressChars = fc.string({
      unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%[]'.split('')),
      maxLength: 45,
    });
    fc.assert(
      fc.property(addressChars, (s) => fast(s) === nodeIsIPv6(s)),
      { numRuns: 5000 },
    );
  });

  it('agrees on real addresses: IPv4, IPv6 (compressed, full, mapped, zoned)', () => {
    fc.assert(fc.property(fc.ipV4(), (s) => !fast(s) && !nodeIsIPv6(s)));
    fc.assert(fc.property(fc.ipV6(), (s) => fast(s) === nodeIsIPv6(s) && fast(s)));
    for (const s of ['::1', '::', 'fe80::1%eth0', '::ffff:127.0.0.1', '2001:db8::8a2e:370:7334'])
      expect(fast(s)).toBe(true);
    for (const s of ['127.0.0.1', 'localhost', '', '1:2', ':::', 'unix:/tmp/x'])
      expect(fast(s)).toBe(nodeIsIPv6(s));
  });

  it('installed, node:net hands out the shortcut (grpc-js reads it on every call)', () => {
    try {
      installFastIsIPv6();
      expect(net.isIPv6).not.toBe(nodeIsIPv6);
      expect(net.isIPv6('127.0.0.1')).toBe(false);
      expect(net.isIPv6('::1')).toBe(true);
    } finally {
      (net as { isIPv6: (s: string) => boolean }).isIPv6 = nodeIsIPv6;
    }
  });
});
