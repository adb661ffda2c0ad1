// The Argument and Attribute tables of docs/resources/*.md are generated from the resource
// declarations (src/resources/define.ts, `npm run docs:gen`): a page that drifts fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeResources } from '../../src/resources/index.js';
import { renderResourcePage } from '../../src/resources/docs.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('docs/resources tables come from the declarations', () => {
  for (const d of describeResources()) {
    it(`${d.type}.md is up to date (run npm run docs:gen)`, () => {
      const text = readFileSync(join(ROOT, 'docs', 'resources', `${d.type}.md`), 'utf8');
      expect(renderResourcePage(text, d)).toBe(text);
    });

    it(`${d.type}: every attribute is described, and a default is named in its description`, () => {
      for (const a of d.attributes) {
        expect(a.description.length, `${d.type}.${a.name}`).toBeGreaterThan(8);
        if (a.default !== undefined)
          expect(a.description, `${d.type}.${a.name}`).toMatch(/default/i);
      }
    });
  }

  it('a changed description shows up as drift', () => {
    const d = describeResources().find((x) => x.type === 'cmek_backup')!;
    const text = readFileSync(join(ROOT, 'docs', 'resources', 'cmek_backup.md'), 'utf8');
    const changed = {
      ...d,
      attributes: d.attributes.map((a) =>
        a.name === 'size_bytes' ? { ...a, description: 'Bytes.' } : a,
      ),
    };
    const out = renderResourcePage(text, changed);
    expect(out).not.toBe(text);
    expect(out).toContain('| `size_bytes` | Bytes. |');
  });
});
