// The cty value codec of the Terraform plugin protocol: a DynamicValue's msgpack (what
// terraform sends) or JSON bytes, decoded by the schema's type into plain `Value`s, and values
// encoded back to msgpack. Unknown values are msgpack extension 0; *refined* unknowns are
// extension 12 whose body is a map with INTEGER keys (1 nullness: false = definitely not null,
// 2 string prefix, 3/4 number lower/upper bound as [number, inclusive], 5/6 collection length
// bounds): terraform rejects a refinement map with string keys, so the encoder writes its own
// msgpack (and reads it: see Reader). A value of type `dynamic` travels as
// [type JSON bytes, value]. Numbers are JavaScript doubles: int64 values beyond 2^53 and the
// decimal strings go-cty writes for numbers that fit neither int64 nor float64 are read to the
// nearest double (docs/terraform-protocol.md).

import { Sensitive, Unknown, type Refinement, type Value } from '../../model/values.js';
import type { CtyType, TfBlock, TfNestedBlock } from '../handler.js';

/** A DynamicValue that cannot be read as the schema says (bad bytes, wrong type). */
export class CtyError extends Error {
  readonly path: ReadonlyArray<string | number>;
  constructor(message: string, path: ReadonlyArray<string | number> = []) {
    super(message);
    this.path = path;
  }
}

// ---------------------------------------------------------------------------------------------
// Types

/** A cty type's JSON form, as schemas and dynamic values carry it. */
export function typeToJson(t: CtyType): unknown {
  if (typeof t === 'string') return t;
  if ('list' in t) return ['list', typeToJson(t.list)];
  if ('set' in t) return ['set', typeToJson(t.set)];
  if ('map' in t) return ['map', typeToJson(t.map)];
  if ('tuple' in t) return ['tuple', t.tuple.map(typeToJson)];
  const attrs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t.object)) defineKey(attrs, k, typeToJson(v));
  return t.optional?.length ? ['object', attrs, [...t.optional]] : ['object', attrs];
}

/** The cty type a JSON type form names. */
export function typeFromJson(j: unknown): CtyType {
  if (j === 'string' || j === 'number' || j === 'bool' || j === 'dynamic') return j;
  if (Array.isArray(j) && typeof j[0] === 'string') {
    const [kind, arg, opt] = j as [string, unknown, unknown];
    if (kind === 'list') return { list: typeFromJson(arg) };
    if (kind === 'set') return { set: typeFromJson(arg) };
    if (kind === 'map') return { map: typeFromJson(arg) };
    if (kind === 'tuple' && Array.isArray(arg)) return { tuple: arg.map(typeFromJson) };
    if (kind === 'object' && arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
      const object: Record<string, CtyType> = {};
      for (const [k, v] of Object.entries(arg)) object[k] = typeFromJson(v);
      return Array.isArray(opt) ? { object, optional: opt.map(String) } : { object };
    }
  }
  throw new CtyError(`not a cty type: ${JSON.stringify(j)}`);
}

/** The object type a block schema implies: its attributes and its nested blocks (a list, set
 * or map of objects, or one object, by the block's nesting mode). */
export function blockType(block: TfBlock): CtyType {
  const object: Record<string, CtyType> = {};
  for (const a of block.attributes) object[a.name] = a.type;
  for (const b of block.blockTypes ?? []) object[b.typeName] = nestedType(b);
  return { object };
}

function nestedType(b: TfNestedBlock): CtyType {
  const inner = blockType(b.block);
  switch (b.nesting) {
    case 'single':
    case 'group':
      return inner;
    case 'list':
      return { list: inner };
    case 'set':
      return { set: inner };
    case 'map':
      return { map: inner };
  }
}

/** The type of a nested block's collection, by block name (for defaults on encode). */
function nestedKinds(block: TfBlock): Map<string, TfNestedBlock['nesting']> {
  return new Map((block.blockTypes ?? []).map((b) => [b.typeName, b.nesting]));
}

