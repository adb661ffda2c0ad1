// The cty msgpack/JSON codec of the plugin protocol: byte layouts checked against what go-cty
// writes (unknown, refined unknown with integer keys, dynamic, int64), decoding by schema, and a
// property-based round trip over generated types and values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Sensitive, Unknown, type Value } from '../../../src/model/values.js';
import type { CtyType, TfBlock } from '../../../src/terraform/handler.js';
import {
  blockType,
  CtyError,
  decodeJson,
  decodeMsgpack,
  encodeMsgpack,
  typeFromJson,
  typeToJson,
} from '../../../src/terraform/wire/cty.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('msgpack layout (as go-cty writes it)', () => {
  it('a wholly unknown value is fixext1 type 0', () => {
    expect(hex(encodeMsgpack(new Unknown(), 'string'))).toBe('d40000');
    const v = decodeMsgpack(bytes('d40000'), 'string');
    expect(v).toBeInstanceOf(Unknown);
    expect((v as Unknown).refinement).toBeUndefined();
  });

  it('a refined unknown is extension 12 holding a map with INTEGER keys', () => {
    const enc = encodeMsgpack(new Unknown(undefined, { notNull: true, prefix: 'arn:' }), 'string');
    // 82 = map of 2; 01 c2 = nullness: false (not null); 02 a4 "arn:" = prefix.
    // 9 bytes of body → ext8 (c7 09), type 0x0c.
    expect(hex(enc)).toBe('c7090c' + '82' + '01c2' + '02a4' + Buffer.from('arn:').toString('hex'));
    const back = decodeMsgpack(enc, 'string') as Unknown;
    expect(back.refinement).toEqual({ notNull: true, prefix: 'arn:' });
  });

  it('reads number and length bounds, ignores unknown refinement keys', () => {
    // map{3: [1, true], 4: [10.5, false], 9: "future"} as ext8 (c7 LEN 0c)
    const body =
      '83' +
      '03' +
      '92' +
      '01' +
      'c3' +
      '04' +
      '92' +
      'cb4025000000000000' +
      'c2' +
      '09a6' +
      Buffer.from('future').toString('hex');
    const len = (body.length / 2).toString(16).padStart(2, '0');
    const n = decodeMsgpack(bytes(`c7${len}0c${body}`), 'number') as Unknown;
    expect(n.refinement).toEqual({
      numberLower: { value: 1, inclusive: true },
      numberUpper: { value: 10.5, inclusive: false },
    });
    const l = decodeMsgpack(bytes('c7050c' + '82' + '0501' + '0605'), {
      list: 'string',
    }) as Unknown;
    expect(l.refinement).toEqual({ lengthLower: 1, lengthUpper: 5 });
    expect(hex(encodeMsgpack(l, { list: 'string' }))).toBe('c7050c8205010605');
  });

  it('rejects refinements that do not fit the type, and string map keys', () => {
    expect(() => decodeMsgpack(bytes('d60c' + '81' + '02a161' + ''), 'number')).toThrow(CtyError);
    // a string key where an integer is required
    expect(() => decodeMsgpack(bytes('d60c81a131c2'), 'string')).toThrow(/non-integer key/);
  });

  it('drops refinements a type cannot carry (dynamic) and writes plain unknown', () => {
    expect(hex(encodeMsgpack(new Unknown(undefined, { prefix: 'x' }), 'dynamic'))).toBe('d40000');
    expect(hex(encodeMsgpack(new Unknown(undefined, { prefix: 'x' }), 'number'))).toBe('d40000');
  });

  it('keeps int64 and huge numbers exact', () => {
    // 2^53 + 1 as uint64 (cf) and int64 (d3)
    expect(decodeMsgpack(bytes('cf0020000000000001'), 'number')).toBe('9007199254740993');
    expect(decodeMsgpack(bytes('d3ffdfffffffffffff'), 'number')).toBe('-9007199254740993');
    expect(decodeMsgpack(bytes('d3ffe0000000000001'), 'number')).toBe(-9007199254740991);
    expect(hex(encodeMsgpack('9007199254740993', 'number'))).toBe('d30020000000000001');
    // beyond int64: go-cty's decimal string form, written back as a string
    const huge = '123456789012345678901234567890';
    const enc = encodeMsgpack(huge, 'number');
    expect(decodeMsgpack(enc, 'number')).toBe(huge);
    expect(decodeMsgpack(encodeMsgpack(1.5, 'number'), 'number')).toBe(1.5);
    expect(hex(encodeMsgpack(-1, 'number'))).toBe('ff');
    expect(hex(encodeMsgpack(300, 'number'))).toBe('d1012c');
  });

  it('a dynamic value is [type JSON as bytes, value]', () => {
    const enc = encodeMsgpack({ n: 1, l: ['x', true] }, 'dynamic');
    const v = decodeMsgpack(enc, 'dynamic');
    expect(v).toEqual({ n: 1, l: ['x', true] });
    expect(enc[0]).toBe(0x92); // array of 2
    expect(enc[1]).toBe(0xc4); // bin 8
  });

  it('map keys named __proto__ are plain keys', () => {
    const v = decodeMsgpack(
      encodeMsgpack(JSON.parse('{"__proto__":"c","a":"b"}'), { map: 'string' }),
      { map: 'string' },
    ) as Record<string, Value>;
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });
});

