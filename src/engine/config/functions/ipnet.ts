// IP network functions: cidrhost, cidrnetmask, cidrsubnet, cidrsubnets, for IPv4 and IPv6, with
// addresses as BigInt and printed as Go's net package prints them (RFC 5952 for IPv6).

import { argError, callError, family, int, str, type Call } from './support.js';

interface Net {
  addr: bigint;
  bits: 32 | 128;
  plen: number;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0')))
      return undefined;
    out = (out << 8n) | BigInt(p);
  }
  return out;
}

function parseV6(s: string): bigint | undefined {
  let text = s;
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const x = parseV4(v4[2]!);
    if (x === undefined) return undefined;
    text = `${v4[1]}${(x >> 16n).toString(16)}:${(x & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if ((halves.length === 1 && head.length !== 8) || (halves.length === 2 && fill < 1))
    return undefined;
  let out = 0n;
  for (const g of [...head, ...Array<string>(fill).fill('0'), ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    out = (out << 16n) | BigInt(`0x${g}`);
  }
  return out;
}

function parseCidr(s: string, c: Call, i: number): Net {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const bad = () => argError(c, i, `invalid CIDR address: ${s}`);
  if (!m) return bad();
  const v4 = parseV4(m[1]!);
  const bits = v4 !== undefined ? 32 : 128;
  const addr = v4 ?? parseV6(m[1]!);
  const plen = Number(m[2]);
  if (addr === undefined || plen > bits) return bad();
  return { addr: addr & netmask(bits, plen), bits, plen };
}

function netmask(bits: number, plen: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - plen)) - 1n);
}

export function formatIp(addr: bigint, bits: number): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((addr >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, k) =>
    Number((addr >> BigInt(112 - 16 * k)) & 0xffffn),
  );
  // An IPv4-mapped address prints as IPv4, as Go does.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return formatIp(addr & 0xffffffffn, 32);
  let best = -1;
  let bestLen = 1;
  for (let k = 0; k < 8;) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && groups[e] === 0) e++;
    if (e - k > bestLen) {
      best = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function formatNet(n: Net): string {
  return `${formatIp(n.addr, n.bits)}/${n.plen}`;
}

function subnet(base: Net, newbits: number, netnum: number, c: Call): Net {
  const plen = base.plen + newbits;
  if (newbits < 0) return argError(c, 1, 'must extend prefix by at least zero bits');
  if (plen > base.bits)
    return callError(
      c,
      `insufficient address space to extend prefix of ${base.plen} by ${newbits}`,
    );
  if (netnum < 0 || BigInt(netnum) >= 1n << BigInt(newbits))
    return callError(
      c,
      `prefix extension of ${newbits} does not accommodate a subnet numbered ${netnum}`,
    );
  return { addr: base.addr | (BigInt(netnum) << BigInt(base.bits - plen)), bits: base.bits, plen };
}

export const IPNET_FUNCTIONS = family('ipnet', {
  cidrhost: [
    'cidrhost(prefix, hostnum)',
    'the address of host number `hostnum` in the network (negative: from the end)',
    ([p, h], c) => {
      const n = parseCidr(str(p!, c, 0), c, 0);
      const host = BigInt(int(h!, c, 1));
      const size = 1n << BigInt(n.bits - n.plen);
      const k = host < 0n ? size + host : host;
      if (k < 0n || k >= size)
        return callError(c, `prefix of ${n.plen} does not accommodate a host numbered ${host}`);
      return formatIp(n.addr + k, n.bits);
    },
  ],
  cidrnetmask: [
    'cidrnetmask(prefix)',
    'the IPv4 netmask of the network (`255.240.0.0`)',
    ([p], c) => {
      const n = parseCidr(str(p!, c, 0), c, 0);
      if (n.bits !== 32) return argError(c, 0, 'IPv6 addresses cannot have a netmask');
      return formatIp(netmask(32, n.plen), 32);
    },
  ],
  cidrsubnet: [
    'cidrsubnet(prefix, newbits, netnum)',
    'subnet number `netnum` of the network extended by `newbits` bits',
    ([p, b, k], c) =>
      formatNet(subnet(parseCidr(str(p!, c, 0), c, 0), int(b!, c, 1), int(k!, c, 2), c)),
  ],
  cidrsubnets: [
    'cidrsubnets(prefix, ...newbits)',
    'consecutive subnets of the network, each extended by its `newbits`',
    (args, c) => {
      const base = parseCidr(str(args[0]!, c, 0), c, 0);
      const lens = args.slice(1).map((a, i) => int(a, c, i + 1));
      if (!lens.length) return [];
      const top = 1n << BigInt(base.bits);
      const first = base.plen + lens[0]!;
      if (first > base.bits)
        return argError(
          c,
          1,
          `would extend prefix to ${first} bits, which is too long for an IPv${base.bits === 32 ? 4 : 6} address`,
        );
      let cur: Net = {
        addr: ((base.addr - 1n + top) % top) & netmask(base.bits, first),
        bits: base.bits,
        plen: first,
      };
      const out: string[] = [];
      for (const [i, nb] of lens.entries()) {
        if (nb < 1) return argError(c, i + 1, 'must extend prefix by at least one bit');
        const len = base.plen + nb;
        if (len > base.bits)
          return argError(
            c,
            i + 1,
            `would extend prefix to ${len} bits, which is too long for an IPv${base.bits === 32 ? 4 : 6} address`,
          );
        const curLast = cur.addr | (~netmask(base.bits, cur.plen) & (top - 1n));
        const start = curLast & netmask(base.bits, len);
        const after = (start | (~netmask(base.bits, len) & (top - 1n))) + 1n;
        const next: Net = {
          addr: after & netmask(base.bits, len) & (top - 1n),
          bits: base.bits,
          plen: len,
        };
        if (after >= top || (next.addr & netmask(base.bits, base.plen)) !== base.addr)
          return argError(
            c,
            i + 1,
            `not enough remaining address space for a subnet with a prefix of ${len} bits after ${formatNet(cur)}`,
          );
        cur = next;
        out.push(formatNet(cur));
      }
      return out;
    },
  ],
});
