// Resource addresses: terraform's full instance address (module paths, number and string keys),
// its quoting of string keys, its ordering, and the legacy parseAddress for old callers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareAddressText,
  compareResourceAddresses,
  formatAddress,
  formatResourceAddress,
  parseAddress,
  parseModuleAddress,
  parseResourceAddress,
  quoteString,
  type ResourceAddress,
} from '../../src/model/address.js';
import { formatReference, parseReference, referenceAddress } from '../../src/model/reference.js';

describe('parseResourceAddress', () => {
  it('parses module paths, data sources and both kinds of keys', () => {
    const r = parseResourceAddress('module.a["x"].module.b[0].cmek_kms_key.k["eu-west-1"]');
    expect(r).toEqual({
      ok: true,
      address: {
        module: [
          { name: 'a', key: 'x' },
          { name: 'b', key: 0 },
        ],
        mode: 'managed',
        type: 'cmek_kms_key',
        name: 'k',
        key: 'eu-west-1',
      },
    });
    expect(parseResourceAddress('data.cmek_kms_key.k')).toMatchObject({
      ok: true,
      address: { mode: 'data', type: 'cmek_kms_key', name: 'k', module: [] },
    });
    expect(parseResourceAddress('cmek_kms_key.k[3]')).toMatchObject({
      ok: true,
      address: { key: 3 },
    });
  });

  it('rejects malformed addresses with a reason', () => {
    for (const [text, why] of [
      ['cmek_kms_key', 'type and a name'],
      ['module.a', 'names a module'],
      ['cmek_kms_key.k[x]', 'quoted string'],
      ['cmek_kms_key.k[-1]', 'whole number'],
      ['cmek_kms_key.k["x', 'not closed'],
      ['cmek_kms_key.k["x"', 'followed by ]'],
      ['cmek_kms_key.k.arn', 'unexpected'],
      ['module..x.y', 'module name'],
      ['', 'resource type'],
    ] as const) {
      const r = parseResourceAddress(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error).toContain(why);
    }
  });

  it('parses module addresses', () => {
    expect(parseModuleAddress('module.a["x"].module.b')).toEqual({
      ok: true,
      path: [{ name: 'a', key: 'x' }, { name: 'b' }],
    });
    expect(parseModuleAddress('cmek_kms_key.k').ok).toBe(false);
  });
});

describe('formatting', () => {
  it("quotes string keys as terraform's toHCLQuotedString does", () => {
    expect(quoteString('a"b\\c\nd\te')).toBe('"a\\"b\\\\c\\nd\\te"');
    expect(quoteString('${x} %{y} $z')).toBe('"$${x} %%{y} $z"');
    expect(quoteString('\u0001')).toBe('"\\u0001"');
    expect(formatAddress('t', 'n', 'k')).toBe('t.n["k"]');
    expect(formatAddress('t', 'n', 2)).toBe('t.n[2]');
    expect(formatAddress('t', 'n')).toBe('t.n');
  });

  it('round-trips any address through format and parse', () => {
    const ident = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,6}$/);
    const key = fc.option(fc.oneof(fc.nat(1000), fc.string({ maxLength: 8 })), {
      nil: undefined,
    });
    const step = fc
      .record({ name: ident, key })
      .map((s) => (s.key === undefined ? { name: s.name } : s));
    const addr = fc
      .record({
        module: fc.array(step, { maxLength: 3 }),
        mode: fc.constantFrom('managed' as const, 'data' as const),
        type: ident.filter((t) => t !== 'module' && t !== 'data'),
        name: ident,
        key,
      })
      .map((a) => {
        const { key: k, ...rest } = a;
        return (k === undefined ? rest : a) as ResourceAddress;
      });
    fc.assert(
      fc.property(addr, (a) => {
        const text = formatResourceAddress(a);
        expect(parseResourceAddress(text)).toEqual({ ok: true, address: a });
      }),
    );
  });
});

describe('ordering', () => {
  it('sorts as terraform state list does', () => {
    const list = [
      'module.b.t.x',
      't.x["b"]',
      'module.a["y"].t.x',
      't.x[10]',
      't.x',
      'data.t.x',
      't.x[2]',
      'module.a["x"].t.x',
      'module.a[0].t.x',
      'a.z',
      't.x["a"]',
    ];
    expect([...list].sort(compareAddressText)).toEqual([
      'data.t.x',
      'a.z',
      't.x',
      't.x[2]',
      't.x[10]',
      't.x["a"]',
      't.x["b"]',
      'module.a[0].t.x',
      'module.a["x"].t.x',
      'module.a["y"].t.x',
      'module.b.t.x',
    ]);
    const a = parseResourceAddress('t.x[1]');
    expect(a.ok && compareResourceAddresses(a.address, a.address)).toBe(0);
  });
});

describe('legacy callers', () => {
  it('parseAddress keeps its root-module, number-key answers', () => {
    expect(parseAddress('cmek_kms_key.k')).toEqual({ type: 'cmek_kms_key', name: 'k' });
    expect(parseAddress('cmek_kms_key.k[2]')).toEqual({
      type: 'cmek_kms_key',
      name: 'k',
      index: 2,
    });
    expect(parseAddress('cmek_kms_key.k["a"]')).toBeUndefined();
    expect(parseAddress('module.m.cmek_kms_key.k')).toBeUndefined();
    expect(parseAddress('nope')).toBeUndefined();
  });

  it('references carry string keys, each.*, and module outputs', () => {
    const r = parseReference('cmek_kms_key.k["eu"].arn');
    expect(r).toEqual({
      kind: 'resource',
      resource: { type: 'cmek_kms_key', name: 'k' },
      index: 'eu',
      attribute: 'arn',
    });
    expect(referenceAddress(r as Extract<typeof r, { kind: 'resource' }>)).toBe(
      'cmek_kms_key.k["eu"]',
    );
    expect(formatReference(r!)).toBe('cmek_kms_key.k["eu"].arn');
    expect(parseReference('each.value')).toEqual({ kind: 'each', attribute: 'value' });
    expect(parseReference('module.keys.arn')).toEqual({
      kind: 'module',
      name: 'keys',
      output: 'arn',
    });
    expect(parseReference('cmek_kms_key.k[each.key]')).toMatchObject({ index: 'each.key' });
    expect(parseReference('cmek_kms_key.k[0]')).toMatchObject({ index: 0 });
  });
});