const BLOCK: TfBlock = {
  attributes: [
    { name: 'name', type: 'string', required: true },
    { name: 'tags', type: { map: 'string' }, optional: true },
  ],
  blockTypes: [
    { typeName: 'rule', nesting: 'list', block: { attributes: [{ name: 'a', type: 'string' }] } },
    { typeName: 'one', nesting: 'single', block: { attributes: [{ name: 'b', type: 'bool' }] } },
    { typeName: 'm', nesting: 'map', block: { attributes: [{ name: 'c', type: 'number' }] } },
  ],
};

describe('objects by schema', () => {
  const type = blockType(BLOCK);

  it('emits every attribute (null where unset) and empty collections for absent blocks', () => {
    const v = decodeMsgpack(encodeMsgpack({ name: 'x' }, type, BLOCK), type);
    expect(v).toEqual({ name: 'x', tags: null, rule: [], one: null, m: {} });
  });

  it('drops sensitive marks (the schema carries sensitivity)', () => {
    const v = decodeMsgpack(encodeMsgpack({ name: new Sensitive('s') }, type, BLOCK), type);
    expect((v as Record<string, Value>).name).toBe('s');
  });

  it('reports a wrong value with its path', () => {
    try {
      encodeMsgpack({ name: 'x', rule: [{ a: 5 }, { a: [] }] }, type, BLOCK);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CtyError);
      expect((e as CtyError).path).toEqual(['rule', 1, 'a']);
    }
    expect(() => decodeMsgpack(bytes('81a178c0'), type)).toThrow(/unsupported attribute "x"/);
    expect(() => decodeMsgpack(bytes('92'), type)).toThrow(/truncated/);
    expect(() => decodeMsgpack(bytes('c0c0'), type)).toThrow(/trailing/);
    expect(() => decodeMsgpack(bytes('c1'), type)).toThrow(/invalid msgpack/);
  });

  it('decodes cty JSON (raw state, JSON DynamicValues)', () => {
    const v = decodeJson(
      '{"name":"x","tags":{"k":"v"},"rule":[{"a":"y"}],"one":{"b":true},"m":{"k":{"c":12345678901234567890}}}',
      type,
    );
    expect(v).toMatchObject({ name: 'x', tags: { k: 'v' }, rule: [{ a: 'y' }], one: { b: true } });
    expect(decodeJson('{"value":[1,"a"],"type":["tuple",["number","string"]]}', 'dynamic')).toEqual(
      [1, 'a'],
    );
    expect(() => decodeJson('{', type)).toThrow(CtyError);
  });

  it('type JSON round-trips, optional attributes included', () => {
    const t: CtyType = {
      object: { a: { list: 'string' }, b: { tuple: ['bool', 'dynamic'] } },
      optional: ['a'],
    };
    expect(typeToJson(t)).toEqual([
      'object',
      { a: ['list', 'string'], b: ['tuple', ['bool', 'dynamic']] },
      ['a'],
    ]);
    expect(typeFromJson(typeToJson(t))).toEqual(t);
    expect(() => typeFromJson(['nope'])).toThrow(CtyError);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: encode then decode gives the value back, for any type and any value of it
// (unknowns with refinements that fit their type included).

const leafType = fc.constantFrom<CtyType>('string', 'number', 'bool');
const typeArb: fc.Arbitrary<CtyType> = fc.letrec<{ t: CtyType }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafType,
    fc.constant<CtyType>('dynamic'),
    tie('t').map((t) => ({ list: t })),
    tie('t').map((t) => ({ set: t })),
    tie('t').map((t) => ({ map: t })),
    fc
      .dictionary(fc.string({ maxLength: 6 }), tie('t'), { maxKeys: 4 })
      .map((object) => ({ object })),
    fc.array(tie('t'), { maxLength: 3 }).map((tuple) => ({ tuple })),
  ),
})).t;