/** The type a plain value implies (for values of attributes typed `dynamic`). */
export function impliedType(v: Value): CtyType {
  if (v === null || v instanceof Unknown) return 'dynamic';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return { tuple: v.map(impliedType) };
  if (v instanceof Sensitive) return impliedType(v.value);
  const object: Record<string, CtyType> = {};
  for (const [k, x] of Object.entries(v)) object[k] = impliedType(x);
  return { object };
}

// ---------------------------------------------------------------------------------------------
// msgpack decoding

/** An unknown as read off the wire, before its type is known. */
class RawUnknown {
  constructor(readonly body: unknown) {}
}

/** A msgpack reader: plain JS values, maps as objects (keys as strings, `__proto__` an own
 * key like any other), int64 beyond 2^53 as bigint, binary as Uint8Array, extension 0 and 12
 * as RawUnknown. Written here rather than taken from a library because cty needs exactly this
 * (a library refuses `__proto__` map keys and cannot hand back the extension layout). */
class Reader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.b.length) throw new CtyError('truncated msgpack value');
    this.pos += n;
    return at;
  }
  private u8(): number {
    return this.b[this.need(1)]!;
  }
  private str(n: number): string {
    const at = this.need(n);
    return Buffer.from(this.b.buffer, this.b.byteOffset + at, n).toString('utf8');
  }
  private bin(n: number): Uint8Array {
    const at = this.need(n);
    return this.b.slice(at, at + n);
  }
  private array(n: number, depth: number): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
    return out;
  }
  private map(n: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1);
      if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'bigint')
        throw new CtyError('a msgpack map key is neither a string nor an integer');
      defineKey(out, String(k), this.value(depth + 1));
    }
    return out;
  }
  private ext(n: number, depth: number): RawUnknown {
    const type = this.u8();
    const body = this.bin(n);
    if (n <= 1) return new RawUnknown(undefined);
    if (type !== 12) throw new CtyError(`unsupported msgpack extension type ${type}`);
    if (n > 1024) throw new CtyError('oversize unknown value refinement');
    return new RawUnknown(new Reader(body).refinements(depth + 1));
  }
  /** The body of extension 12: a map whose keys must be integers (as go-cty requires). */
  refinements(depth: number): Record<string, unknown> {
    const c = this.u8();
    const n =
      c >= 0x80 && c <= 0x8f
        ? c & 0x0f
        : c === 0xde
          ? this.view.getUint16(this.need(2))
          : c === 0xdf
            ? this.view.getUint32(this.need(4))
            : -1;
    if (n < 0) throw new CtyError('unknown value refinement is not a map');
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1);
      if (typeof k !== 'number' || !Number.isInteger(k))
        throw new CtyError('unknown value refinement has a non-integer key');
      out[String(k)] = this.value(depth + 1);
    }
    return out;
  }
  private int64(signed: boolean): number | bigint {
    const at = this.need(8);
    const big = signed ? this.view.getBigInt64(at) : this.view.getBigUint64(at);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }
  value(depth = 0): unknown {
    if (depth > 512) throw new CtyError('msgpack value nested too deeply');
    const c = this.u8();
    if (c <= 0x7f) return c;
    if (c >= 0xe0) return c - 0x100;
    if (c >= 0x80 && c <= 0x8f) return this.map(c & 0x0f, depth);
    if (c >= 0x90 && c <= 0x9f) return this.array(c & 0x0f, depth);
    if (c >= 0xa0 && c <= 0xbf) return this.str(c & 0x1f);
    const v = this.view;
    switch (c) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(this.u8());
      case 0xc5:
        return this.bin(v.getUint16(this.need(2)));
      case 0xc6:
        return this.bin(v.getUint32(this.need(4)));
      case 0xc7:
        return this.ext(this.u8(), depth);
      case 0xc8:
        return this.ext(v.getUint16(this.need(2)), depth);
      case 0xc9:
        return this.ext(v.getUint32(this.need(4)), depth);
      case 0xca:
        return v.getFloat32(this.need(4));
      case 0xcb:
        return v.getFloat64(this.need(8));
      case 0xcc:
        return this.u8();
      case 0xcd:
        return v.getUint16(this.need(2));
      case 0xce:
        return v.getUint32(this.need(4));
      case 0xcf:
        return this.int64(false);
      case 0xd0:
        return v.getInt8(this.need(1));
      case 0xd1:
        return v.getInt16(this.need(2));
      case 0xd2:
        return v.getInt32(this.need(4));
      case 0xd3:
        return this.int64(true);
      case 0xd4:
        return this.ext(1, depth);
      case 0xd5:
        return this.ext(2, depth);
      case 0xd6:
        return this.ext(4, depth);
      case 0xd7:
        return this.ext(8, depth);
      case 0xd8:
        return this.ext(16, depth);
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(v.getUint16(this.need(2)));
      case 0xdb:
        return this.str(v.getUint32(this.need(4)));
      case 0xdc:
        return this.array(v.getUint16(this.need(2)), depth);
      case 0xdd:
        return this.array(v.getUint32(this.need(4)), depth);
      case 0xde:
        return this.map(v.getUint16(this.need(2)), depth);
      case 0xdf:
        return this.map(v.getUint32(this.need(4)), depth);
      default:
        throw new CtyError(`invalid msgpack byte 0x${c.toString(16)}`);
    }
  }
  end(): void {
    if (this.pos !== this.b.length) throw new CtyError('trailing bytes after the msgpack value');
  }
}

