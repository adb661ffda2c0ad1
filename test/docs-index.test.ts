// docs/README.md is the index of the documentation: every page under docs/ must be linked from
// it, and every link in it must point at a page that exists.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DOCS = resolve(dirname(fileURLToPath(import.meta.url)), '../docs');

function pages(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return pages(p);
    return name.endsWith('.md') ? [relative(DOCS, p)] : [];
  });
}

describe('docs/README.md', () => {
  const index = readFileSync(join(DOCS, 'README.md'), 'utf8');
  const links = [...index.matchAll(/\]\(([^)#]+\.md)\)/g)].map((m) => m[1]!);

  it('links every page under docs/', () => {
    const missing = pages(DOCS).filter((p) => p !== 'README.md' && !links.includes(p));
    expect(missing, 'pages not linked from docs/README.md').toEqual([]);
  });

  it('links only pages that exist', () => {
    const broken = links.filter((l) => !existsSync(resolve(DOCS, l)));
    expect(broken).toEqual([]);
  });
});
