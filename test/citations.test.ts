// Code, comments and docs cite docs/ pages or say the thing itself: never a spec or design
// document section, an issue number, or a path outside the repository (`../shared`), which a
// reader of the package or a clone does not have. Reading the shared test fixtures in place
// (`shared/fixtures/...` paths in tests) is a use of data, not a citation, and is allowed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = relative(ROOT, fileURLToPath(import.meta.url));

const CITATIONS: { what: string; re: RegExp }[] = [
  { what: 'spec section', re: /\bSPEC(?:\.md)?\b/ },
  { what: 'design document', re: /\bDESIGN(?:\.md)?\b/ },
  { what: 'issue number', re: /\bissues?\s*#?\d+/i },
  { what: 'path outside the repository', re: /\.\.\/shared\b(?!\/fixtures\b)/ },
];

/** `file:line: text` for every line of `text` that cites something it should not. */
export function findCitations(file: string, text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const c of CITATIONS)
      if (c.re.test(line)) out.push(`${file}:${i + 1}: ${c.what}: ${line.trim().slice(0, 120)}`);
  });
  return out;
}

describe('citations', () => {
  it('the check recognises each kind of citation, and leaves fixture paths alone', () => {
    expect(findCitations('a.ts', '// as SPEC 4 says')).toHaveLength(1);
    expect(findCitations('a.ts', '// see SPEC.md')).toHaveLength(1);
    expect(findCitations('a.md', 'Diagnostics are values (DESIGN.md).')).toHaveLength(1);
    expect(findCitations('a.ts', '// fixed in issue #12')).toHaveLength(1);
    expect(findCitations('a.ts', '// the configuration layer (issue 4)')).toHaveLength(1);
    expect(findCitations('a.md', 'read ../shared/SPEC.md')).toHaveLength(2);
    expect(findCitations('a.md', 'see ../shared for the table')).toHaveLength(1);
    expect(findCitations('a.ts', "const DIR = join(ROOT, '../shared/fixtures/hcl');")).toEqual([]);
    expect(findCitations('a.ts', "const D = '/work/shared/fixtures/key-policies';")).toEqual([]);
    expect(findCitations('a.ts', "KeySpec: 'SYMMETRIC_DEFAULT', // KEY_SPEC")).toEqual([]);
    expect(findCitations('a.md', 'See [the contract](contract.md#diagnostic-codes).')).toEqual([]);
  });

  it('no tracked file under src/, docs/, test/, bench/, examples/ or README.md cites one', () => {
    const files = execFileSync(
      'git',
      ['ls-files', '-z', '--', 'src', 'docs', 'test', 'bench', 'examples', 'README.md'],
      { cwd: ROOT, encoding: 'utf8' },
    )
      .split('\0')
      .filter((f) => f && f !== SELF);
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => {
      let text: string;
      try {
        text = readFileSync(join(ROOT, f), 'utf8');
      } catch {
        return []; // deleted in the work tree, not yet committed
      }
      return text.includes('\0') ? [] : findCitations(f, text);
    });
    expect(found).toEqual([]);
  });
});