/** Decode a msgpack DynamicValue by its type. */
export function decodeMsgpack(bytes: Uint8Array, type: CtyType): Value {
  const r = new Reader(bytes);
  const raw = r.value();
  r.end();
  return fromRaw(raw, type, [], true);
}

/** Decode a JSON DynamicValue (cty JSON: no unknowns; dynamic values as {value, type}). */
export function decodeJson(bytes: Uint8Array | string, type: CtyType): Value {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new CtyError(`invalid JSON value: ${(e as Error).message}`);
  }
  return fromRaw(raw, type, [], false);
}

type Path = Array<string | number>;

function fromRaw(raw: unknown, type: CtyType, path: Path, msgpack: boolean): Value {
  if (raw instanceof RawUnknown)
    return new Unknown(undefined, refinementFrom(raw.body, type, path));
  if (raw === null || raw === undefined) return null;
  if (type === 'dynamic') {
    if (msgpack) {
      if (!Array.isArray(raw) || raw.length !== 2)
        throw new CtyError('a dynamic value must be [type, value]', path);
      const tj = raw[0] instanceof Uint8Array ? Buffer.from(raw[0]).toString('utf8') : raw[0];
      if (typeof tj !== 'string') throw new CtyError('a dynamic value has no type', path);
      return fromRaw(raw[1], typeFromJson(parseJson(tj, path)), path, msgpack);
    }
    const o = raw as { value?: unknown; type?: unknown };
    if (typeof raw !== 'object' || !('type' in o))
      throw new CtyError('a dynamic value must be {"value", "type"}', path);
    return fromRaw(o.value, typeFromJson(o.type), path, msgpack);
  }
  if (type === 'string') {
    if (typeof raw === 'string') return raw;
    // cty JSON allows numbers and bools where a string is expected (they convert).
    if (!msgpack && (typeof raw === 'number' || typeof raw === 'boolean')) return String(raw);
    throw mismatch('a string', raw, path);
  }
  if (type === 'number') return exactNumber(raw, path);
  if (type === 'bool') {
    if (typeof raw === 'boolean') return raw;
    if (!msgpack && (raw === 'true' || raw === 'false')) return raw === 'true';
    throw mismatch('a bool', raw, path);
  }
  if ('list' in type || 'set' in type) {
    if (!Array.isArray(raw)) throw mismatch('a list', raw, path);
    const el = 'list' in type ? type.list : type.set;
    return raw.map((x, i) => fromRaw(x, el, [...path, i], msgpack));
  }
  if ('tuple' in type) {
    if (!Array.isArray(raw) || raw.length !== type.tuple.length)
      throw mismatch(`a tuple of ${type.tuple.length}`, raw, path);
    return raw.map((x, i) => fromRaw(x, type.tuple[i]!, [...path, i], msgpack));
  }
  if (!isPlainMap(raw)) throw mismatch('an object', raw, path);
  const out: Record<string, Value> = {};
  if ('map' in type) {
    for (const [k, x] of Object.entries(raw))
      defineKey(out, k, fromRaw(x, type.map, [...path, k], msgpack));
    return out;
  }
  for (const [k, t] of Object.entries(type.object)) {
    const has = Object.prototype.hasOwnProperty.call(raw, k);
    defineKey(out, k, has ? fromRaw(raw[k], t, [...path, k], msgpack) : null);
  }
  for (const k of Object.keys(raw))
    if (!Object.prototype.hasOwnProperty.call(type.object, k))
      throw new CtyError(`unsupported attribute "${k}"`, [...path, k]);
  return out;
}

