// The examples of docs/resources/*.md and docs/cli/{service,data,backup}.md run as written, through the
// real binary:
// - every ```hcl block of a resource page is a configuration: apply, then a plan that must find
//   no changes (exit 0 with -detailed-exitcode), then destroy;
// - a CLI page's first ```hcl block is the working directory's configuration, and every
//   `$ cmek ...` line of its ```console blocks after "## Example" must exit 0 (or `# exit N`)
//   and print every following non-command line as a substring.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, ROOT, tempDir } from '../e2e/harness.js';

function hclBlocks(text: string): string[] {
  return [...text.matchAll(/```hcl\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

interface Step {
  args: string[];
  exit: number;
  expect: string[];
}

function consoleSteps(text: string): Step[] {
  const steps: Step[] = [];
  const example = text.slice(text.indexOf('## Example'));
  for (const block of example.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      if (!line.trim()) continue;
      const m = /^\$ cmek (.*?)(?:\s+# exit (\d+))?$/.exec(line);
      if (m) steps.push({ args: m[1]!.trim().split(/\s+/), exit: Number(m[2] ?? 0), expect: [] });
      else steps.at(-1)?.expect.push(line.trim());
    }
  }
  return steps;
}

function run(dir: string, args: string[], exit = 0) {
  const r = cmek(dir, args);
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return r;
}

beforeAll(() => {
  cliBin();
}, 180_000);

const pages = readdirSync(join(ROOT, 'docs', 'resources')).filter((f) => f.endsWith('.md'));

describe('docs/resources examples apply, plan clean, and destroy', () => {
  it('there is a page per resource', () => {
    expect(pages.sort()).toEqual([
      'cmek_backup.md',
      'cmek_backup_restore.md',
      'cmek_clone.md',
      'cmek_encrypted_service.md',
      'cmek_kms_key.md',
      'cmek_kms_key_policy.md',
      'cmek_replica.md',
    ]);
  });
  for (const page of pages) {
    it(page, () => {
      const blocks = hclBlocks(readFileSync(join(ROOT, 'docs', 'resources', page), 'utf8'));
      expect(blocks.length, 'the page has an hcl example').toBeGreaterThan(0);
      for (const hcl of blocks) {
        const dir = tempDir({ 'main.tf': hcl });
        try {
          run(dir, ['apply', '-auto-approve']);
          run(dir, ['plan', '-detailed-exitcode']);
          run(dir, ['destroy', '-auto-approve']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    });
  }
});

/** Placeholders a page may use for values known only at run time. */
function substitute(dir: string, args: string[]): string[] {
  if (!args.includes('BACKUP_ID')) return args;
  const list = JSON.parse(run(dir, ['backup', 'ls', '-json']).stdout) as Array<{ id: string }>;
  expect(list.length, 'a backup to name').toBeGreaterThan(0);
  return args.map((a) => (a === 'BACKUP_ID' ? list[0]!.id : a));
}

describe('docs/cli service, data and backup examples run as written', () => {
  for (const verb of ['service', 'data', 'backup']) {
    it(`docs/cli/${verb}.md`, () => {
      const text = readFileSync(join(ROOT, 'docs', 'cli', `${verb}.md`), 'utf8');
      const steps = consoleSteps(text);
      expect(steps.length).toBeGreaterThan(0);
      const dir = tempDir();
      writeFileSync(join(dir, 'main.tf'), hclBlocks(text)[0]!);
      try {
        for (const s of steps) {
          const r = run(dir, substitute(dir, s.args), s.exit);
          for (const e of s.expect)
            expect(r.stdout + r.stderr, `cmek ${s.args.join(' ')}`).toContain(e);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
