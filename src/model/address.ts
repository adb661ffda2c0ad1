// Resource addresses as Terraform writes them: `TYPE.NAME` for a block, `TYPE.NAME[0]` for an
// instance of a block with `count`, `TYPE.NAME["k"]` for one with `for_each`, and any of these
// inside module instances: `module.a["x"].module.b[0].TYPE.NAME["k"]` (`data.TYPE.NAME` for a
// data source). Parsing, formatting (terraform's quoting of string keys) and ordering (as
// terraform sorts `state list`) live here once. References in expressions are in reference.ts.

/** An instance key: a number with `count`, a string with `for_each`. */
export type InstanceKey = number | string;

/** One step of a module path: `module.NAME` or `module.NAME[KEY]`. */
export interface ModuleStep {
  name: string;
  key?: InstanceKey;
}

/** A resource (instance) address in a module instance. `key` absent: a block without count or
 * for_each, or (in places that accept either) the whole block. */
export interface ResourceAddress {
  module: ModuleStep[];
  mode: 'managed' | 'data';
  type: string;
  name: string;
  key?: InstanceKey;
}

/** `[0]` or `["k"]`, as terraform prints instance keys. */
export function formatKey(key: InstanceKey): string {
  return typeof key === 'number' ? `[${key}]` : `[${quoteString(key)}]`;
}

/** A string as a quoted HCL literal, as terraform quotes string instance keys: `"`, `\` and
 * control characters escaped, and `${` / `%{` doubled so the text cannot start a template. */
export function quoteString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = s.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if ((c === '$' || c === '%') && s[i + 1] === '{') out += c + c;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f))
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** `module.a["x"].module.b[0]` (empty for the root module). */
export function formatModulePath(path: readonly ModuleStep[]): string {
  return path
    .map((s) => `module.${s.name}${s.key === undefined ? '' : formatKey(s.key)}`)
    .join('.');
}

/** The full address text: `module.a.cmek_kms_key.k["x"]`. */
export function formatResourceAddress(a: ResourceAddress): string {
  const mod = formatModulePath(a.module);
  const res = `${a.mode === 'data' ? 'data.' : ''}${a.type}.${a.name}${a.key === undefined ? '' : formatKey(a.key)}`;
  return mod ? `${mod}.${res}` : res;
}

/** The address of the block an instance belongs to (the key dropped; module keys kept). */
export function blockAddress(a: ResourceAddress): string {
  const { key: _key, ...rest } = a;
  return formatResourceAddress(rest);
}

export function formatAddress(type: string, name: string, index?: InstanceKey): string {
  return index === undefined ? `${type}.${name}` : `${type}.${name}${formatKey(index)}`;
}

/** The legacy shape: a root-module managed resource with a number key. */
export interface ParsedAddress {
  type: string;
  name: string;
  index?: number;
}

/** Parse `TYPE.NAME` or `TYPE.NAME[N]` (a root-module resource with no or a number key);
 * undefined otherwise. Callers that accept modules and string keys use parseResourceAddress. */
export function parseAddress(address: string): ParsedAddress | undefined {
  const r = parseResourceAddress(address);
  if (!r.ok) return undefined;
  const a = r.address;
  if (a.module.length || a.mode !== 'managed' || typeof a.key === 'string') return undefined;
  return a.key === undefined
    ? { type: a.type, name: a.name }
    : { type: a.type, name: a.name, index: a.key };
}

export type AddressParse = { ok: true; address: ResourceAddress } | { ok: false; error: string };

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*/;

/** A tokenizer over address text: identifiers, `.`, and `[KEY]` with a number or a quoted
 * string key. */
