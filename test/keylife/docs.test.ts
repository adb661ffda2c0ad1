// The examples of docs/cli/poll.md and docs/cli/server.md run as written, through the real
// binary, in a fresh directory holding the page's HCL block. Every `$ cmek ...` line must exit 0
// unless it ends with `# exit N`; the lines below it must appear in its output. `cmek server`
// runs in the background: the lines before `^C` must appear while it runs, then it gets SIGINT
// and the lines after `^C` must appear before it exits 0.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, cmekSpawn, ROOT, tempDir } from '../e2e/harness.js';

interface Step {
  args: string[];
  exit: number;
  expect: string[];
  /** Lines after `^C` (background server steps). */
  afterInterrupt: string[];
  interrupted: boolean;
}

function parse(page: string): { hcl: string; steps: Step[] } {
  const example = page.slice(page.indexOf('## Example'));
  const hcl = /```hcl\n([\s\S]*?)```/.exec(example)?.[1];
  if (!hcl) throw new Error('the example has no hcl block');
  const steps: Step[] = [];
  for (const block of example.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      if (!line.trim()) continue;
      const m = /^\$ cmek (.*?)(?:\s+# exit (\d+))?$/.exec(line);
      const last = steps.at(-1);
      if (m) {
        steps.push({
          args: m[1]!.trim().split(/\s+/),
          exit: Number(m[2] ?? 0),
          expect: [],
          afterInterrupt: [],
          interrupted: false,
        });
      } else if (line.trim() === '^C' && last) last.interrupted = true;
      else if (last) (last.interrupted ? last.afterInterrupt : last.expect).push(line.trim());
    }
  }
  return { hcl, steps };
}

async function background(dir: string, step: Step): Promise<void> {
  const child = cmekSpawn(dir, step.args);
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 30_000;
  while (!step.expect.every((l) => out.includes(l))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`cmek ${step.args.join(' ')}: expected lines did not appear:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGINT');
  expect(await exited, out).toBe(step.exit);
  for (const l of step.afterInterrupt) expect(out, `cmek ${step.args.join(' ')}`).toContain(l);
}

beforeAll(() => {
  cliBin();
}, 300_000); // the first file to run builds the CLI and its bundles (test/e2e/harness.ts)

describe('docs/cli examples of the key lifecycle run as written', () => {
  for (const page of ['poll', 'server']) {
    it(`docs/cli/${page}.md`, async () => {
      const { hcl, steps } = parse(readFileSync(join(ROOT, 'docs', 'cli', `${page}.md`), 'utf8'));
      expect(steps.length).toBeGreaterThan(0);
      const dir = tempDir();
      writeFileSync(join(dir, 'main.tf'), hcl);
      try {
        for (const step of steps) {
          if (step.interrupted) {
            await background(dir, step);
            continue;
          }
          const r = cmek(dir, step.args);
          const out = `${r.stdout}\n${r.stderr}`;
          expect(r.code, `cmek ${step.args.join(' ')}\n${out}`).toBe(step.exit);
          for (const want of step.expect)
            expect(out, `cmek ${step.args.join(' ')}`).toContain(want);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 90_000);
  }
});
