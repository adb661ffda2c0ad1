// The part of the Reflect metadata API that @peculiar/x509's dependency injection (tsyringe)
// needs, installed before x509 loads: tsyringe refuses to load without `Reflect.getMetadata`,
// and x509 ships without a polyfill of its own (it leaves the choice to the application).
// Metadata lives in a WeakMap per target and property; lookups walk the prototype chain.

type Store = Map<string | symbol | undefined, Map<unknown, unknown>>;

const stores = new WeakMap<object, Store>();

function table(
  target: object,
  prop: string | symbol | undefined,
  create: boolean,
): Map<unknown, unknown> | undefined {
  let s = stores.get(target);
  if (!s) {
    if (!create) return undefined;
    s = new Map();
    stores.set(target, s);
  }
  let t = s.get(prop);
  if (!t && create) {
    t = new Map();
    s.set(prop, t);
  }
  return t;
}

function getOwnMetadata(key: unknown, target: object, prop?: string | symbol): unknown {
  return table(target, prop, false)?.get(key);
}

function getMetadata(key: unknown, target: object, prop?: string | symbol): unknown {
  for (let o: object | null = target; o; o = Object.getPrototypeOf(o) as object | null) {
    const t = table(o, prop, false);
    if (t?.has(key)) return t.get(key);
  }
  return undefined;
}

function defineMetadata(
  key: unknown,
  value: unknown,
  target: object,
  prop?: string | symbol,
): void {
  table(target, prop, true)!.set(key, value);
}

/** Install the polyfill unless a Reflect metadata implementation is already there. */
export function installReflectMetadata(): void {
  const R = Reflect as unknown as Record<string, unknown>;
  if (typeof R.getMetadata === 'function') return;
  Object.assign(R, {
    getOwnMetadata,
    getMetadata,
    defineMetadata,
    hasMetadata: (k: unknown, t: object, p?: string | symbol) => getMetadata(k, t, p) !== undefined,
    hasOwnMetadata: (k: unknown, t: object, p?: string | symbol) =>
      table(t, p, false)?.has(k) ?? false,
    metadata:
      (k: unknown, v: unknown) =>
      (target: object, prop?: string | symbol): void =>
        defineMetadata(k, v, target, prop),
  });
}