function isPlainMap(raw: unknown): raw is Record<string, unknown> {
  return (
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !(raw instanceof Uint8Array)
  );
}

function parseJson(text: string, path: Path): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CtyError('a dynamic value has an unreadable type', path);
  }
}

/** A number as a value: a double where the double is exact, else the exact decimal string (an
 * int64 beyond 2^53, or go-cty's decimal form of a number neither int64 nor float64 holds), so
 * the value terraform sent goes back unchanged. */
function exactNumber(raw: unknown, path: Path): number | string {
  if (typeof raw === 'bigint') return raw.toString();
  if (typeof raw === 'string') {
    const n = toNumber(raw, path);
    return String(n) === raw.trim() ? n : raw.trim();
  }
  return toNumber(raw, path);
}

function toNumber(raw: unknown, path: Path): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  // go-cty writes numbers that fit neither int64 nor float64 as decimal strings.
  if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw)))
    return Number(raw);
  throw mismatch('a number', raw, path);
}

function mismatch(what: string, raw: unknown, path: Path): CtyError {
  const got = Array.isArray(raw) ? 'a list' : raw instanceof Uint8Array ? 'bytes' : typeof raw;
  return new CtyError(`expected ${what}, got ${got}`, path);
}

function refinementFrom(body: unknown, type: CtyType, path: Path): Refinement | undefined {
  if (body === undefined || type === 'dynamic') return undefined;
  if (!isPlainMap(body)) throw new CtyError('unknown value refinement is not a map', path);
  const r: Refinement = {};
  for (const [key, v] of Object.entries(body)) {
    switch (key) {
      case '1':
        if (typeof v !== 'boolean') throw new CtyError('null refinement is not boolean', path);
        if (!v) r.notNull = true;
        break;
      case '2':
        if (type !== 'string' || typeof v !== 'string')
          throw new CtyError('string prefix refinement for a non-string', path);
        r.prefix = v;
        break;
      case '3':
      case '4': {
        if (type !== 'number' || !Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'boolean')
          throw new CtyError('number bound refinement must be [number, bool]', path);
        const bound = { value: toNumber(v[0], path), inclusive: v[1] };
        if (key === '3') r.numberLower = bound;
        else r.numberUpper = bound;
        break;
      }
      case '5':
      case '6': {
        if (!isCollection(type)) throw new CtyError('length refinement for a non-collection', path);
        const n = toNumber(v, path);
        if (key === '5') r.lengthLower = n;
        else r.lengthUpper = n;
        break;
      }
      default:
      // Keys added by later protocol versions are ignored, as go-cty does.
    }
  }
  return Object.keys(r).length ? r : undefined;
}

function isCollection(t: CtyType): boolean {
  return typeof t === 'object' && ('list' in t || 'set' in t || 'map' in t);
}

// ---------------------------------------------------------------------------------------------
// msgpack encoding