const numberArb = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  fc
    .bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
    .map((b) => (Number.isSafeInteger(Number(b)) ? Number(b) : b.toString())),
);

function unknownOf(t: CtyType): fc.Arbitrary<Value> {
  if (t === 'string')
    return fc
      .record(
        { notNull: fc.constant(true), prefix: fc.string({ minLength: 1, maxLength: 8 }) },
        { requiredKeys: [] },
      )
      .map((r) => new Unknown(undefined, Object.keys(r).length ? r : undefined));
  if (t === 'number')
    return fc
      .record(
        {
          notNull: fc.constant(true),
          numberLower: fc.record({ value: fc.integer(), inclusive: fc.boolean() }),
        },
        { requiredKeys: [] },
      )
      .map((r) => new Unknown(undefined, Object.keys(r).length ? r : undefined));
  if (typeof t === 'object' && ('list' in t || 'set' in t || 'map' in t))
    return fc
      .record(
        {
          lengthLower: fc.integer({ min: 1, max: 5 }),
          lengthUpper: fc.integer({ min: 5, max: 9 }),
        },
        { requiredKeys: [] },
      )
      .map((r) => new Unknown(undefined, Object.keys(r).length ? r : undefined));
  return fc.constant(new Unknown());
}

function valueOf(t: CtyType, depth = 0): fc.Arbitrary<Value> {
  const known = ((): fc.Arbitrary<Value> => {
    if (t === 'string') return fc.string();
    if (t === 'number') return numberArb;
    if (t === 'bool') return fc.boolean();
    if (t === 'dynamic')
      return depth > 2
        ? fc.oneof(fc.string(), fc.boolean(), fc.integer())
        : leafType
            .chain((l) => valueOf(l, depth + 1))
            .map((v) => (v instanceof Unknown ? new Unknown() : v)); // dynamic unknowns carry no refinement
    if ('list' in t) return fc.array(valueOf(t.list, depth + 1), { maxLength: 3 });
    if ('set' in t) return fc.array(valueOf(t.set, depth + 1), { maxLength: 3 });
    if ('map' in t)
      return fc.dictionary(fc.string({ maxLength: 5 }), valueOf(t.map, depth + 1), { maxKeys: 3 });
    if ('tuple' in t)
      return fc.tuple(...t.tuple.map((e) => valueOf(e, depth + 1))) as fc.Arbitrary<Value>;
    const entries = Object.entries(t.object);
    return fc.tuple(...entries.map(([, e]) => valueOf(e, depth + 1))).map((vs) => {
      const o: Record<string, Value> = {};
      entries.forEach(([k], i) =>
        Object.defineProperty(o, k, {
          value: vs[i],
          enumerable: true,
          writable: true,
          configurable: true,
        }),
      );
      return o;
    });
  })();
  return fc.oneof(
    { weight: 6, arbitrary: known },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: unknownOf(t) },
  );
}

describe('round trip (fast-check)', () => {
  it('decode(encode(v, T), T) equals v', () => {
    fc.assert(
      fc.property(
        typeArb.chain((t) => fc.tuple(fc.constant(t), valueOf(t))),
        ([t, v]) => {
          const back = decodeMsgpack(encodeMsgpack(v, t), t);
          expect(normalize(back)).toEqual(normalize(v));
        },
      ),
      { numRuns: 400 },
    );
  });
});

/** Unknowns compared by refinement (facts are not on the wire). */
function normalize(v: Value): unknown {
  if (v instanceof Unknown) return { unknown: v.refinement ?? null };
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x as Value)]));
  return v;
}