class Cursor {
  i = 0;
  constructor(readonly text: string) {}
  done(): boolean {
    return this.i >= this.text.length;
  }
  ident(): string | undefined {
    const m = IDENT.exec(this.text.slice(this.i));
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }
  eat(c: string): boolean {
    if (this.text[this.i] !== c) return false;
    this.i++;
    return true;
  }
  /** `[0]` or `["k"]`; undefined when there is no `[`; throws a message when it is malformed. */
  key(): InstanceKey | undefined {
    if (!this.eat('[')) return undefined;
    let k: InstanceKey;
    const rest = this.text.slice(this.i);
    const num = /^\s*(-?\d+(?:\.\d+)?)\s*\]/.exec(rest);
    if (num) {
      k = Number(num[1]);
      if (!Number.isInteger(k) || k < 0)
        throw new Error(
          `an index must be a whole number >= 0 (found ${num[1]}); a for_each key is a quoted string`,
        );
      this.i += num[0].length;
      return k;
    }
    const ws = /^\s*/.exec(rest)![0].length;
    this.i += ws;
    if (!this.eat('"'))
      throw new Error(
        'an instance key must be a number ([0]) or a quoted string (["key"]); write string keys in double quotes, quoted for your shell',
      );
    let s = '';
    for (;;) {
      if (this.done()) throw new Error('the quoted instance key is not closed');
      const c = this.text[this.i++]!;
      if (c === '"') break;
      if ((c === '$' || c === '%') && this.text[this.i] === c && this.text[this.i + 1] === '{') {
        s += c;
        this.i++;
        continue;
      }
      if (c !== '\\') {
        s += c;
        continue;
      }
      const e = this.text[this.i++];
      if (e === 'n') s += '\n';
      else if (e === 'r') s += '\r';
      else if (e === 't') s += '\t';
      else if (e === '"' || e === '\\') s += e;
      else if (e === 'u' && /^[0-9A-Fa-f]{4}/.test(this.text.slice(this.i))) {
        s += String.fromCharCode(parseInt(this.text.slice(this.i, this.i + 4), 16));
        this.i += 4;
      } else throw new Error(`the quoted instance key has an invalid escape \\${e ?? ''}`);
    }
    k = s;
    const close = /^\s*\]/.exec(this.text.slice(this.i));
    if (!close) throw new Error('the instance key must be followed by ]');
    this.i += close[0].length;
    return k;
  }
}

/** Parse a resource instance address as terraform accepts it on the command line and in
 * `moved`/`import`/`removed` blocks: `[module.NAME[KEY].]...[data.]TYPE.NAME[KEY]`. */
export function parseResourceAddress(text: string): AddressParse {
  const c = new Cursor(text.trim());
  const fail = (why: string): AddressParse => ({
    ok: false,
    error: `"${text}" is not a resource address: ${why}.`,
  });
  const module: ModuleStep[] = [];
  try {
    for (;;) {
      const save = c.i;
      const head = c.ident();
      if (head === undefined) return fail('expected a resource type or "module"');
      if (head === 'module' && c.eat('.')) {
        const name = c.ident();
        if (name === undefined) return fail('"module." must be followed by a module name');
        const key = c.key();
        module.push(key === undefined ? { name } : { name, key });
        if (!c.eat('.'))
          return fail(
            c.done()
              ? 'it names a module, not a resource in it (add .TYPE.NAME)'
              : 'unexpected text after the module name',
          );
        continue;
      }
      c.i = save;
      break;
    }
    let mode: ResourceAddress['mode'] = 'managed';
    let type = c.ident();
    if (type === 'data' && c.eat('.')) {
      mode = 'data';
      type = c.ident();
    }
    if (type === undefined) return fail('expected a resource type');
    if (!c.eat('.'))
      return fail('a resource address must include a resource type and a name (TYPE.NAME)');
    const name = c.ident();
    if (name === undefined) return fail('expected a resource name after the type');
    const key = c.key();
    if (!c.done())
      return fail(`unexpected ${JSON.stringify(c.text.slice(c.i, c.i + 12))} after the address`);
    return {
      ok: true,
      address: { module, mode, type, name, ...(key === undefined ? {} : { key }) },
    };
  } catch (e) {
    return fail((e as Error).message);
  }
}

/** Parse a module instance address (`module.a`, `module.a["x"].module.b[0]`). */
export function parseModuleAddress(
  text: string,
): { ok: true; path: ModuleStep[] } | { ok: false; error: string } {
  const c = new Cursor(text.trim());
  const path: ModuleStep[] = [];
  try {
    do {
      if (c.ident() !== 'module' || !c.eat('.'))
        return { ok: false, error: `"${text}" is not a module address (module.NAME).` };
      const name = c.ident();
      if (name === undefined)
        return { ok: false, error: `"${text}": "module." must be followed by a module name.` };
      const key = c.key();
      path.push(key === undefined ? { name } : { name, key });
    } while (c.eat('.'));
    if (!c.done()) return { ok: false, error: `"${text}" has unexpected text after the module.` };
    return { ok: true, path };
  } catch (e) {
    return { ok: false, error: `"${text}" is not a module address: ${(e as Error).message}.` };
  }
}

/** Whether a resource address is inside the module instance(s) `path` names: each step's name
 * must match, and its key when the step has one (`module.a` holds the resources of every
 * instance of a, `module.a["x"]` those of one). */
export function moduleContains(path: readonly ModuleStep[], a: ResourceAddress): boolean {
  if (a.module.length < path.length) return false;
  return path.every(
    (s, i) => a.module[i]!.name === s.name && (s.key === undefined || a.module[i]!.key === s.key),
  );
}

/** Where a module move (`module.OLD` → `module.NEW`, as `moved` and `state mv` take them) puts
 * the module instance `module` (a formatted path, '' for the root): the new path, or undefined
 * when `module` is not inside `from`. A `from` ending without a key moves every instance of the
 * call, each keeping its key. */
