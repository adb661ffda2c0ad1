// The examples in docs/cli/<verb>.md are run exactly as written: every `$ cmek ...` line of the
// page's ```console blocks, in a fresh copy of examples/quickstart, in order. A command must
// exit 0 unless the line ends with `# exit N`; every other line of the block is output that
// must appear (as a substring of a line) in what the command printed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, copyExample, ROOT } from './harness.js';

const VERBS = [
  'validate',
  'plan',
  'apply',
  'destroy',
  'show',
  'refresh',
  'output',
  'state',
  'force-unlock',
  'fmt',
  'version',
  'graph',
  'console',
  'taint',
  'untaint',
  'import',
  'global-flags',
  'errors',
  // State backends and workspaces (their pg examples run in test/backend/pg-docs.test.ts):
  'init',
  'workspace',
  'policy',
];

interface Step {
  args: string[];
  /** `$ echo 'TEXT' | cmek ...`: TEXT and a newline on stdin. */
  input?: string;
  exit: number;
  expect: string[];
}

function parsePage(text: string): { steps: Step[]; lock?: string } {
  const steps: Step[] = [];
  const example = text.slice(text.indexOf('## Example'));
  for (const block of example.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      if (!line.trim()) continue;
      const m = /^\$ (?:echo '([^']*)' \| )?cmek (.*?)(?:\s+# exit (\d+))?$/.exec(line);
      if (m)
        steps.push({
          args: m[2]!.trim().split(/\s+/),
          exit: Number(m[3] ?? 0),
          expect: [],
          ...(m[1] !== undefined ? { input: `${m[1]}\n` } : {}),
        });
      else steps.at(-1)?.expect.push(line.trim());
    }
  }
  const lock = /<!-- e2e-setup: lock (\S+) -->/.exec(example)?.[1];
  return lock ? { steps, lock } : { steps };
}

beforeAll(() => {
  cliBin();
}, 300_000); // the first file to run builds the CLI and its bundles (test/e2e/harness.ts)

describe('docs/cli examples run as written', () => {
  for (const verb of VERBS) {
    it(`docs/cli/${verb}.md`, () => {
      const page = parsePage(readFileSync(join(ROOT, 'docs', 'cli', `${verb}.md`), 'utf8'));
      expect(page.steps.length, 'the page has an example').toBeGreaterThan(0);
      const dir = copyExample('quickstart');
      if (page.lock) {
        writeFileSync(
          join(dir, '.terraform.tfstate.lock.info'),
          JSON.stringify({
            ID: page.lock,
            Operation: 'OperationTypeApply',
            Info: '',
            Who: 'ci@runner-7',
            Version: '0.1.0',
            Created: new Date().toISOString(),
            Path: 'terraform.tfstate',
          }),
        );
      }
      for (const step of page.steps) {
        const r = cmek(dir, step.args, step.input !== undefined ? { input: step.input } : {});
        const out = `${r.stdout}\n${r.stderr}`;
        expect(r.code, `cmek ${step.args.join(' ')}\n${out}`).toBe(step.exit);
        for (const want of step.expect) expect(out, `cmek ${step.args.join(' ')}`).toContain(want);
      }
    });
  }
});