/** A growable byte buffer with msgpack's primitive encodings. */
class Writer {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  nil(): void {
    this.byte(0xc0);
  }
  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2);
  }
  int(n: number): void {
    this.ensure(9);
    if (n >= 0 && n < 128) this.buf[this.len++] = n;
    else if (n < 0 && n >= -32) this.buf[this.len++] = 0xe0 | (n + 32);
    else if (n >= -128 && n <= 127) this.head8(0xd0, n);
    else if (n >= -32768 && n <= 32767) {
      this.buf[this.len++] = 0xd1;
      this.len = this.buf.writeInt16BE(n, this.len);
    } else if (n >= -2147483648 && n <= 2147483647) {
      this.buf[this.len++] = 0xd2;
      this.len = this.buf.writeInt32BE(n, this.len);
    } else {
      this.buf[this.len++] = 0xd3;
      this.len = this.buf.writeBigInt64BE(BigInt(n), this.len);
    }
  }
  private head8(code: number, n: number): void {
    this.buf[this.len++] = code;
    this.len = this.buf.writeInt8(n, this.len);
  }
  float(n: number): void {
    this.ensure(9);
    this.buf[this.len++] = 0xcb;
    this.len = this.buf.writeDoubleBE(n, this.len);
  }
  number(n: number): void {
    // Integers that int64 holds exactly are written as integers, the rest as float64 (go-cty
    // does the same; both decode to the same cty number).
    if (Number.isSafeInteger(n)) this.int(n);
    else this.float(n);
  }
  /** An exact decimal (see exactNumber): an int64 where it is one, else go-cty's string form. */
  decimal(s: string): void {
    if (/^-?\d+$/.test(s)) {
      const big = BigInt(s);
      if (big >= -(1n << 63n) && big < 1n << 63n) {
        this.ensure(9);
        this.buf[this.len++] = 0xd3;
        this.len = this.buf.writeBigInt64BE(big, this.len);
        return;
      }
    }
    this.str(s);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.lengthHead(b.length, 0xa0, 32, 0xd9, 0xda, 0xdb);
    this.bytes(b);
  }
  bin(b: Uint8Array): void {
    this.lengthHead(b.length, -1, 0, 0xc4, 0xc5, 0xc6);
    this.bytes(b);
  }
  array(n: number): void {
    this.lengthHead(n, 0x90, 16, -1, 0xdc, 0xdd);
  }
  map(n: number): void {
    this.lengthHead(n, 0x80, 16, -1, 0xde, 0xdf);
  }
  ext(type: number, body: Uint8Array): void {
    const fix: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
    const code = fix[body.length];
    if (code !== undefined) this.byte(code);
    else this.lengthHead(body.length, -1, 0, 0xc7, 0xc8, 0xc9);
    this.byte(type);
    this.bytes(body);
  }
  private lengthHead(
    n: number,
    fix: number,
    fixMax: number,
    c8: number,
    c16: number,
    c32: number,
  ): void {
    this.ensure(5);
    if (fix >= 0 && n < fixMax) this.buf[this.len++] = fix | n;
    else if (c8 >= 0 && n < 256) {
      this.buf[this.len++] = c8;
      this.buf[this.len++] = n;
    } else if (n < 65536) {
      this.buf[this.len++] = c16;
      this.len = this.buf.writeUInt16BE(n, this.len);
    } else {
      this.buf[this.len++] = c32;
      this.len = this.buf.writeUInt32BE(n, this.len);
    }
  }
  done(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.len));
  }
}

/** Encode a value by its type as a msgpack DynamicValue. Objects get every attribute of their
 * type (null where the value has none); unknowns keep their refinements. */
export function encodeMsgpack(v: Value, type: CtyType, block?: TfBlock): Uint8Array {
  const w = new Writer();
  write(w, v, type, [], block);
  return w.done();
}