export function moveModulePath(
  from: readonly ModuleStep[],
  to: readonly ModuleStep[],
  module: string | undefined,
): string | undefined {
  const p = parseModuleAddress(module ?? '');
  if (!p.ok || p.path.length < from.length) return undefined;
  const inside = from.every(
    (s, i) => p.path[i]!.name === s.name && (s.key === undefined || p.path[i]!.key === s.key),
  );
  if (!inside) return undefined;
  const carried =
    from[from.length - 1]!.key === undefined ? p.path[from.length - 1]!.key : undefined;
  const head = to.map((s, i) =>
    i === to.length - 1 && s.key === undefined && carried !== undefined
      ? { ...s, key: carried }
      : s,
  );
  return formatModulePath([...head, ...p.path.slice(from.length)]);
}

/** Terraform's InstanceKeyLess: no key first, then numbers (numerically), then strings. */
export function compareKeys(a: InstanceKey | undefined, b: InstanceKey | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  if (typeof a === 'number') return a - (b as number);
  return a < (b as string) ? -1 : 1;
}

/** Terraform's ModuleInstance.Less: shorter paths first, then step by step by name and key. */
export function compareModulePaths(a: readonly ModuleStep[], b: readonly ModuleStep[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name) return x.name < y.name ? -1 : 1;
    const k = compareKeys(x.key, y.key);
    if (k) return k;
  }
  return 0;
}

/** Terraform's AbsResourceInstance.Less: module path, then data before managed, type, name,
 * key. */
export function compareResourceAddresses(a: ResourceAddress, b: ResourceAddress): number {
  const m = compareModulePaths(a.module, b.module);
  if (m) return m;
  if (a.mode !== b.mode) return a.mode === 'data' ? -1 : 1;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return compareKeys(a.key, b.key);
}

/** Compare two address texts as terraform orders them; text that does not parse sorts last,
 * by its text. */
export function compareAddressText(a: string, b: string): number {
  const x = parseResourceAddress(a);
  const y = parseResourceAddress(b);
  if (x.ok && y.ok) return compareResourceAddresses(x.address, y.address);
  if (x.ok !== y.ok) return x.ok ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `address` (an instance) is `pattern` or inside it: a block address matches all its
 * instances; a module path prefix matches everything in the module. Both parsed. */
export function addressMatches(pattern: ResourceAddress, address: ResourceAddress): boolean {
  if (pattern.module.length > address.module.length) return false;
  for (let i = 0; i < pattern.module.length; i++) {
    const p = pattern.module[i]!;
    const a = address.module[i]!;
    if (p.name !== a.name || p.key !== a.key) return false;
  }
  if (pattern.module.length !== address.module.length) return false;
  return (
    pattern.mode === address.mode &&
    pattern.type === address.type &&
    pattern.name === address.name &&
    (pattern.key === undefined || pattern.key === address.key)
  );
}

/** Whether an instance address falls under a filter as `state list` / `state rm` read one: the
 * instance itself, its block (`TYPE.NAME` matches every key), or a module instance it is in
 * (`module.a` matches everything inside). Filters that do not parse match nothing. */
export function filterMatches(filter: string, address: string): boolean {
  const a = parseResourceAddress(address);
  if (!a.ok) return filter === address;
  const f = parseResourceAddress(filter);
  if (f.ok) return addressMatches(f.address, a.address);
  const m = parseModuleAddress(filter);
  return m.ok && moduleContains(m.path, a.address);
}

/** The canonical text of an address (terraform's spacing and quoting), or the text itself when
 * it does not parse. */
export function canonicalAddress(text: string): string {
  const r = parseResourceAddress(text);
  return r.ok ? formatResourceAddress(r.address) : text.trim();
}

/** A parsed address with the texts callers compare against: the canonical instance address
 * and its block address, and the legacy `index` name of the key. */
export interface InstanceRef {
  type: string;
  name: string;
  index?: InstanceKey;
  /** Canonical instance (or block, without a key) address. */
  address: string;
  /** The block address (no key). */
  block: string;
  /** The module instance path (`module.a["x"]`); absent in the root module. */
  module?: string;
}

export function instanceRef(a: ResourceAddress): InstanceRef {
  return {
    type: a.type,
    name: a.name,
    ...(a.key === undefined ? {} : { index: a.key }),
    address: formatResourceAddress(a),
    block: blockAddress(a),
    ...(a.module.length ? { module: formatModulePath(a.module) } : {}),
  };
}

/** An address inside a module instance: `module.a["x"].TYPE.NAME` (`address` itself in the root
 * module, `module` undefined or ''). */
export function withModule(module: string | undefined, address: string): string {
  return module ? `${module}.${address}` : address;
}
