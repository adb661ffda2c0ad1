// Conformance of the native HCL parser with @cdktf/hcl2json (HashiCorp's own hclsyntax, compiled
// to WebAssembly; a devDependency kept for this test only): every .tf file under examples/,
// test/ and the real third-party fixtures (read in place, never copied) is parsed by both, and
// they must agree on validity, on the block structure (block types, labels, how many blocks),
// on which arguments each body has, and on the value of every argument that is a constant
// expression (literals, and operators and functions over them).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as hcl2json } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { mapScope, ParsedExpr } from '../../../src/engine/config/expr.js';
import { parseHclFile } from '../../../src/engine/config/syntax.js';
import { sharedFixtures } from '../../support/shared-fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The real third-party fixtures; CMEK_FIXTURES names another copy. */
const SHARED = sharedFixtures();

function tfFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tfFiles(p));
    else if (e.name.endsWith('.tf')) out.push(p);
  }
  return out.sort();
}

const own = [...tfFiles(join(ROOT, 'examples')), ...tfFiles(join(ROOT, 'test'))];
const shared = tfFiles(SHARED);
if (shared.length === 0)
  console.warn(`SKIPPING the third-party part of the HCL conformance test: no .tf under ${SHARED}`);

const scope = mapScope('.', {});

/** Counts of what was compared, so the test cannot pass by comparing nothing. */
const tally = { files: 0, blocks: 0, attributes: 0, values: 0 };

function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('${') || v.includes('%{');
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v && typeof v === 'object') return Object.values(v).some(hasTemplate);
  return false;
}

/** Compare a body of the native tree with hcl2json's at `where` (for failure messages). */
function compare(ours: unknown, theirs: unknown, where: string): void {
  if (ours instanceof ParsedExpr) {
    tally.attributes++;
    expect(theirs, `${where}: hcl2json has no argument here`).not.toBeUndefined();
    if (ours.refs.length || ours.diagnostics.length || hasTemplate(theirs)) return;
    let value: unknown;
    try {
      value = ours.evaluate(scope);
    } catch {
      return; // file(), a function of the filesystem or an error of the function: not literal
    }
    tally.values++;
    expect(value, `${where} = ${ours.text}`).toEqual(theirs);
    return;
  }
  if (Array.isArray(ours)) {
    tally.blocks += ours.length;
    expect(Array.isArray(theirs), `${where}: hcl2json has no block list here`).toBe(true);
    const list = theirs as unknown[];
    expect(ours.length, `${where}: number of blocks`).toBe(list.length);
    ours.forEach((b, i) => compare(b, list[i], `${where}[${i}]`));
    return;
  }
  const o = ours as Record<string, unknown>;
  const t = theirs as Record<string, unknown>;
  expect(t && typeof t === 'object', `${where}: hcl2json has no body here`).toBe(true);
  expect(Object.keys(o).sort(), `${where}: names`).toEqual(Object.keys(t).sort());
  for (const k of Object.keys(o)) compare(o[k], t[k], `${where}.${k}`);
}

async function check(file: string): Promise<void> {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const name = relative(ROOT, file);
  const native = parseHclFile(name, text);
  let theirs: unknown;
  let theirError: string | undefined;
  try {
    theirs = await hcl2json(name, text);
  } catch (e) {
    theirError = (e as Error).message;
  }
  tally.files++;
  if (theirError !== undefined) {
    expect(native.diagnostics.length, `hcl2json rejects ${name}: ${theirError}`).toBeGreaterThan(0);
    return;
  }
  expect(native.diagnostics, `hcl2json accepts ${name}`).toEqual([]);
  compare(native.doc, theirs, name);
}

describe('native HCL parser conforms to hcl2json', () => {
  it(`the repository's .tf files (${own.length})`, { timeout: 300_000 }, async () => {
    expect(own.length).toBeGreaterThan(10);
    for (const f of own) await check(f);
  });

  it.skipIf(shared.length === 0)(
    `the third-party fixtures (${shared.length}; skipped when ${SHARED} is absent)`,
    { timeout: 300_000 },
    async () => {
      for (const f of shared) await check(f);
    },
  );

  it('compared a meaningful amount', () => {
    console.info(`HCL conformance: ${JSON.stringify(tally)}`);
    expect(tally.files).toBeGreaterThan(10);
    expect(tally.blocks).toBeGreaterThan(50);
    expect(tally.values).toBeGreaterThan(100);
  });
});
