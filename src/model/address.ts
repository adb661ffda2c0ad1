// Resource addresses as Terraform writes them: `TYPE.NAME` for a block, `TYPE.NAME[i]` for an
// instance of a block with `count`. References in expressions are in reference.ts.

export function formatAddress(type: string, name: string, index?: number): string {
  return index === undefined ? `${type}.${name}` : `${type}.${name}[${index}]`;
}

export interface ParsedAddress {
  type: string;
  name: string;
  index?: number;
}

/** Parse `TYPE.NAME` or `TYPE.NAME[N]`; undefined when it is not a resource address. */
export function parseAddress(address: string): ParsedAddress | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[(\d+)\])?$/.exec(address);
  if (!m) return undefined;
  return m[3] === undefined
    ? { type: m[1]!, name: m[2]! }
    : { type: m[1]!, name: m[2]!, index: Number(m[3]) };
}