function write(w: Writer, v: Value | undefined, type: CtyType, path: Path, block?: TfBlock): void {
  // The protocol carries sensitivity in the schema, not in values: a mark is dropped.
  if (v instanceof Sensitive) v = v.value;
  if (v instanceof Unknown) return writeUnknown(w, v.refinement, type);
  if (v === null || v === undefined) return w.nil();
  if (type === 'dynamic') {
    const t = impliedType(v);
    w.array(2);
    w.bin(Buffer.from(JSON.stringify(typeToJson(t)), 'utf8'));
    return write(w, v, t, path);
  }
  if (type === 'string') {
    if (typeof v === 'string') return w.str(v);
    if (typeof v === 'number' || typeof v === 'boolean') return w.str(String(v));
    throw new CtyError(`expected a string, got ${describe(v)}`, path);
  }
  if (type === 'number') {
    if (typeof v === 'number') return w.number(v);
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)))
      return w.decimal(v.trim());
    throw new CtyError(`expected a number, got ${describe(v)}`, path);
  }
  if (type === 'bool') {
    if (typeof v === 'boolean') return w.bool(v);
    throw new CtyError(`expected a bool, got ${describe(v)}`, path);
  }
  if ('list' in type || 'set' in type || 'tuple' in type) {
    if (!Array.isArray(v)) throw new CtyError(`expected a list, got ${describe(v)}`, path);
    if ('tuple' in type && v.length !== type.tuple.length)
      throw new CtyError(`expected a tuple of ${type.tuple.length}, got ${v.length}`, path);
    w.array(v.length);
    v.forEach((x, i) => {
      const el = 'list' in type ? type.list : 'set' in type ? type.set : type.tuple[i]!;
      write(w, x, el, [...path, i], block);
    });
    return;
  }
  if (Array.isArray(v) || typeof v !== 'object')
    throw new CtyError(`expected an object, got ${describe(v)}`, path);
  const obj = v as Record<string, Value>;
  if ('map' in type) {
    const keys = Object.keys(obj);
    w.map(keys.length);
    for (const k of keys) {
      w.str(k);
      write(w, obj[k], type.map, [...path, k], block);
    }
    return;
  }
  const keys = Object.keys(type.object);
  const kinds = block ? nestedKinds(block) : undefined;
  w.map(keys.length);
  for (const k of keys) {
    w.str(k);
    let x: Value | undefined = Object.prototype.hasOwnProperty.call(obj, k) ? obj[k] : null;
    const kind = kinds?.get(k);
    // A nested block collection is never null: no blocks is an empty list, set or map.
    if ((x === null || x === undefined) && kind !== undefined) {
      if (kind === 'list' || kind === 'set') x = [];
      else if (kind === 'map') x = {};
    }
    const child = block?.blockTypes?.find((b) => b.typeName === k)?.block;
    write(w, x, type.object[k]!, [...path, k], child);
  }
}

function describe(v: Value): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v;
}

function writeUnknown(w: Writer, r: Refinement | undefined, type: CtyType): void {
  const body = new Writer();
  let n = 0;
  if (r && type !== 'dynamic') {
    if (r.notNull) {
      body.int(1);
      body.bool(false); // the key says "nullness is refined"; false = not null
      n++;
    }
    if (type === 'string' && r.prefix) {
      body.int(2);
      body.str(r.prefix);
      n++;
    }
    if (type === 'number') {
      for (const [key, b] of [
        [3, r.numberLower],
        [4, r.numberUpper],
      ] as const) {
        if (!b) continue;
        body.int(key);
        body.array(2);
        body.number(b.value);
        body.bool(b.inclusive);
        n++;
      }
    }
    if (isCollection(type)) {
      if (r.lengthLower !== undefined && r.lengthLower > 0) {
        body.int(5);
        body.int(r.lengthLower);
        n++;
      }
      if (r.lengthUpper !== undefined) {
        body.int(6);
        body.int(r.lengthUpper);
        n++;
      }
    }
  }
  if (n === 0) return w.ext(0, new Uint8Array([0]));
  const head = new Writer();
  head.map(n);
  w.ext(12, Buffer.concat([head.done(), body.done()]));
}

function defineKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
