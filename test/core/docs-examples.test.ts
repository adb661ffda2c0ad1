// Runs the TypeScript examples of docs/core.md and docs/threat-model.md exactly as written,
// so the docs stay true. `from 'cmek'` is pointed at the sources the package entry re-exports
// (src/core and the in-memory KMS), not at src/index.ts, so an engineer's half-written engine
// module cannot break the core's doc test; the last test checks src/index.ts exports them.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function examples(doc: string): Promise<string[]> {
  const md = await readFile(join(root, doc), 'utf8');
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function runExample(code: string): Promise<void> {
  const shim = pathToFileURL(join(root, 'test/core/cmek-shim.ts')).href;
  const src = code.replace(/from 'cmek'/g, `from '${shim}'`);
  // Inside the repo (vitest only transforms TypeScript under its root), unique per run.
  const dir = await mkdtemp(join(root, 'test/core/.docs-'));
  const file = join(dir, 'example.ts');
  try {
    await writeFile(file, src);
    await import(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.each(['docs/core.md', 'docs/threat-model.md'])('%s', (doc) => {
  it('has a TypeScript example that runs as written', async () => {
    const blocks = await examples(doc);
    expect(blocks.length).toBeGreaterThan(0);
    for (const code of blocks) await runExample(code);
  });
});

it('the package entry exports every name the examples import', async () => {
  const imported = new Set<string>();
  for (const doc of ['docs/core.md', 'docs/threat-model.md'])
    for (const code of await examples(doc))
      for (const m of code.matchAll(/import \{([^}]*)\} from 'cmek'/g))
        for (const name of m[1]!.split(',')) if (name.trim()) imported.add(name.trim());
  expect(imported.size).toBeGreaterThan(0);
  const entry = (await import('../../src/index.js')) as Record<string, unknown>;
  expect([...imported].filter((n) => entry[n] === undefined)).toEqual([]);
});
